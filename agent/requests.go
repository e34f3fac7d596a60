package main

import (
	"encoding/json"
	"errors"
	"io"
	"log"
	"os"
)

// request is any server message: the op says which fields matter.
type request struct {
	ID           int64    `json:"id"`
	Op           string   `json:"op"`
	Version      int      `json:"version"`
	Channel      uint32   `json:"channel"`
	Cols         uint16   `json:"cols"`
	Rows         uint16   `json:"rows"`
	Signal       string   `json:"signal"`
	Path         string   `json:"path"`
	Paths        []string `json:"paths"`
	MaxBytes     int64    `json:"maxBytes"`
	MaxFileBytes int64    `json:"maxFileBytes"`
	Port         int      `json:"port"`
	Host         string   `json:"host"`
	Bytes        int      `json:"bytes"`
	spawnRequest
}

type helloResult struct {
	Version int    `json:"version"`
	Agent   string `json:"agent"`
	Pid     int    `json:"pid"`
}

type ackEvent struct {
	Event   string `json:"event"`
	Channel uint32 `json:"channel"`
	Bytes   int    `json:"bytes"`
}

func (a *agent) ackEvent(ch uint32, n int) {
	if n > 0 {
		a.out.event(ackEvent{Event: "ack", Channel: ch, Bytes: n})
	}
}

// serve reads frames until stdin ends (io.EOF) or the server breaks the protocol.
func (a *agent) serve(r io.Reader) error {
	for {
		f, err := readFrame(r)
		if err != nil {
			return err
		}
		if f.kind == kindData {
			if err := a.data(f); err != nil {
				return err
			}
			continue
		}
		var req request
		err = json.Unmarshal(f.json, &req)
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr):
			a.refuse(&req, badRequest("field %q has the wrong type (%s, expected %s)", typeErr.Field, typeErr.Value, typeErr.Type))
		case err != nil:
			return protoErr("message is not valid JSON: %v", err)
		case req.ID <= 0 && req.Op != "ack":
			log.Printf("refused a message without a positive id: %.200s", f.json)
		default:
			a.handle(&req, f.body)
		}
	}
}

func (a *agent) refuse(req *request, err error) {
	if req.ID > 0 {
		a.out.reply(req.ID, nil, err)
	} else {
		log.Printf("refused a message: %v", err)
	}
}

// data queues bytes for a process's stdin or a TCP connection.
func (a *agent) data(f *frame) error {
	if f.stream != streamIn {
		return protoErr("data frame for channel %d on stream %d; the server sends only stream 0", f.channel, f.stream)
	}
	ch := a.channels.get(f.channel)
	if ch == nil {
		return nil // the channel ended meanwhile: nothing to write to
	}
	if !ch.in.push(f.data) {
		return protoErr("the server sent more than %d unacknowledged bytes on channel %d", window, f.channel)
	}
	return nil
}

// handle answers one request. Quick ops answer in order; spawn and connect
// register their channel before the next frame is read; file ops run on their own.
func (a *agent) handle(req *request, body []byte) {
	id := req.ID
	switch req.Op {
	case "hello":
		if req.Version != protocolVersion {
			a.out.reply(id, nil, badRequest("protocol version %d is not served; this agent speaks version %d", req.Version, protocolVersion))
			return
		}
		a.out.reply(id, helloResult{Version: protocolVersion, Agent: agentName, Pid: os.Getpid()}, nil)
	case "ping":
		a.out.reply(id, nil, nil)
	case "ack":
		if ch := a.channels.get(req.Channel); ch != nil {
			ch.out.give(req.Bytes)
		}
	case "spawn":
		req.spawnRequest.Channel = req.Channel // the outer field shadows the embedded one
		a.spawn(id, &req.spawnRequest)
	case "resize":
		a.out.reply(id, nil, a.resize(req.Channel, req.Cols, req.Rows))
	case "kill":
		a.kill(id, req.Channel, req.Signal)
	case "close-stdin", "shutdown":
		a.out.reply(id, nil, a.closeInput(req.Channel))
	case "connect":
		a.connect(id, req.Channel, req.Host, req.Port)
	case "close":
		a.out.reply(id, nil, a.closeConn(req.Channel))
	default:
		a.fileOp(req, body)
	}
}

// fileOp runs a workspace file operation on its own goroutine: a large tar must
// not hold up other requests.
func (a *agent) fileOp(req *request, body []byte) {
	id := req.ID
	var run func()
	switch req.Op {
	case "write-file":
		run = func() { a.out.reply(id, nil, writeFile(req.Path, req.MaxBytes, body)) }
	case "read-file":
		run = func() {
			data, err := readFile(req.Path, req.MaxBytes)
			a.replyWithBody(id, data, err)
		}
	case "delete":
		run = func() { a.out.reply(id, nil, deletePath(req.Path)) }
	case "readdir":
		run = func() {
			entries, err := readdir(req.Path)
			a.out.reply(id, entries, err)
		}
	case "untar":
		run = func() { a.out.reply(id, nil, untar(body, req.MaxFileBytes)) }
	case "tar":
		run = func() {
			archive, err := tarPaths(req.Paths)
			a.replyWithBody(id, archive, err)
		}
	default:
		a.out.reply(id, nil, badRequest("unknown op %q", req.Op))
		return
	}
	go run()
}

func (a *agent) replyWithBody(id int64, body []byte, err error) {
	if err != nil {
		a.out.reply(id, nil, err)
		return
	}
	a.out.replyBody(id, sizeResult{Size: int64(len(body))}, body)
}

// closeInput ends a channel's input once what is queued is written: stdin EOF
// for a process, a half-close for a TCP connection.
func (a *agent) closeInput(chID uint32) error {
	ch := a.channels.get(chID)
	if ch == nil {
		return noSuchChannel(chID)
	}
	ch.in.finish()
	return nil
}
