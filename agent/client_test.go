//go:build container

package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The real-container tests: the agent as PID 1 of a hardened container, spoken
// to over `docker start -ai` as the server would over the attach stream.

var agentBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "agent-go-test-")
	if err != nil {
		panic(err)
	}
	agentBinary = filepath.Join(dir, "code-sandbox-agent")
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", agentBinary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		panic(fmt.Sprintf("go build: %v\n%s", err, out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type message map[string]interface{}

type sandbox struct {
	t       testing.TB
	name    string
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan *reply
	events  chan message
	output  map[uint32]*bytes.Buffer
	noAck   map[uint32]bool
	exits   map[uint32]int
	changed chan struct{}
	stderr  bytes.Buffer
	closed  chan struct{}
}

type reply struct {
	msg  message
	body []byte
}

var containerSeq int

// startSandbox runs the agent in image with the project's hardening (see
// src/server/local-engine/container-spec.ts) and no network.
func startSandbox(t testing.TB, image string, extra ...string) *sandbox {
	t.Helper()
	containerSeq++
	name := fmt.Sprintf("agent-go-test-%d-%d", os.Getpid(), containerSeq)
	args := []string{"create", "--name", name, "-i", "--init=false",
		"--entrypoint", "/usr/local/lib/code-sandbox/code-sandbox-agent",
		"-v", agentBinary + ":/usr/local/lib/code-sandbox/code-sandbox-agent:ro",
		"--user", "1000:1000", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only",
		"--tmpfs", "/workspace:rw,exec,nosuid,nodev,size=16m,nr_inodes=4096,mode=0755,uid=1000,gid=1000",
		"--tmpfs", "/tmp:rw,exec,nosuid,nodev,size=16m,mode=1777",
		"--tmpfs", "/home/sandbox:rw,exec,nosuid,nodev,size=16m,mode=0700,uid=1000,gid=1000",
		"--memory", "512m", "--memory-swap", "512m", "--pids-limit", "256", "--network", "none",
		"-e", "HOME=/home/sandbox", "-w", "/workspace"}
	if _, err := os.Stat("/etc/code-sandbox/seccomp.json"); err == nil {
		args = append(args, "--security-opt", "seccomp=/etc/code-sandbox/seccomp.json")
	}
	args = append(append(args, extra...), image)
	if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
		t.Fatalf("docker create: %v\n%s", err, out)
	}
	s := &sandbox{t: t, name: name, pending: map[int64]chan *reply{}, events: make(chan message, 1024),
		output: map[uint32]*bytes.Buffer{}, noAck: map[uint32]bool{}, exits: map[uint32]int{}, changed: make(chan struct{}, 1), closed: make(chan struct{})}
	s.cmd = exec.Command("docker", "start", "-ai", name)
	s.cmd.Stderr = &s.stderr
	s.stdin, _ = s.cmd.StdinPipe()
	stdout, _ := s.cmd.StdoutPipe()
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.remove)
	go s.read(stdout)
	ready := s.event("ready", 30*time.Second)
	if ready["version"] != 1.0 {
		t.Fatalf("ready event: %v", ready)
	}
	return s
}

func (s *sandbox) remove() {
	s.stdin.Close()
	exec.Command("docker", "rm", "-f", s.name).Run()
	s.cmd.Wait()
	if s.t.Failed() {
		s.t.Logf("agent stderr:\n%s", s.stderr.String())
	}
}

func (s *sandbox) read(r io.Reader) {
	defer close(s.closed)
	for {
		f, err := readFrame(r)
		if err != nil {
			return
		}
		if f.kind == kindData {
			s.mu.Lock()
			buf := s.output[f.channel]
			if buf == nil {
				buf = &bytes.Buffer{}
				s.output[f.channel] = buf
			}
			buf.Write(f.data)
			ack := !s.noAck[f.channel]
			s.mu.Unlock()
			if ack {
				s.send(message{"op": "ack", "channel": f.channel, "bytes": len(f.data)}, nil)
			}
			s.notify()
			continue
		}
		var msg message
		json.Unmarshal(f.json, &msg)
		if id, ok := msg["id"].(float64); ok {
			s.mu.Lock()
			ch := s.pending[int64(id)]
			delete(s.pending, int64(id))
			s.mu.Unlock()
			ch <- &reply{msg, f.body}
			continue
		}
		switch msg["event"] {
		case "ack":
		case "exit":
			s.mu.Lock()
			s.exits[uint32(msg["channel"].(float64))] = int(msg["code"].(float64))
			s.mu.Unlock()
			s.notify()
		default:
			s.events <- msg
		}
	}
}

