package main

import (
	"os"
	"path"
	"strings"
	"syscall"
)

// workspace is the folder every request path is confined to (a variable for tests).
var workspace = "/workspace"

const maxSymlinks = 40 // as Linux's own limit

// splitPath checks a request path and returns its components. Paths are relative
// to the workspace; a NUL byte, an absolute path or a `..` component is refused
// before anything is touched.
func splitPath(p string) ([]string, error) {
	switch {
	case strings.IndexByte(p, 0) >= 0:
		return nil, invalidPath(p, "%s contains a NUL byte", quote(p))
	case strings.HasPrefix(p, "/"):
		return nil, invalidPath(p, "%s is absolute; give a path relative to %s", quote(p), workspace)
	}
	var parts []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			return nil, invalidPath(p, "%s contains '..'; paths must stay inside %s", quote(p), workspace)
		default:
			parts = append(parts, c)
		}
	}
	return parts, nil
}

// resolved is a request path with every symlink on the way followed: rel is the
// canonical workspace-relative path (no symlinks, `..` or `.` left), exists says
// whether something is there.
type resolved struct {
	rel    string
	exists bool
}

func (r resolved) dir() string  { return path.Dir("/" + r.rel)[1:] }
func (r resolved) name() string { return path.Base("/" + r.rel) }
func (r resolved) abs() string  { return path.Join(workspace, r.rel) }

// resolve follows symlinks component by component (Lstat + Readlink), refusing
// any that leads out of the workspace. followLast says whether a symlink as the
// last component is followed. What is opened afterwards is opened component by
// component with O_NOFOLLOW (openDir), so a symlink swapped in meanwhile fails
// instead of being followed.
func resolve(p string, followLast bool) (resolved, error) {
	pending, err := splitPath(p)
	if err != nil {
		return resolved{}, err
	}
	var done []string
	links := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..": // only from a symlink's target
			if len(done) == 0 {
				return resolved{}, invalidPath(p, "%s leads out of %s through a symlink", quote(p), workspace)
			}
			done = done[:len(done)-1]
			continue
		}
		full := path.Join(workspace, path.Join(done...), c)
		info, err := os.Lstat(full)
		if os.IsNotExist(err) {
			for _, rest := range pending {
				if rest == ".." {
					return resolved{}, invalidPath(p, "%s goes through a missing folder and '..'", quote(p))
				}
			}
			rel := path.Join(append(append(done, c), pending...)...)
			return resolved{rel: rel}, nil
		}
		if err != nil {
			if isErrno(err, syscall.ENOTDIR) {
				return resolved{}, invalidPath(p, "%s: %s is not a folder", quote(p), quote(path.Join(done...)))
			}
			return resolved{}, fileErr(p, err)
		}
		if info.Mode()&os.ModeSymlink == 0 || (len(pending) == 0 && !followLast) {
			done = append(done, c)
			continue
		}
		if links++; links > maxSymlinks {
			return resolved{}, invalidPath(p, "%s: too many levels of symlinks (a loop?)", quote(p))
		}
		target, err := os.Readlink(full)
		if err != nil {
			return resolved{}, fileErr(p, err)
		}
		if strings.HasPrefix(target, "/") {
			if target != workspace && !strings.HasPrefix(target, workspace+"/") {
				return resolved{}, invalidPath(p, "%s: the symlink %s points outside %s", quote(p), quote(path.Join(append(done, c)...)), workspace)
			}
			target = strings.TrimPrefix(target, workspace)
			done = nil
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	return resolved{rel: path.Join(done...), exists: true}, nil
}

func isErrno(err error, errno syscall.Errno) bool {
	if pe, ok := err.(*os.PathError); ok {
		err = pe.Err
	}
	e, ok := err.(syscall.Errno)
	return ok && e == errno
}

// openDir opens a workspace folder by its canonical relative path, one component
// at a time with O_NOFOLLOW, so nothing is reached through a symlink; with create,
// missing folders are made on the way.
func openDir(rel string, create bool) (*os.File, error) {
	fd, err := syscall.Open(workspace, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." {
			continue
		}
		next, err := openDirAt(fd, c)
		if err == syscall.ENOENT && create {
			if err = syscall.Mkdirat(fd, c, 0o755); err == nil || err == syscall.EEXIST {
				next, err = openDirAt(fd, c)
			}
		}
		syscall.Close(fd)
		if err == syscall.ELOOP || err == syscall.ENOTDIR {
			return nil, invalidPath(rel, "%s: %s is not a folder (or is a symlink)", quote(rel), quote(c))
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: rel, Err: err}
		}
		fd = next
	}
	return os.NewFile(uintptr(fd), path.Join(workspace, rel)), nil
}

// openDirAt opens the folder `name` in `dir`, never through a symlink (ELOOP),
// and fails with ENOTDIR on anything else. Not O_DIRECTORY|O_NOFOLLOW: gVisor
// (runsc 20240729) follows a symlink to a folder despite O_NOFOLLOW when
// O_DIRECTORY is set. O_NONBLOCK: a FIFO opens without waiting for a writer.
func openDirAt(dir int, name string) (int, error) {
	fd, err := openat(dir, name, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC)
	if err != nil {
		return -1, err
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
		syscall.Close(fd)
		if err == nil {
			err = syscall.ENOTDIR
		}
		return -1, err
	}
	return fd, nil
}

func openat(dir int, name string, flags int) (int, error) {
	for {
		fd, err := syscall.Openat(dir, name, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
