package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
)

func rawFrame(kind byte, payload []byte) []byte {
	b := make([]byte, 5, 5+len(payload))
	binary.BigEndian.PutUint32(b, uint32(len(payload)+1))
	b[4] = kind
	return append(b, payload...)
}

func TestFramesRoundTrip(t *testing.T) {
	var stream bytes.Buffer
	stream.Write(encodeMessage([]byte(`{"id":1,"op":"ping"}`)))
	stream.Write(encodeBody([]byte(`{"id":2}`), []byte("body bytes")))
	data := dataFrame(7, streamStderr, 5)
	copy(data[10:], "hello")
	stream.Write(sealData(data, 5))

	f, err := readFrame(&stream)
	if err != nil || f.kind != kindMessage || string(f.json) != `{"id":1,"op":"ping"}` {
		t.Fatalf("message: %+v %v", f, err)
	}
	f, err = readFrame(&stream)
	if err != nil || f.kind != kindBody || string(f.json) != `{"id":2}` || string(f.body) != "body bytes" {
		t.Fatalf("body: %+v %v", f, err)
	}
	f, err = readFrame(&stream)
	if err != nil || f.kind != kindData || f.channel != 7 || f.stream != streamStderr || string(f.data) != "hello" {
		t.Fatalf("data: %+v %v", f, err)
	}
	if _, err = readFrame(&stream); err != io.EOF {
		t.Fatalf("end of stream between frames: %v", err)
	}
}

func TestFrameLimits(t *testing.T) {
	header := func(length uint32, kind byte) []byte {
		b := make([]byte, 5)
		binary.BigEndian.PutUint32(b, length)
		b[4] = kind
		return b
	}
	// Over-limit lengths are refused from the header alone, before allocating.
	for _, c := range []struct {
		length uint32
		kind   byte
	}{{maxMessageFrame + 1, kindMessage}, {maxMessageFrame + 1, kindData}, {maxBodyFrame + 1, kindBody}, {0xffffffff, kindBody}} {
		_, err := readFrame(bytes.NewReader(header(c.length, c.kind)))
		if !isProtocolError(err) || !strings.Contains(err.Error(), "over the limit") {
			t.Fatalf("length %d kind %d: %v", c.length, c.kind, err)
		}
	}
	// At the limit is fine.
	payload := make([]byte, maxMessageFrame-1)
	payload[5] = 'x'
	if _, err := readFrame(bytes.NewReader(rawFrame(kindData, payload))); err != nil {
		t.Fatalf("a data frame at the limit: %v", err)
	}
}

func TestMalformedFrames(t *testing.T) {
	cases := map[string][]byte{
		"zero length":            {0, 0, 0, 0, 1},
		"unknown kind":           rawFrame(9, []byte("{}")),
		"truncated header":       {0, 0, 0},
		"truncated payload":      append([]byte{0, 0, 0, 10, 1}, `{}`...),
		"not JSON":               rawFrame(kindMessage, []byte("hello")),
		"JSON but not object":    rawFrame(kindMessage, []byte("[1,2]")),
		"JSON null":              rawFrame(kindMessage, []byte("null")),
		"data without channel":   rawFrame(kindData, []byte{0, 0, 1}),
		"data on stream 3":       rawFrame(kindData, []byte{0, 0, 0, 1, 3, 'x'}),
		"body without length":    rawFrame(kindBody, []byte{0, 0}),
		"body JSON past its end": rawFrame(kindBody, []byte{0, 0, 0, 50, '{', '}'}),
	}
	for name, raw := range cases {
		if _, err := readFrame(bytes.NewReader(raw)); !isProtocolError(err) {
			t.Errorf("%s: %v, not a protocol error", name, err)
		}
	}
}

func isProtocolError(err error) bool {
	var pe *protocolError
	return errors.As(err, &pe)
}
