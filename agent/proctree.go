package main

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

type procInfo struct {
	ppid   int
	zombie bool
}

// listProcs reads every process's parent and state from /proc/*/stat.
func listProcs() map[int]procInfo {
	procs := map[int]procInfo{}
	dir, err := os.Open("/proc")
	if err != nil {
		return procs
	}
	defer dir.Close()
	names, _ := dir.Readdirnames(-1)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if info, ok := readStat(pid); ok {
			procs[pid] = info
		}
	}
	return procs
}

// readStat parses `pid (comm) state ppid ...`; comm may hold spaces and ')'.
func readStat(pid int) (procInfo, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	return parseStat(data)
}

func parseStat(data []byte) (procInfo, bool) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return procInfo{}, false
	}
	fields := bytes.Fields(data[end+1:])
	if len(fields) < 2 {
		return procInfo{}, false
	}
	ppid, err := strconv.Atoi(string(fields[1]))
	if err != nil {
		return procInfo{}, false
	}
	return procInfo{ppid: ppid, zombie: string(fields[0]) == "Z" || string(fields[0]) == "X"}, true
}

// descendants lists the live processes under root (root excluded).
func descendants(root int) []int {
	children := map[int][]int{}
	for pid, info := range listProcs() {
		if !info.zombie {
			children[info.ppid] = append(children[info.ppid], pid)
		}
	}
	var found []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, child := range children[pid] {
			found = append(found, child)
			queue = append(queue, child)
		}
	}
	return found
}

// signalTree signals every process under root, walking again until no new
// process appears, so children forked meanwhile are signalled too.
func signalTree(root int, sig syscall.Signal) {
	seen := map[int]bool{}
	for round := 0; round < 100; round++ {
		fresh := 0
		for _, pid := range descendants(root) {
			if !seen[pid] {
				seen[pid] = true
				fresh++
				syscall.Kill(pid, sig)
			}
		}
		if fresh == 0 {
			return
		}
	}
}
