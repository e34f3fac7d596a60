//go:build container

package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const baseImage = "code-sandbox/base:trixie"

// The images the agent must run in: the base image, and one without Node and
// perl (scripts/setup.sh agent builds it).
func images(t *testing.T) []string {
	list := []string{baseImage}
	if img := os.Getenv("AGENT_MINIMAL_IMAGE"); img != "" {
		list = append(list, img)
	}
	for _, img := range list {
		if exec.Command("docker", "image", "inspect", img).Run() != nil {
			t.Fatalf("image %s is missing; run: bash scripts/setup.sh docker agent", img)
		}
	}
	return list
}

func TestProcesses(t *testing.T) {
	for _, image := range images(t) {
		t.Run(image, func(t *testing.T) {
			s := startSandbox(t, image)
			r := s.ok("hello", message{"version": 1}, nil)
			if res := r.msg["result"].(map[string]interface{}); res["pid"] != 1.0 {
				t.Fatalf("the agent is not PID 1: %v", res)
			}
			if code, out := s.run("echo", "hello"); code != 0 || out != "hello\n" {
				t.Fatalf("echo: %d %q", code, out)
			}
			if code, _ := s.run("sh", "-c", "exit 3"); code != 3 {
				t.Fatalf("exit 3 gave %d", code)
			}
			if code, _ := s.run("sh", "-c", "kill -TERM $$"); code != 143 {
				t.Fatalf("SIGTERM gave %d, not 143", code)
			}
			ch := s.spawn([]string{"sh", "-c", "echo out; echo err >&2"}, nil)
			s.waitExit(ch)
			if got := s.out(ch); !strings.Contains(got, "out") || !strings.Contains(got, "err") {
				t.Fatalf("stdout and stderr: %q", got)
			}
			msg := s.fails("SPAWN_FAILED", "spawn", message{"channel": 9, "cmd": []string{"no-such-command"}, "cwd": "."}, nil)
			if !strings.Contains(msg, "not found") {
				t.Fatalf("missing command: %s", msg)
			}
			// A kill sent right behind its spawn, before the answer, is not missed.
			nextChannel++
			spawned := s.request("spawn", message{"channel": nextChannel, "cmd": []string{"sleep", "1000"}, "cwd": "."}, nil)
			killed := s.request("kill", message{"channel": nextChannel, "signal": "SIGKILL"}, nil)
			if r := s.wait("spawn", spawned); r.msg["ok"] != true || s.wait("kill", killed).msg["ok"] != true {
				t.Fatalf("spawn then kill: %v", r.msg)
			}
			if code := s.waitExit(nextChannel); code != 137 {
				t.Fatalf("kill right after spawn gave %d, not 137", code)
			}
			s.fails("BAD_REQUEST", "frobnicate", nil, nil)
			s.ok("ping", nil, nil) // still serving after a bad request
		})
	}
}

func TestStdinAndTerminal(t *testing.T) {
	for _, image := range images(t) {
		t.Run(image, func(t *testing.T) {
			s := startSandbox(t, image)
			cat := s.spawn([]string{"cat"}, nil)
			s.sendData(cat, []byte("typed into stdin\n"))
			s.ok("close-stdin", message{"channel": cat}, nil)
			if code := s.waitExit(cat); code != 0 || s.out(cat) != "typed into stdin\n" {
				t.Fatalf("cat: %d %q", code, s.out(cat))
			}
			term := s.spawn([]string{"sh", "-c", "stty size; read line; stty size; echo got:$line; tty"},
				message{"terminal": message{"cols": 100, "rows": 30}})
			s.waitOutput(term, "30 100")
			s.ok("resize", message{"channel": term, "cols": 120, "rows": 40}, nil)
			s.sendData(term, []byte("abc\r"))
			if code := s.waitExit(term); code != 0 {
				t.Fatalf("terminal exit %d: %q", code, s.out(term))
			}
			out := s.out(term)
			if !strings.Contains(out, "40 120") || !strings.Contains(out, "got:abc") || !strings.Contains(out, "/dev/pts/") {
				t.Fatalf("terminal output: %q", out)
			}
			// Ctrl-C on the terminal reaches the foreground command.
			sleep := s.spawn([]string{"sleep", "1000"}, message{"terminal": message{"cols": 80, "rows": 24}})
			time.Sleep(300 * time.Millisecond)
			s.sendData(sleep, []byte{3})
			if code := s.waitExit(sleep); code != 130 {
				t.Fatalf("Ctrl-C gave %d, not 130", code)
			}
		})
	}
}

