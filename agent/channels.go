package main

import (
	"net"
	"sync"
)

const maxChannels = 1024

// channel is one spawned process or one forwarded TCP connection.
type channel struct {
	id   uint32
	out  *credit // what the agent may send (streams 1 and 2)
	in   *inbox  // what the server sent, until written
	proc *process
	conn net.Conn
}

type channels struct {
	mu  sync.Mutex
	all map[uint32]*channel
}

// open registers a channel under a fresh id, or says why it cannot.
func (cs *channels) open(id uint32, ch *channel) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	switch {
	case id == 0:
		return badRequest("channel must be a positive 32-bit integer")
	case cs.all[id] != nil:
		return badRequest("channel %d is in use", id)
	case len(cs.all) >= maxChannels:
		return badRequest("%d channels are open, the most the agent serves at once; close some first", maxChannels)
	}
	ch.id = id
	cs.all[id] = ch
	return nil
}

func (cs *channels) get(id uint32) *channel {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.all[id]
}

func (cs *channels) remove(id uint32) *channel {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	ch := cs.all[id]
	delete(cs.all, id)
	return ch
}

func (cs *channels) list() []*channel {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	list := make([]*channel, 0, len(cs.all))
	for _, ch := range cs.all {
		list = append(list, ch)
	}
	return list
}

func noSuchChannel(id uint32) error {
	return newErr("NO_SUCH_CHANNEL", "no channel %d (never opened, or already ended)", id)
}
