// Command code-sandbox-agent is the sandbox container's PID 1: it serves the
// code-sandbox server over the container's attach stream (stdin/stdout, see
// docs/agent-protocol.md), spawning processes, reading and writing workspace
// files, forwarding TCP connections and reporting listening ports.
package main

import (
	"bufio"
	"io"
	"log"
	"math/rand"
	"os"
	"sync"
	"time"
)

const (
	protocolVersion = 1
	agentName       = "code-sandbox-agent/1.0.0"
)

type agent struct {
	out      *output
	channels channels
	reapMu   sync.Mutex
	reapers  map[int]*process // reaper pid → its process
}

type readyEvent struct {
	Event   string `json:"event"`
	Version int    `json:"version"`
	Agent   string `json:"agent"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("code-sandbox-agent: ")
	if len(os.Args) > 1 && os.Args[1] == "reap" {
		reaperMain(os.Args[2:])
		return
	}
	// Same-uid sandbox processes must not open /proc/1/fd/* (the protocol stream).
	if err := prctl(prSetDumpable, 0); err != nil {
		log.Printf("cannot clear the dumpable flag: %v", err)
	}
	rand.Seed(time.Now().UnixNano())
	reserveThreads(reservedThreads)
	a := &agent{out: newOutput(os.Stdout), channels: channels{all: map[uint32]*channel{}}, reapers: map[int]*process{}}
	go a.handleSignals()
	a.out.event(readyEvent{Event: "ready", Version: protocolVersion, Agent: agentName})
	go a.watchPorts()
	err := a.serve(bufio.NewReaderSize(os.Stdin, 256<<10))
	if err == io.EOF {
		a.shutdown("stdin closed", 0)
	}
	log.Printf("%v; dropping the connection", err)
	a.shutdown("protocol error", 2)
}
