package main

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

const connectTimeout = 5 * time.Second

type endEvent struct {
	Event   string `json:"event"`
	Channel uint32 `json:"channel"`
}

// connect opens a TCP connection inside the sandbox for the server (to reach a
// dev server even with no network), registering the channel at once so data for
// it may follow before the answer.
func (a *agent) connect(id int64, chID uint32, host string, port int) {
	if port < 1 || port > 65535 {
		a.out.reply(id, nil, badRequest("port %d is not a TCP port (1-65535)", port))
		return
	}
	ch := &channel{out: newCredit()}
	ch.in = newInbox(func(n int) { a.ackEvent(ch.id, n) })
	if err := a.channels.open(chID, ch); err != nil {
		a.out.reply(id, nil, err)
		return
	}
	go func() {
		conn, err := dial(host, port)
		if err != nil {
			ch.in.stop()
			a.channels.remove(chID)
			a.out.reply(id, nil, newErr("CONNECT_REFUSED", "%v", err))
			return
		}
		a.channels.mu.Lock()
		closed := a.channels.all[chID] != ch
		ch.conn = conn
		a.channels.mu.Unlock()
		if closed {
			conn.Close()
			a.out.reply(id, nil, newErr("NO_SUCH_CHANNEL", "channel %d was closed while connecting", chID))
			return
		}
		a.out.reply(id, nil, nil)
		go ch.in.drainTo(conn, func() { closeWrite(conn) })
		a.pump(ch, &outPipe{f: conn, stream: streamStdout})
		if a.channels.get(chID) == ch { // not after the server's own close
			a.out.event(endEvent{Event: "end", Channel: chID})
		}
	}()
}

func dial(host string, port int) (net.Conn, error) {
	hosts := []string{host}
	if host == "" {
		hosts = []string{"127.0.0.1", "::1"}
	}
	var tried []string
	for _, h := range hosts {
		address := net.JoinHostPort(h, strconv.Itoa(port))
		conn, err := net.DialTimeout("tcp", address, connectTimeout)
		if err == nil {
			return conn, nil
		}
		tried = append(tried, address)
	}
	return nil, fmt.Errorf("nothing accepts connections on %v in the sandbox", tried)
}

func closeWrite(conn net.Conn) {
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
}

// closeConn closes a forwarded connection both ways and forgets the channel.
func (a *agent) closeConn(chID uint32) error {
	a.channels.mu.Lock()
	ch := a.channels.all[chID]
	if ch == nil || ch.proc != nil {
		a.channels.mu.Unlock()
		return noSuchChannel(chID)
	}
	delete(a.channels.all, chID)
	conn := ch.conn
	a.channels.mu.Unlock()
	ch.in.stop()
	ch.out.close()
	if conn != nil {
		conn.Close()
	}
	return nil
}
