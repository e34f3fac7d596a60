package main

import (
	"bufio"
	"encoding/json"
	"io"
	"log"
	"os"
	"sync"
)

// output is the one writer of stdout: every frame goes through its queue, so
// frames never interleave. The queue holds at most what the per-channel credit
// windows allow, plus messages.
type output struct {
	mu     sync.Mutex
	cond   *sync.Cond
	queue  [][]byte
	closed bool
}

func newOutput(w io.Writer) *output {
	o := &output{}
	o.cond = sync.NewCond(&o.mu)
	go o.run(bufio.NewWriterSize(w, 128<<10))
	return o
}

func (o *output) run(w *bufio.Writer) {
	for {
		o.mu.Lock()
		for len(o.queue) == 0 {
			o.cond.Wait()
		}
		batch := o.queue
		o.queue = nil
		o.mu.Unlock()
		for _, frame := range batch {
			if _, err := w.Write(frame); err != nil {
				log.Printf("stdout is gone (%v); exiting", err)
				os.Exit(1)
			}
		}
		if err := w.Flush(); err != nil {
			log.Printf("stdout is gone (%v); exiting", err)
			os.Exit(1)
		}
	}
}

func (o *output) send(frame []byte) {
	o.mu.Lock()
	o.queue = append(o.queue, frame)
	o.mu.Unlock()
	o.cond.Signal()
}

func mustJSON(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only the agent's own types are marshalled
	}
	return b
}

func (o *output) event(v interface{}) { o.send(encodeMessage(mustJSON(v))) }

type okResponse struct {
	ID     int64       `json:"id"`
	OK     bool        `json:"ok"`
	Result interface{} `json:"result"`
}

type errResponse struct {
	ID    int64    `json:"id"`
	OK    bool     `json:"ok"`
	Error *opError `json:"error"`
}

type empty struct{}

func (o *output) reply(id int64, result interface{}, err error) {
	if err != nil {
		o.send(encodeMessage(mustJSON(errResponse{ID: id, Error: asOpError(err)})))
		return
	}
	if result == nil {
		result = empty{}
	}
	o.send(encodeMessage(mustJSON(okResponse{ID: id, OK: true, Result: result})))
}

func (o *output) replyBody(id int64, result interface{}, body []byte) {
	o.send(encodeBody(mustJSON(okResponse{ID: id, OK: true, Result: result}), body))
}
