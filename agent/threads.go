package main

import (
	"runtime"
	"sync"
)

// reservedThreads is how many OS threads the agent starts while the sandbox is
// empty. Threads count against the container's pids limit like processes, and
// the Go runtime dies when it cannot create one it needs: a fork bomb that
// filled the limit would take PID 1, and with it Stop and every later request,
// down. The agent serves with a handful of threads; this leaves it room for
// blocking system calls under load.
const reservedThreads = 16

// reserveThreads makes the runtime start n threads now: each goroutine holds a
// thread of its own (LockOSThread) until all are running, then lets it go. The
// runtime keeps idle threads parked for reuse and never ends them, so later
// blocking calls need no new thread.
func reserveThreads(n int) {
	var running, release sync.WaitGroup
	running.Add(n)
	release.Add(1)
	var done sync.WaitGroup
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			runtime.LockOSThread()
			running.Done()
			release.Wait()
			runtime.UnlockOSThread()
		}()
	}
	running.Wait()
	release.Done()
	done.Wait()
}
