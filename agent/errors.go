package main

import (
	"errors"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// opError is a request's failure, as the response's `error` object.
type opError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Path    string `json:"path,omitempty"`
}

func (e *opError) Error() string { return e.Code + ": " + e.Message }

func newErr(code, format string, args ...interface{}) *opError {
	return &opError{Code: code, Message: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...interface{}) *opError {
	return newErr("BAD_REQUEST", format, args...)
}

func invalidPath(path, format string, args ...interface{}) *opError {
	e := newErr("INVALID_PATH", format, args...)
	e.Path = path
	return e
}

// fileErr turns a system error on a workspace path into the protocol's codes.
func fileErr(path string, err error) *opError {
	var oe *opError
	if errors.As(err, &oe) {
		return oe
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return &opError{Code: "INTERNAL", Message: err.Error(), Path: path}
	}
	switch errno {
	case syscall.ENOENT:
		return &opError{Code: "FILE_NOT_FOUND", Message: "nothing at " + quote(path), Path: path}
	case syscall.ENOSPC, syscall.EDQUOT:
		return &opError{Code: "LIMIT_EXCEEDED", Message: "the workspace is full (" + errno.Error() + ")", Path: path}
	case syscall.EFBIG:
		return &opError{Code: "LIMIT_EXCEEDED", Message: "file too large", Path: path}
	case syscall.ENOTDIR:
		return invalidPath(path, "%s: a part of the path is not a folder", quote(path))
	case syscall.EISDIR:
		return invalidPath(path, "%s is a folder", quote(path))
	case syscall.ELOOP:
		return invalidPath(path, "%s: a symlink appeared on the path while it was opened", quote(path))
	case syscall.EACCES, syscall.EPERM:
		return &opError{Code: "INTERNAL", Message: "permission denied: " + quote(path), Path: path}
	}
	return &opError{Code: "INTERNAL", Message: quote(path) + ": " + errno.Error(), Path: path}
}

func asOpError(err error) *opError {
	var oe *opError
	if errors.As(err, &oe) {
		return oe
	}
	log.Printf("internal error: %v", err)
	return &opError{Code: "INTERNAL", Message: err.Error()}
}

func quote(path string) string { return fmt.Sprintf("%q", path) }

// spawnErr is a failed spawn's error: EAGAIN from fork means the sandbox is at
// its pids limit (a fork bomb, or too many processes), which is LIMIT_EXCEEDED,
// not a command to fix.
func spawnErr(err error) *opError {
	if errors.Is(err, syscall.EAGAIN) {
		return newErr("LIMIT_EXCEEDED", "the sandbox is at its process limit (%v): stop what runs in it, then try again", err)
	}
	return newErr("SPAWN_FAILED", "%v", err)
}

// reaperLostErr is the error of a reaper that ended before it could start its
// command. In a sandbox at its pids limit that is the limit (the reaper's own
// threads or fork met it), so it says so; otherwise the reaper was killed.
func reaperLostErr() *opError {
	if current, limit, ok := pidsUsage(); ok && current+pidsMargin >= limit {
		return newErr("LIMIT_EXCEEDED", "the sandbox is at its process limit (%d of %d): stop what runs in it, then try again", current, limit)
	}
	return newErr("SPAWN_FAILED", "the process reaper ended before starting the command")
}

// pidsMargin: threads come and go, so "at the limit" is within a few of it.
const pidsMargin = 8

// pidsUsage reads the sandbox's pids cgroup (v2, else v1's pids controller).
func pidsUsage() (current, limit int, ok bool) {
	for _, dir := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/pids"} {
		c, errC := readInt(dir + "/pids.current")
		m, errM := readInt(dir + "/pids.max")
		if errC == nil && errM == nil {
			return c, m, true
		}
	}
	return 0, 0, false
}

func readInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
