package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// drainAfterExit bounds how long output is read after the command's tree ended
// (a process elsewhere may hold the pipe); time waiting for credit is not counted.
const drainAfterExit = 200 * time.Millisecond

// process is a spawned command under its reaper.
type process struct {
	reaper  *os.Process
	tty     *os.File      // the terminal's master side, or nil
	stdin   *os.File      // the write end of stdin's pipe, or nil
	outputs []*outPipe    // what the pumps read
	exited  chan int      // the reaper's status, from the zombie reaper
	started chan struct{} // closed once the reaper said whether the command runs
}

type spawnRequest struct {
	Channel  uint32            `json:"channel"`
	Cmd      []string          `json:"cmd"`
	Cwd      string            `json:"cwd"`
	Env      map[string]string `json:"env"`
	Terminal *struct {
		Cols uint16 `json:"cols"`
		Rows uint16 `json:"rows"`
	} `json:"terminal"`
}

type pidResult struct {
	Pid int `json:"pid"`
}

// spawn registers the channel at once (data for it may follow right away) and
// answers when the reaper says the command started or could not.
func (a *agent) spawn(id int64, req *spawnRequest) {
	if err := checkSpawn(req); err != nil {
		a.out.reply(id, nil, err)
		return
	}
	cwd, err := resolve(req.Cwd, true)
	if err == nil && !cwd.exists {
		err = fileErr(req.Cwd, syscall.ENOENT)
	}
	if err == nil {
		if info, serr := os.Stat(cwd.abs()); serr != nil || !info.IsDir() {
			err = invalidPath(req.Cwd, "the working folder %s is not a folder", quote(req.Cwd))
		}
	}
	if err != nil {
		a.out.reply(id, nil, err)
		return
	}
	ch := &channel{out: newCredit(), proc: &process{exited: make(chan int, 1), started: make(chan struct{})}}
	ch.in = newInbox(func(n int) { a.ackEvent(ch.id, n) })
	if err := a.channels.open(req.Channel, ch); err != nil {
		a.out.reply(id, nil, err)
		return
	}
	status, err := a.startReaper(ch, req, cwd.abs())
	if err != nil {
		a.channels.remove(ch.id)
		a.out.reply(id, nil, spawnErr(err))
		return
	}
	go a.runProcess(id, ch, status)
}

func checkSpawn(req *spawnRequest) error {
	if len(req.Cmd) == 0 || req.Cmd[0] == "" {
		return badRequest("spawn needs cmd: a non-empty argv array")
	}
	for _, arg := range req.Cmd {
		if strings.IndexByte(arg, 0) >= 0 {
			return badRequest("an argument of cmd contains a NUL byte")
		}
	}
	for k, v := range req.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.IndexByte(v, 0) >= 0 {
			return badRequest("env %q: names must be non-empty without '=' or NUL, values without NUL", k)
		}
	}
	if t := req.Terminal; t != nil && (t.Cols == 0 || t.Rows == 0) {
		return badRequest("terminal needs cols and rows of at least 1")
	}
	return nil
}

// startReaper starts `agent reap` with the command's stdio (a terminal or three
// pipes) and a status pipe on fd 3; it returns the status pipe's read end.
func (a *agent) startReaper(ch *channel, req *spawnRequest, cwd string) (*os.File, error) {
	p := ch.proc
	var childFiles []*os.File
	mode := "pipe"
	if t := req.Terminal; t != nil {
		master, slave, err := openPty(t.Cols, t.Rows)
		if err != nil {
			return nil, err
		}
		p.tty, mode = master, "tty"
		p.outputs = []*outPipe{{f: master, stream: streamStdout}}
		childFiles = []*os.File{slave, slave, slave}
	} else {
		files, err := pipes(3)
		if err != nil {
			return nil, err
		}
		p.stdin = files[0][1]
		p.outputs = []*outPipe{{f: files[1][0], stream: streamStdout}, {f: files[2][0], stream: streamStderr}}
		childFiles = []*os.File{files[0][0], files[1][1], files[2][1]}
	}
	statusR, statusW, err := os.Pipe()
	if err != nil {
		closeAll(childFiles...)
		p.closeFiles()
		return nil, err
	}
	attr := &os.ProcAttr{Dir: cwd, Env: mergeEnv(os.Environ(), req.Env), Files: append(childFiles, statusW)}
	argv := append([]string{"code-sandbox-agent", "reap", mode}, req.Cmd...)
	a.reapMu.Lock()
	reaper, err := os.StartProcess("/proc/self/exe", argv, attr)
	if err == nil {
		p.reaper = reaper
		a.reapers[reaper.Pid] = p
	}
	a.reapMu.Unlock()
	closeAll(append(childFiles, statusW)...)
	if err != nil {
		statusR.Close()
		p.closeFiles()
		return nil, fmt.Errorf("cannot start the process reaper: %w", err)
	}
	return statusR, nil
}