// A process that double-forks, calls setsid and clears its environment is still
// killed with the command that started it, and with its end, in every image
// (the minimal one has no perl and no ps: nothing of the image's is needed).
func TestKillReachesEscapedChildren(t *testing.T) {
	for _, image := range images(t) {
		t.Run(image, func(t *testing.T) { killReachesEscapedChildren(t, startSandbox(t, image)) })
	}
}

func killReachesEscapedChildren(t *testing.T, s *sandbox) {
	script := `(env -i setsid sh -c 'sleep 1000 & echo $! > /workspace/escaped.pid; wait' &) ; sleep 1000`
	ch := s.spawn([]string{"sh", "-c", script}, nil)
	pid := waitPidFile(s, "escaped.pid")
	s.ok("kill", message{"channel": ch, "signal": "SIGKILL"}, nil)
	if code := s.waitExit(ch); code != 137 {
		t.Fatalf("SIGKILL gave %d, not 137", code)
	}
	if code, _ := s.run("sh", "-c", "kill -0 "+pid); code == 0 {
		t.Fatalf("the escaped sleep %s survived the kill", pid)
	}
	// The same escape, with the command exiting by itself.
	s.ok("delete", message{"path": "escaped.pid"}, nil)
	ch = s.spawn([]string{"sh", "-c", strings.Replace(script, "; sleep 1000", "; sleep 0.5", 1)}, nil)
	pid = waitPidFile(s, "escaped.pid")
	if code := s.waitExit(ch); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if code, _ := s.run("sh", "-c", "kill -0 "+pid); code == 0 {
		t.Fatalf("the escaped sleep %s outlived its command", pid)
	}
	if code, out := s.run("sh", "-c", "cat /proc/[0-9]*/status 2>/dev/null | grep -c '^State:[[:space:]]*Z' || true"); code != 0 || strings.TrimSpace(out) != "0" {
		t.Fatalf("zombies left: %q", out)
	}
	s.ok("kill", message{"channel": ch, "signal": "SIGTERM"}, nil) // harmless after exit
}

