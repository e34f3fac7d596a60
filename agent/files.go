package main

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"sort"
	"syscall"
)

// limitOr returns the request's byte limit, or the largest body a frame carries.
func limitOr(max int64) int64 {
	if max <= 0 || max > maxBody {
		return maxBody
	}
	return max
}

type sizeResult struct {
	Size int64 `json:"size"`
}

// readFile returns a regular file's contents, refusing folders, devices, FIFOs
// and files over maxBytes.
func readFile(p string, maxBytes int64) ([]byte, error) {
	r, err := resolve(p, true)
	if err != nil {
		return nil, err
	}
	if !r.exists {
		return nil, fileErr(p, syscall.ENOENT)
	}
	if r.rel == "" {
		return nil, invalidPath(p, "%s is a folder (the workspace)", quote(p))
	}
	dir, err := openDir(r.dir(), false)
	if err != nil {
		return nil, fileErr(p, err)
	}
	defer dir.Close()
	// O_NONBLOCK: opening a FIFO must not hang; fstat refuses it right after.
	fd, err := openat(int(dir.Fd()), r.name(), syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC)
	if err != nil {
		return nil, fileErr(p, err)
	}
	f := os.NewFile(uintptr(fd), r.abs())
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fileErr(p, err)
	}
	if err := regularFile(p, info); err != nil {
		return nil, err
	}
	limit := limitOr(maxBytes)
	if info.Size() > limit {
		return nil, &opError{Code: "LIMIT_EXCEEDED", Message: fmt.Sprintf("%s is %d bytes, over the limit of %d", quote(p), info.Size(), limit), Path: p}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fileErr(p, err)
	}
	if int64(len(data)) > limit {
		return nil, &opError{Code: "LIMIT_EXCEEDED", Message: fmt.Sprintf("%s grew over the limit of %d bytes while read", quote(p), limit), Path: p}
	}
	return data, nil
}

func regularFile(p string, info os.FileInfo) error {
	switch {
	case info.IsDir():
		return invalidPath(p, "%s is a folder, not a file", quote(p))
	case !info.Mode().IsRegular():
		return invalidPath(p, "%s is not a regular file", quote(p))
	}
	return nil
}

// writeFile writes contents atomically (a temporary file renamed over the path),
// making folders on the way and keeping an existing file's mode.
func writeFile(p string, maxBytes int64, contents []byte) error {
	if limit := limitOr(maxBytes); int64(len(contents)) > limit {
		return &opError{Code: "LIMIT_EXCEEDED", Message: fmt.Sprintf("%d bytes for %s, over the limit of %d", len(contents), quote(p), limit), Path: p}
	}
	r, err := resolve(p, true)
	if err != nil {
		return err
	}
	if r.rel == "" {
		return invalidPath(p, "%s is a folder (the workspace), not a file", quote(p))
	}
	mode := uint32(0o644)
	if r.exists {
		info, err := os.Lstat(r.abs())
		if err != nil {
			return fileErr(p, err)
		}
		if info.IsDir() {
			return invalidPath(p, "%s is a folder, not a file", quote(p))
		}
		mode = uint32(info.Mode().Perm())
	}
	dir, err := openDir(r.dir(), true)
	if err != nil {
		return fileErr(p, err)
	}
	defer dir.Close()
	if err := writeAt(dir, r.name(), mode, contents); err != nil {
		return fileErr(p, err)
	}
	return nil
}

// writeAt writes a file in an open folder through a temporary name and a rename,
// so readers see the old contents or the new, never a part.
func writeAt(dir *os.File, name string, mode uint32, contents []byte) error {
	dirfd := int(dir.Fd())
	tmp := fmt.Sprintf(".%s.%08x.tmp", name, rand.Uint32())
	if len(tmp) > 255 {
		tmp = fmt.Sprintf(".cs-agent.%08x.tmp", rand.Uint32())
	}
	fd, err := syscall.Openat(dirfd, tmp, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, mode)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), tmp)
	_, err = f.Write(contents)
	if err == nil {
		err = f.Chmod(os.FileMode(mode)) // the umask must not drop bits the file had
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syscall.Renameat(dirfd, tmp, dirfd, name)
	}
	if err != nil {
		syscall.Unlinkat(dirfd, tmp)
	}
	return err
}

// deletePath removes a file, symlink (not its target) or folder with its contents.
func deletePath(p string) error {
	r, err := resolve(p, false)
	if err != nil {
		return err
	}
	if r.rel == "" {
		return invalidPath(p, "%s is the workspace itself, which cannot be deleted", quote(p))
	}
	if !r.exists {
		return fileErr(p, syscall.ENOENT)
	}
	dir, err := openDir(r.dir(), false)
	if err != nil {
		return fileErr(p, err)
	}
	defer dir.Close()
	// RemoveAll on /proc/self/fd/N/name: the folder is the one opened without
	// following symlinks, and RemoveAll itself never follows one (it uses openat).
	if err := os.RemoveAll(fmt.Sprintf("/proc/self/fd/%d/%s", dir.Fd(), r.name())); err != nil {
		return fileErr(p, err)
	}
	return nil
}

type dirEntry struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

type readdirResult struct {
	Entries []dirEntry `json:"entries"`
}

func readdir(p string) (*readdirResult, error) {
	r, err := resolve(p, true)
	if err != nil {
		return nil, err
	}
	if !r.exists {
		return nil, fileErr(p, syscall.ENOENT)
	}
	dir, err := openDir(r.rel, false)
	if err != nil {
		return nil, fileErr(p, err)
	}
	defer dir.Close()
	list, err := dir.ReadDir(-1)
	if err != nil {
		return nil, fileErr(p, err)
	}
	entries := make([]dirEntry, 0, len(list))
	for _, e := range list {
		entries = append(entries, dirEntry{Name: e.Name(), Kind: entryKind(e.Type())})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return &readdirResult{Entries: entries}, nil
}

func entryKind(mode os.FileMode) string {
	switch {
	case mode.IsDir():
		return "directory"
	case mode.IsRegular():
		return "file"
	case mode&os.ModeSymlink != 0:
		return "symlink"
	}
	return "other"
}
