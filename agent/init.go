package main

import (
	"log"
	"os"
	"os/signal"
	"syscall"
)

// handleSignals is PID 1's only signal handling. The Go runtime installs its own
// handlers for nearly every signal at start (SIGQUIT would dump and exit, SIGINT
// exit), so "no handler, so the kernel drops it" does not hold for a Go PID 1:
// every signal is caught instead and dropped, except SIGCHLD, which reaps, and
// SIGTERM (docker stop), which ends the sandbox. Caught, not ignored, so spawned
// commands start with default dispositions. SIGKILL and SIGSTOP from inside the
// sandbox do nothing to a namespace's PID 1.
func (a *agent) handleSignals() {
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs)
	a.reapZombies() // children that ended before the handler was in place
	for sig := range sigs {
		switch sig {
		case syscall.SIGCHLD:
			a.reapZombies()
		case syscall.SIGTERM:
			a.shutdown("SIGTERM", 0)
		case syscall.SIGINT:
			if os.Getpid() != 1 {
				a.shutdown("SIGINT", 0) // run by hand, outside a container
			}
		}
	}
}

// reapZombies collects every ended child: reapers (whose status is their
// command's exit code) and orphans inherited as PID 1 (discarded).
func (a *agent) reapZombies() {
	a.reapMu.Lock()
	defer a.reapMu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
		if p := a.reapers[pid]; p != nil {
			delete(a.reapers, pid)
			p.exited <- exitCode(ws)
		}
	}
}

// shutdown kills every process tree and exits with code.
func (a *agent) shutdown(why string, code int) {
	log.Printf("%s: killing every process and exiting", why)
	a.reapMu.Lock()
	for pid := range a.reapers {
		signalTree(pid, syscall.SIGKILL)
		syscall.Kill(pid, syscall.SIGKILL)
	}
	a.reapMu.Unlock()
	os.Exit(code)
}