func waitPidFile(s *sandbox, name string) string {
	s.t.Helper()
	for i := 0; i < 100; i++ {
		r := s.call("read-file", message{"path": name, "maxBytes": 100}, nil)
		if r.msg["ok"] == true && len(bytes.TrimSpace(r.body)) > 0 {
			return string(bytes.TrimSpace(r.body))
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("%s never appeared", name)
	return ""
}

func TestFiles(t *testing.T) {
	for _, image := range images(t) {
		t.Run(image, func(t *testing.T) {
			s := startSandbox(t, image)
			s.ok("write-file", message{"path": "src/deep/a.txt", "maxBytes": 1000}, []byte("contents"))
			if r := s.ok("read-file", message{"path": "src/deep/a.txt", "maxBytes": 1000}, nil); string(r.body) != "contents" {
				t.Fatalf("read back %q", r.body)
			}
			if code, out := s.run("cat", "/workspace/src/deep/a.txt"); code != 0 || out != "contents" {
				t.Fatalf("the sandbox sees %d %q", code, out)
			}
			r := s.ok("readdir", message{"path": "src"}, nil)
			entries := fmt.Sprint(r.msg["result"])
			if entries != "map[entries:[map[kind:directory name:deep]]]" {
				t.Fatalf("readdir: %s", entries)
			}
			s.run("sh", "-c", "ln -s /etc/passwd out; ln -s loop2 loop1; ln -s loop1 loop2; ln -s src/deep inside; mkfifo fifo")
			if r := s.ok("read-file", message{"path": "inside/a.txt"}, nil); string(r.body) != "contents" {
				t.Fatalf("through an inside symlink: %q", r.body)
			}
			for _, path := range []string{"../etc/passwd", "/etc/passwd", "a\x00b", "out", "loop1/x", "src", "fifo", "src/deep/a.txt/x"} {
				s.fails("INVALID_PATH", "read-file", message{"path": path}, nil)
			}
			s.fails("INVALID_PATH", "write-file", message{"path": "out"}, []byte("x"))
			s.fails("INVALID_PATH", "write-file", message{"path": "../escape"}, []byte("x"))
			s.fails("FILE_NOT_FOUND", "read-file", message{"path": "missing"}, nil)
			s.fails("LIMIT_EXCEEDED", "read-file", message{"path": "src/deep/a.txt", "maxBytes": 3}, nil)
			s.fails("LIMIT_EXCEEDED", "write-file", message{"path": "big", "maxBytes": 3}, []byte("four"))
			// The workspace tmpfs is 16 MiB.
			s.fails("LIMIT_EXCEEDED", "write-file", message{"path": "huge", "maxBytes": 32 << 20}, make([]byte, 20<<20))
			if code, out := s.run("ls", "-A", "/workspace"); code != 0 || strings.Contains(out, "tmp") {
				t.Fatalf("a failed write left %q", out)
			}
			s.ok("delete", message{"path": "out"}, nil)
			if code, _ := s.run("test", "-f", "/etc/passwd"); code != 0 {
				t.Fatal("deleting a symlink went through it")
			}
			s.ok("delete", message{"path": "src"}, nil)
			s.fails("FILE_NOT_FOUND", "delete", message{"path": "src"}, nil)
			s.fails("INVALID_PATH", "delete", message{"path": "."}, nil)
		})
	}
}

func TestTar(t *testing.T) {
	s := startSandbox(t, baseImage)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "pkg/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "pkg/run.sh", Typeflag: tar.TypeReg, Mode: 0o755, Size: 15})
	tw.Write([]byte("echo from tar\n\n"))
	tw.WriteHeader(&tar.Header{Name: "pkg/link", Typeflag: tar.TypeSymlink, Linkname: "run.sh"})
	tw.Close()
	s.ok("untar", message{"maxFileBytes": 1000}, buf.Bytes())
	if code, out := s.run("sh", "/workspace/pkg/link"); code != 0 || out != "from tar\n" {
		t.Fatalf("untarred script: %d %q", code, out)
	}
	if code, _ := s.run("test", "-x", "/workspace/pkg/run.sh"); code != 0 {
		t.Fatal("the mode was lost")
	}
	r := s.ok("tar", message{"paths": []string{"pkg"}}, nil)
	names := tarNames(t, r.body)
	if names != "pkg/ pkg/link pkg/run.sh" {
		t.Fatalf("tar of pkg: %s", names)
	}
	s.run("ln", "-s", "/etc", "/workspace/etc")
	for name, hdr := range map[string]tar.Header{
		"dotdot":       {Name: "../evil", Typeflag: tar.TypeReg},
		"absolute":     {Name: "/tmp/evil", Typeflag: tar.TypeReg},
		"symlink out":  {Name: "evil", Typeflag: tar.TypeSymlink, Linkname: "../../etc/passwd"},
		"through link": {Name: "etc/evil", Typeflag: tar.TypeReg},
		"device":       {Name: "dev", Typeflag: tar.TypeChar},
	} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&hdr)
		tw.Close()
		if r := s.call("untar", message{}, buf.Bytes()); r.msg["ok"] != false {
			t.Fatalf("untar %s was accepted", name)
		}
	}
	if code, _ := s.run("test", "-e", "/workspace/evil"); code == 0 {
		t.Fatal("a refused entry was written")
	}
}

func tarNames(t *testing.T, archive []byte) string {
	tr := tar.NewReader(bytes.NewReader(archive))
	var names []string
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, hdr.Name)
	}
	return strings.Join(names, " ")
}

func TestPortsAndForwarding(t *testing.T) {
	s := startSandbox(t, baseImage)
	server := s.spawn([]string{"python3", "-m", "http.server", "4321", "--bind", "127.0.0.1"}, nil)
	open := s.event("port", 30*time.Second)
	if open["port"] != 4321.0 || open["state"] != "open" || open["address"] != "127.0.0.1" {
		t.Fatalf("port event: %v", open)
	}
	s.ok("write-file", message{"path": "index.html"}, []byte("served through the agent"))
	nextChannel++
	conn := nextChannel
	s.ok("connect", message{"channel": conn, "port": 4321}, nil)
	s.sendData(conn, []byte("GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n"))
	s.ok("shutdown", message{"channel": conn}, nil)
	if e := s.event("end", 30*time.Second); e["channel"] != float64(conn) {
		t.Fatalf("end event: %v", e)
	}
	if out := s.out(conn); !strings.HasPrefix(out, "HTTP/1.0 200") || !strings.HasSuffix(out, "served through the agent") {
		t.Fatalf("HTTP through the channel: %q", out)
	}
	s.ok("close", message{"channel": conn}, nil)
	nextChannel++
	s.fails("CONNECT_REFUSED", "connect", message{"channel": nextChannel, "port": 4322}, nil)
	s.ok("kill", message{"channel": server, "signal": "SIGTERM"}, nil)
	closed := s.event("port", 30*time.Second)
	if closed["port"] != 4321.0 || closed["state"] != "closed" {
		t.Fatalf("port event: %v", closed)
	}
	s.waitExit(server)
}

