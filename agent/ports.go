package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

const portPollInterval = 200 * time.Millisecond

type portEvent struct {
	Event   string `json:"event"`
	Port    int    `json:"port"`
	State   string `json:"state"`
	Address string `json:"address"`
}

// watchPorts reports TCP ports that begin or stop listening in the sandbox, one
// event per port whatever the addresses, by polling /proc/net/tcp{,6}.
func (a *agent) watchPorts() {
	open := map[int]string{}
	for {
		now := listeningPorts()
		for _, port := range sortedPorts(now) {
			if _, was := open[port]; !was {
				open[port] = now[port]
				a.out.event(portEvent{Event: "port", Port: port, State: "open", Address: now[port]})
			}
		}
		for _, port := range sortedPorts(open) {
			if _, is := now[port]; !is {
				a.out.event(portEvent{Event: "port", Port: port, State: "closed", Address: open[port]})
				delete(open, port)
			}
		}
		time.Sleep(portPollInterval)
	}
}

func sortedPorts(m map[int]string) []int {
	ports := make([]int, 0, len(m))
	for port := range m {
		ports = append(ports, port)
	}
	sort.Ints(ports)
	return ports
}

// listeningPorts maps each listening port to one address it listens on, a
// wildcard address when there is one.
func listeningPorts() map[int]string {
	ports := map[int]string{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(file)
		if err != nil {
			continue // no IPv6 in this sandbox
		}
		for _, l := range parseProcNetTCP(data) {
			if prev, seen := ports[l.port]; !seen || (!isWildcard(prev) && isWildcard(l.address)) {
				ports[l.port] = l.address
			}
		}
	}
	return ports
}

func isWildcard(address string) bool { return address == "0.0.0.0" || address == "::" }

type listener struct {
	address string
	port    int
}

const tcpListen = "0A"

// parseProcNetTCP reads the listening sockets of /proc/net/tcp or tcp6: lines of
// `sl local_address rem_address st ...`, addresses as hex (each 32-bit word in
// host order, little-endian here) and the port as big-endian hex.
func parseProcNetTCP(data []byte) []listener {
	var found []listener
	scanner := bufio.NewScanner(bytes.NewReader(data))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 4 || fields[3] != tcpListen {
			continue
		}
		hostHex, portHex, ok := strings.Cut(fields[1], ":")
		if !ok {
			continue
		}
		port, err := strconv.ParseUint(portHex, 16, 16)
		ip := parseHexIP(hostHex)
		if err != nil || ip == nil || port == 0 {
			continue
		}
		found = append(found, listener{address: ip.String(), port: int(port)})
	}
	return found
}

func parseHexIP(s string) net.IP {
	raw, err := hex.DecodeString(s)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return nil
	}
	ip := make(net.IP, len(raw))
	for word := 0; word < len(raw); word += 4 {
		for i := 0; i < 4; i++ {
			ip[word+i] = raw[word+3-i]
		}
	}
	if v4 := ip.To4(); v4 != nil && len(raw) == 16 && !ip.Equal(net.IPv6zero) && !ip.Equal(net.IPv6loopback) {
		return v4 // an IPv4-mapped address in tcp6
	}
	return ip
}