// runProcess answers the spawn from the reaper's status line, then relays the
// process's stdio until it exits and sends the exit event after its output.
func (a *agent) runProcess(id int64, ch *channel, status *os.File) {
	p := ch.proc
	line, _ := bufio.NewReader(status).ReadString('\n')
	status.Close()
	close(p.started)
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "ok ") {
		failure := newErr("SPAWN_FAILED", "%s", strings.TrimPrefix(line, "err "))
		<-p.exited
		if line == "" {
			failure = reaperLostErr()
		}
		p.closeFiles()
		a.channels.remove(ch.id)
		a.out.reply(id, nil, failure)
		return
	}
	pid, _ := strconv.Atoi(strings.TrimPrefix(line, "ok "))
	a.out.reply(id, pidResult{Pid: pid}, nil)

	var pumps sync.WaitGroup
	for _, o := range p.outputs {
		pumps.Add(1)
		go func(o *outPipe) {
			defer pumps.Done()
			a.pump(ch, o)
		}(o)
	}
	if p.tty != nil {
		go ch.in.drainTo(p.tty, func() { p.tty.Write([]byte{4}) }) // ^D: end of input on a terminal
	} else {
		go ch.in.drainTo(p.stdin, func() { p.stdin.Close() })
	}
	code := <-p.exited
	for _, o := range p.outputs {
		o.startDrain()
	}
	pumps.Wait()
	ch.in.stop()
	p.closeFiles()
	a.channels.remove(ch.id)
	ch.out.close()
	a.out.event(exitEvent{Event: "exit", Channel: ch.id, Code: code, OOMKills: oomKills()})
}

type exitEvent struct {
	Event    string `json:"event"`
	Channel  uint32 `json:"channel"`
	Code     int    `json:"code"`
	OOMKills *int   `json:"oomKills,omitempty"`
}

// kill signals everything under the channel's reaper: the command and whatever
// it started, double-forked and setsid'd included. A kill right after spawn waits
// until the command runs, so it is not missed.
func (a *agent) kill(id int64, chID uint32, name string) {
	sig, ok := map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGKILL": syscall.SIGKILL, "SIGINT": syscall.SIGINT,
		"SIGHUP": syscall.SIGHUP, "SIGQUIT": syscall.SIGQUIT}[name]
	if !ok {
		a.out.reply(id, nil, badRequest("signal %q: use SIGTERM, SIGKILL, SIGINT, SIGHUP or SIGQUIT", name))
		return
	}
	ch := a.channels.get(chID)
	if ch == nil || ch.proc == nil {
		a.out.reply(id, nil, nil) // harmless after exit
		return
	}
	go func() {
		<-ch.proc.started
		signalTree(ch.proc.reaper.Pid, sig)
		a.out.reply(id, nil, nil)
	}()
}

func (a *agent) resize(chID uint32, cols, rows uint16) error {
	ch := a.channels.get(chID)
	if ch == nil || ch.proc == nil {
		return noSuchChannel(chID)
	}
	if cols == 0 || rows == 0 {
		return badRequest("resize needs cols and rows of at least 1")
	}
	if ch.proc.tty == nil {
		return nil // no terminal: nothing to size
	}
	return resizePty(ch.proc.tty, cols, rows)
}

func (p *process) closeFiles() {
	closeAll(p.tty, p.stdin)
	for _, o := range p.outputs {
		if f, ok := o.f.(*os.File); ok && f != p.tty {
			closeAll(f)
		}
	}
}

func closeAll(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

// pipes makes n pipes, as [read, write] pairs.
func pipes(n int) ([][2]*os.File, error) {
	var made [][2]*os.File
	for i := 0; i < n; i++ {
		r, w, err := os.Pipe()
		if err != nil {
			for _, pair := range made {
				closeAll(pair[0], pair[1])
			}
			return nil, err
		}
		made = append(made, [2]*os.File{r, w})
	}
	return made, nil
}

// mergeEnv adds the request's variables to the agent's own, replacing same names.
func mergeEnv(base []string, add map[string]string) []string {
	env := make([]string, 0, len(base)+len(add))
	for _, kv := range base {
		if _, replaced := add[strings.SplitN(kv, "=", 2)[0]]; !replaced {
			env = append(env, kv)
		}
	}
	for k, v := range add {
		env = append(env, k+"="+v)
	}
	return env
}

// oomKills reads the container's OOM kill count (cgroup v2), when readable.
func oomKills() *int {
	data, err := os.ReadFile("/sys/fs/cgroup/memory.events")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) == 2 && fields[0] == "oom_kill" {
			if n, err := strconv.Atoi(fields[1]); err == nil {
				return &n
			}
		}
	}
	return nil
}
