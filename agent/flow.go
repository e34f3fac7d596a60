package main

import (
	"io"
	"sync"
)

// window is the flow-control credit of one channel in one direction: at most
// this many data bytes unacknowledged.
const window = 1 << 20

// credit is what the agent may still send on a channel before the server acks.
type credit struct {
	mu     sync.Mutex
	cond   *sync.Cond
	avail  int
	closed bool
}

func newCredit() *credit {
	c := &credit{avail: window}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// available waits until there is credit and returns how much (0 once closed).
// It takes none: two outputs of one process share the credit, and a pump blocked
// reading a silent pipe must not hold any.
func (c *credit) available() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.avail <= 0 && !c.closed {
		c.cond.Wait()
	}
	if c.closed {
		return 0
	}
	return c.avail
}

// consume takes n bytes of credit, waiting until there is that much; false once
// closed.
func (c *credit) consume(n int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.avail < n && !c.closed {
		c.cond.Wait()
	}
	if c.closed {
		return false
	}
	c.avail -= n
	return true
}

// give returns credit: an ack from the server.
func (c *credit) give(n int) {
	if n <= 0 {
		return
	}
	c.mu.Lock()
	c.avail += n
	if c.avail > window {
		c.avail = window // a confused server cannot grow the agent's buffers
	}
	c.mu.Unlock()
	c.cond.Broadcast()
}

func (c *credit) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cond.Broadcast()
}

// inbox holds the server's bytes for a process's stdin or a TCP connection until
// they are written, acking each write. The server's window bounds what it holds.
type inbox struct {
	mu      sync.Mutex
	cond    *sync.Cond
	queue   [][]byte
	queued  int
	eof     bool // no more bytes after the queue (close-stdin, shutdown)
	stopped bool // drop everything (the channel or its reader is gone)
	ack     func(n int)
}

// newInbox makes an inbox that calls ack for every byte written or dropped, so
// the server's window never sticks.
func newInbox(ack func(n int)) *inbox {
	b := &inbox{ack: ack}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// push queues bytes; false when the server went past its window.
func (b *inbox) push(data []byte) bool {
	b.mu.Lock()
	if b.stopped || b.eof {
		b.mu.Unlock()
		b.ack(len(data)) // late bytes for a closed input: dropped, like a closed pipe
		return true
	}
	if b.queued+len(data) > window {
		b.mu.Unlock()
		return false
	}
	b.queue = append(b.queue, data)
	b.queued += len(data)
	b.mu.Unlock()
	b.cond.Signal()
	return true
}

func (b *inbox) finish() {
	b.mu.Lock()
	b.eof = true
	b.mu.Unlock()
	b.cond.Signal()
}

func (b *inbox) stop() {
	b.mu.Lock()
	b.stopped = true
	dropped := b.queued
	b.queue, b.queued = nil, 0
	b.mu.Unlock()
	b.cond.Signal()
	b.ack(dropped)
}

// next waits for bytes; nil at the end of input.
func (b *inbox) next() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.queue) == 0 && !b.eof && !b.stopped {
		b.cond.Wait()
	}
	if b.stopped || len(b.queue) == 0 {
		return nil
	}
	data := b.queue[0]
	b.queue = b.queue[1:]
	b.queued -= len(data)
	return data
}

// drainTo writes the inbox to w, acking each write, until the end of input or a
// write error; then closes w's sending side with closeWrite.
func (b *inbox) drainTo(w io.Writer, closeWrite func()) {
	for {
		data := b.next()
		if data == nil {
			break
		}
		_, err := w.Write(data)
		b.ack(len(data))
		if err != nil {
			b.stop() // the reader is gone: later bytes are dropped, as with a closed pipe
			break
		}
	}
	closeWrite()
}
