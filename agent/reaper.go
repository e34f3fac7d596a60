package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"
)

const (
	prSetDumpable       = 4
	prSetChildSubreaper = 36
)

func prctl(option, arg uintptr) error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, option, arg, 0); errno != 0 {
		return errno
	}
	return nil
}

// reaperMain is `code-sandbox-agent reap tty|pipe cmd...`: a child subreaper that
// starts the command in a new session (the terminal on fd 0 as its controlling
// tty with `tty`), so whatever the command leaves behind, double-forked or not,
// is re-parented here and not to PID 1. It reports on fd 3 `ok <pid>` or
// `err <message>`, and exits with the command's status (128+N after signal N)
// once the command and everything left under it are gone.
func reaperMain(args []string) {
	// Under memory pressure the kernel kills the sandbox's processes (which
	// inherit this) before the agent: raising it needs no privilege, but must
	// come first (once not dumpable, /proc/self belongs to root). Best effort:
	// the reaper's stderr is the command's, so it has nowhere to log.
	os.WriteFile("/proc/self/oom_score_adj", []byte("500"), 0)
	prctl(prSetDumpable, 0)
	status := os.NewFile(3, "status")
	syscall.CloseOnExec(3)
	if err := prctl(prSetChildSubreaper, 1); err != nil {
		fmt.Fprintf(status, "err cannot become a subreaper: %v\n", err)
		os.Exit(127)
	}
	// Stray signals from the sandbox must not end the reaper; handled (not
	// ignored) signals are reset to the default for the command.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPIPE, syscall.SIGALRM)
	if len(args) < 2 {
		fmt.Fprintf(status, "err the reaper got no command\n")
		os.Exit(127)
	}
	tty, argv := args[0] == "tty", args[1:]
	cmd, err := startCommand(argv, tty)
	if err != nil {
		fmt.Fprintf(status, "err %s\n", err)
		os.Exit(127)
	}
	fmt.Fprintf(status, "ok %d\n", cmd)
	status.Close()
	// The command holds its stdio now; the reaper lets go, so the agent sees EOF
	// as soon as the command's tree closes them.
	if null, err := syscall.Open("/dev/null", syscall.O_RDWR, 0); err == nil {
		for fd := 0; fd < 3; fd++ {
			syscall.Dup3(null, fd, 0)
		}
		syscall.Close(null)
	}
	code := waitFor(cmd)
	killLeftovers()
	os.Exit(code)
}

func startCommand(argv []string, tty bool) (int, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return 0, fmt.Errorf("not executable: %s", argv[0])
		}
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("command not found: %s", argv[0])
		}
		return 0, fmt.Errorf("cannot run %s: %v", argv[0], err)
	}
	attr := &syscall.SysProcAttr{Setsid: true, Setctty: tty, Ctty: 0}
	p, err := os.StartProcess(path, argv, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}, Sys: attr})
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return 0, fmt.Errorf("not executable: %s", path)
		}
		return 0, fmt.Errorf("cannot run %s: %v", path, errors.Unwrap(err))
	}
	return p.Pid, nil
}

// waitFor reaps children (orphans included) until the command itself exits.
func waitFor(pid int) int {
	for {
		var ws syscall.WaitStatus
		got, err := syscall.Wait4(-1, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return 127 // cannot happen while the command runs
		}
		if got == pid {
			return exitCode(ws)
		}
	}
}

// killLeftovers SIGKILLs what is left under the reaper and reaps it all.
func killLeftovers() {
	self := os.Getpid()
	for {
		left := descendants(self)
		if len(left) == 0 {
			break
		}
		for _, pid := range left {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		reapNoHang()
		time.Sleep(5 * time.Millisecond)
	}
	for {
		if _, err := syscall.Wait4(-1, nil, 0, nil); err != syscall.EINTR && err != nil {
			return // ECHILD: nothing left
		}
	}
}

func reapNoHang() {
	for {
		pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