func (s *sandbox) notify() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *sandbox) send(msg message, body []byte) {
	js, _ := json.Marshal(msg)
	var frame []byte
	if body != nil {
		frame = encodeBody(js, body)
	} else {
		frame = encodeMessage(js)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stdin.Write(frame)
}

func (s *sandbox) sendData(channel uint32, data []byte) {
	frame := dataFrame(channel, streamIn, len(data))
	copy(frame[10:], data)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stdin.Write(sealData(frame, len(data)))
}

// call sends a request and waits for its response.
func (s *sandbox) call(op string, fields message, body []byte) *reply {
	s.t.Helper()
	return s.wait(op, s.request(op, fields, body))
}

// request sends a request; wait waits for its response.
func (s *sandbox) request(op string, fields message, body []byte) chan *reply {
	s.mu.Lock()
	s.nextID++
	id := s.nextID
	ch := make(chan *reply, 1)
	s.pending[id] = ch
	s.mu.Unlock()
	msg := message{"id": id, "op": op}
	for k, v := range fields {
		msg[k] = v
	}
	s.send(msg, body)
	return ch
}

func (s *sandbox) wait(op string, ch chan *reply) *reply {
	s.t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(30 * time.Second):
		s.t.Fatalf("no response to %s", op)
	case <-s.closed:
		s.t.Fatalf("the agent's stdout closed before it answered %s", op)
	}
	return nil
}

func (s *sandbox) ok(op string, fields message, body []byte) *reply {
	s.t.Helper()
	r := s.call(op, fields, body)
	if r.msg["ok"] != true {
		s.t.Fatalf("%s %v failed: %v", op, fields, r.msg["error"])
	}
	return r
}

// fails checks that a request fails with code, returning the message.
func (s *sandbox) fails(code, op string, fields message, body []byte) string {
	s.t.Helper()
	r := s.call(op, fields, body)
	if r.msg["ok"] != false {
		s.t.Fatalf("%s %v succeeded; expected %s", op, fields, code)
	}
	e := r.msg["error"].(map[string]interface{})
	if e["code"] != code {
		s.t.Fatalf("%s %v failed with %v; expected %s", op, fields, e, code)
	}
	return e["message"].(string)
}

// event waits for the next event of a kind, dropping others.
func (s *sandbox) event(kind string, timeout time.Duration) message {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-s.events:
			if e["event"] == kind {
				return e
			}
		case <-deadline:
			s.t.Fatalf("no %s event within %v", kind, timeout)
		case <-s.closed:
			s.t.Fatalf("the agent's stdout closed while waiting for a %s event", kind)
		}
	}
}

var nextChannel uint32 = 100

func (s *sandbox) spawn(cmd []string, fields message) uint32 {
	s.t.Helper()
	nextChannel++
	msg := message{"channel": nextChannel, "cmd": cmd, "cwd": "."}
	for k, v := range fields {
		msg[k] = v
	}
	s.ok("spawn", msg, nil)
	return nextChannel
}

func (s *sandbox) out(channel uint32) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if buf := s.output[channel]; buf != nil {
		return buf.String()
	}
	return ""
}

// waitExit waits for the channel's exit event and returns its code.
func (s *sandbox) waitExit(channel uint32) int {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s.mu.Lock()
		code, done := s.exits[channel]
		s.mu.Unlock()
		if done {
			return code
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("channel %d did not exit; output so far: %q", channel, s.out(channel))
		}
		select {
		case <-s.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// run spawns a command, waits for it and returns its exit code and output.
func (s *sandbox) run(cmd ...string) (int, string) {
	s.t.Helper()
	ch := s.spawn(cmd, nil)
	code := s.waitExit(ch)
	return code, s.out(ch)
}

func (s *sandbox) waitOutput(channel uint32, want string) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.out(channel), want) {
		if time.Now().After(deadline) {
			s.t.Fatalf("channel %d never printed %q; got %q", channel, want, s.out(channel))
		}
		select {
		case <-s.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func u32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