// A process printing without end, with the server not acking, stops at the
// window: the agent does not buffer its output.
func TestFlowControl(t *testing.T) {
	s := startSandbox(t, baseImage)
	nextChannel++
	loud := nextChannel
	s.mu.Lock()
	s.noAck[loud] = true
	s.mu.Unlock()
	s.ok("spawn", message{"channel": loud, "cmd": []string{"yes", "flow control"}, "cwd": "."}, nil)
	s.waitOutput(loud, strings.Repeat("flow control\n", 1000))
	time.Sleep(2 * time.Second)
	got := len(s.out(loud))
	if got != window {
		t.Fatalf("received %d bytes unacked; the window is %d", got, window)
	}
	code, status := s.run("cat", "/proc/1/status")
	if code != 0 {
		t.Fatalf("cat /proc/1/status: %d", code)
	}
	rss := statusKB(status, "VmRSS")
	t.Logf("agent RSS with a stalled channel: %d KiB", rss)
	if rss > 40<<10 {
		t.Fatalf("the agent holds %d KiB with one stalled channel", rss)
	}
	// Acking lets it go on; other channels flowed meanwhile (the run above).
	s.send(message{"op": "ack", "channel": loud, "bytes": window}, nil)
	s.waitOutput(loud, strings.Repeat("flow control\n", 100000))
	s.ok("kill", message{"channel": loud, "signal": "SIGKILL"}, nil)
	s.mu.Lock()
	s.noAck[loud] = false
	s.mu.Unlock()
	s.send(message{"op": "ack", "channel": loud, "bytes": window}, nil)
	if code := s.waitExit(loud); code != 137 {
		t.Fatalf("exit %d", code)
	}
}

func statusKB(status, field string) int {
	for _, line := range strings.Split(status, "\n") {
		if strings.HasPrefix(line, field+":") {
			n, _ := strconv.Atoi(strings.Fields(line)[1])
			return n
		}
	}
	return -1
}

// What a hostile process in the sandbox tries against PID 1.
func TestHostileProcessCannotReachTheAgent(t *testing.T) {
	for _, image := range images(t) {
		t.Run(image, func(t *testing.T) {
			s := startSandbox(t, image)
			for _, sig := range []string{"KILL", "INT", "HUP", "QUIT", "USR1", "SEGV", "STOP"} {
				s.run("sh", "-c", "kill -"+sig+" 1")
			}
			s.ok("ping", nil, nil)
			if code, out := s.run("echo", "still serving"); code != 0 || out != "still serving\n" {
				t.Fatalf("after signals: %d %q", code, out)
			}
			if code, out := s.run("cat", "/proc/self/oom_score_adj", "/proc/1/oom_score_adj"); code != 0 || out != "500\n0\n" {
				t.Fatalf("the OOM killer should prefer sandbox processes to the agent: %q", out)
			}
			if code, _ := s.run("sh", "-c", "echo injected > /proc/1/fd/1"); code == 0 {
				t.Fatal("a sandbox process wrote to the agent's stdout")
			}
			if code, _ := s.run("sh", "-c", "cat /proc/1/fd/0"); code == 0 {
				t.Fatal("a sandbox process read the agent's stdin")
			}
			if code, _ := s.run("sh", "-c", "cat /proc/1/environ"); code == 0 {
				t.Fatal("a sandbox process read the agent's environment")
			}
			s.ok("ping", nil, nil)
		})
	}
}

