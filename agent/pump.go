package main

import (
	"sync"
	"time"
)

// reader is what a pump reads: a pipe, a terminal or a TCP connection.
type reader interface {
	Read(b []byte) (int, error)
	SetReadDeadline(t time.Time) error
}

// outPipe is one output of a process (a pipe, or the terminal) with its drain
// deadline once the process has exited.
type outPipe struct {
	f        reader
	stream   byte
	mu       sync.Mutex
	draining bool
	deadline time.Time
}

func (o *outPipe) startDrain() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.draining = true
	o.deadline = time.Now().Add(drainAfterExit)
	o.f.SetReadDeadline(o.deadline)
}

// waited moves the drain deadline by the time spent waiting for credit.
func (o *outPipe) waited(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.draining {
		o.deadline = o.deadline.Add(d)
		o.f.SetReadDeadline(o.deadline)
	}
}

// pump relays one output to the server in data frames of at most 64 KiB, reading
// only as much as the channel's credit allows: with no credit it stops reading,
// and the kernel's pipe buffer stops the writer. What it read waits in its one
// buffer until there is credit for all of it.
func (a *agent) pump(ch *channel, o *outPipe) {
	buf := make([]byte, maxDataChunk)
	for {
		start := time.Now()
		n := ch.out.available()
		if n == 0 {
			return
		}
		if n > len(buf) {
			n = len(buf)
		}
		o.waited(time.Since(start))
		k, err := o.f.Read(buf[:n])
		if k > 0 {
			start = time.Now()
			if !ch.out.consume(k) {
				return
			}
			o.waited(time.Since(start))
			frame := dataFrame(ch.id, o.stream, k)
			copy(frame[10:], buf[:k])
			a.out.send(sealData(frame, k))
		}
		if err != nil {
			return // EOF, EIO (terminal closed), the drain deadline, or closed
		}
	}
}
