package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
)

// Frame kinds (docs/agent-protocol.md): a JSON message, channel data, or a JSON
// message followed by a body (file contents, tar archives).
const (
	kindMessage = 1
	kindData    = 2
	kindBody    = 3
)

// Data streams: into the sandbox, and the two ways out.
const (
	streamIn     = 0
	streamStdout = 1
	streamStderr = 2
)

const (
	maxMessageFrame = 1<<20 + 16      // kinds 1 and 2
	maxBodyFrame    = 64<<20 + 64<<10 // kind 3
	maxBody         = 64 << 20        // largest body the agent builds itself
	maxDataChunk    = 64 << 10        // largest data payload the agent sends
)

// frame is one decoded frame. For kind 2, channel/stream/data are set; for kinds 1
// and 3, json (and body for 3).
type frame struct {
	kind    byte
	json    []byte
	body    []byte
	channel uint32
	stream  byte
	data    []byte
}

// protocolError means the peer broke the framing: the connection cannot go on.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "protocol error: " + e.msg }

func protoErr(format string, args ...interface{}) error {
	return &protocolError{fmt.Sprintf(format, args...)}
}

// readFrame reads one frame, checking the length against the kind's limit before
// allocating, so a hostile length cannot make the agent allocate gigabytes.
func readFrame(r io.Reader) (*frame, error) {
	var head [5]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return nil, protoErr("truncated frame header")
		}
		return nil, err // io.EOF: the peer went away between frames
	}
	length := binary.BigEndian.Uint32(head[:4])
	kind := head[4]
	if length < 1 {
		return nil, protoErr("frame length 0 (it counts the kind byte)")
	}
	limit := uint32(maxMessageFrame)
	switch kind {
	case kindMessage, kindData:
	case kindBody:
		limit = maxBodyFrame
	default:
		return nil, protoErr("unknown frame kind %d", kind)
	}
	if length > limit {
		return nil, protoErr("frame of kind %d is %d bytes, over the limit of %d", kind, length, limit)
	}
	payload := make([]byte, length-1)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, protoErr("truncated frame: %v", err)
	}
	return decodePayload(kind, payload)
}

func decodePayload(kind byte, payload []byte) (*frame, error) {
	f := &frame{kind: kind}
	switch kind {
	case kindMessage:
		f.json = payload
	case kindData:
		if len(payload) < 5 {
			return nil, protoErr("data frame of %d bytes has no channel and stream", len(payload))
		}
		f.channel = binary.BigEndian.Uint32(payload)
		f.stream = payload[4]
		f.data = payload[5:]
		if f.stream > streamStderr {
			return nil, protoErr("data frame with unknown stream %d", f.stream)
		}
		return f, nil
	case kindBody:
		if len(payload) < 4 {
			return nil, protoErr("body frame of %d bytes has no JSON length", len(payload))
		}
		n := binary.BigEndian.Uint32(payload)
		if uint64(n) > uint64(len(payload)-4) {
			return nil, protoErr("body frame's JSON length %d is past its end", n)
		}
		f.json = payload[4 : 4+n]
		f.body = payload[4+n:]
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(f.json, &probe); err != nil || probe == nil {
		return nil, protoErr("message is not a JSON object: %.100q", f.json)
	}
	return f, nil
}

func header(length int, kind byte) []byte {
	b := make([]byte, 5, 5+length)
	binary.BigEndian.PutUint32(b, uint32(length+1))
	b[4] = kind
	return b
}

func encodeMessage(msg []byte) []byte {
	return append(header(len(msg), kindMessage), msg...)
}

func encodeBody(msg, body []byte) []byte {
	b := header(4+len(msg)+len(body), kindBody)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	b = append(append(b, n[:]...), msg...)
	return append(b, body...)
}

// dataFrame returns a frame buffer with room for n payload bytes at [10:], so a
// reader can read straight into it; trim it with the count read.
func dataFrame(channel uint32, stream byte, n int) []byte {
	b := make([]byte, 10+n)
	b[4] = kindData
	binary.BigEndian.PutUint32(b[5:], channel)
	b[9] = stream
	return b
}

// sealData sets the length of a dataFrame holding n payload bytes and returns it.
func sealData(b []byte, n int) []byte {
	b = b[:10+n]
	binary.BigEndian.PutUint32(b, uint32(6+n))
	return b
}