// A sandbox process can kill a reaper (same user); what it left is re-parented
// to PID 1, which reaps it once it ends, and the channel still gets its exit.
func TestPid1ReapsWhatItInherits(t *testing.T) {
	s := startSandbox(t, baseImage)
	victim := s.spawn([]string{"sh", "-c", "sleep 1000 & echo $$ $! > /workspace/pids; wait"}, nil)
	pids := strings.Fields(waitPidFile(s, "pids"))
	if code, out := s.run("sh", "-c", "kill -9 $(ps -o ppid= -p "+pids[0]+")"); code != 0 {
		t.Fatalf("killing the reaper: %d %q", code, out)
	}
	if code := s.waitExit(victim); code != 137 {
		t.Fatalf("the channel of a killed reaper exited %d, not 137", code)
	}
	if code, out := s.run("ps", "-o", "ppid=", "-p", pids[0]); code != 0 || strings.TrimSpace(out) != "1" {
		t.Fatalf("the orphan's parent: %d %q", code, out)
	}
	s.run("sh", "-c", "kill -9 "+pids[0]+" "+pids[1])
	time.Sleep(300 * time.Millisecond)
	if code, out := s.run("sh", "-c", "ps -eo stat=,pid=,comm= | grep '^Z' || true"); code != 0 || strings.TrimSpace(out) != "" {
		t.Fatalf("zombies left under PID 1: %q", out)
	}
	s.ok("ping", nil, nil)
}

// A fork bomb fills the pids limit (256 here) with its parent alive: the agent,
// whose threads count against the same limit, keeps serving. A spawn while the
// sandbox is full fails with LIMIT_EXCEEDED, killing the bomb ends all of it,
// and the sandbox runs commands again.
func TestForkBombLeavesTheAgentServing(t *testing.T) {
	s := startSandbox(t, baseImage)
	if code, out := s.run("sh", "-c", "ls /proc/1/task | wc -l"); code != 0 || atoi(t, out) < reservedThreads {
		t.Fatalf("the agent runs %q threads, fewer than the %d it reserves", out, reservedThreads)
	}
	// The parent execs its sleep: a fork there can fail once the bomb is full, ending the parent (exit 2) too early.
	bomb := s.spawn([]string{"bash", "-c", "exec 2>/dev/null; :(){ :|:& };:; exec sleep 1000"}, nil)
	deadline := time.Now().Add(30 * time.Second)
	for pidsInUse(t, s.name) < 250 {
		if time.Now().After(deadline) {
			t.Fatalf("the bomb never filled the pids limit: %d in use", pidsInUse(t, s.name))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Requests that each take a thread of the agent for a moment, all at once.
	var calls []chan *reply
	for i := 0; i < 32; i++ {
		calls = append(calls, s.request("write-file", message{"path": fmt.Sprintf("f%d", i)}, bytes.Repeat([]byte("x"), 256<<10)))
	}
	for _, call := range calls {
		if r := s.wait("write-file", call); r.msg["ok"] != true {
			t.Fatalf("a file write during the bomb: %v", r.msg)
		}
	}
	limited := 0
	for i := 0; i < 5; i++ {
		nextChannel++
		r := s.wait("spawn", s.request("spawn", message{"channel": nextChannel, "cmd": []string{"true"}, "cwd": "."}, nil))
		if r.msg["ok"] == true {
			s.waitExit(nextChannel)
			continue
		}
		if code := r.msg["error"].(map[string]interface{})["code"]; code != "LIMIT_EXCEEDED" {
			t.Fatalf("a spawn in a full sandbox failed with %v, not LIMIT_EXCEEDED", r.msg["error"])
		}
		limited++
	}
	if limited == 0 {
		t.Fatalf("no spawn met the full pids limit")
	}
	s.ok("kill", message{"channel": bomb, "signal": "SIGKILL"}, nil)
	if code := s.waitExit(bomb); code != 137 {
		t.Fatalf("the bomb exited %d, not 137", code)
	}
	if code, out := s.run("echo", "alive"); code != 0 || out != "alive\n" {
		t.Fatalf("after the bomb: %d %q", code, out)
	}
	if _, out := s.run("sh", "-c", "ps -eo comm= | grep -cxE 'bash|sleep'"); strings.TrimSpace(out) != "0" {
		t.Fatalf("%s of the bomb's processes are left after it was killed", strings.TrimSpace(out))
	}
}

// pidsInUse is the container's pids count as Docker reports it (processes and threads).
func pidsInUse(t *testing.T, name string) int {
	out, err := exec.Command("docker", "stats", "--no-stream", "--format", "{{.PIDs}}", name).Output()
	if err != nil {
		t.Fatalf("docker stats: %v", err)
	}
	return atoi(t, string(out))
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
