package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"
)

// untar extracts an archive into the workspace. Entries are confined like request
// paths; folders on the way are opened without following symlinks, so nothing is
// written through one; a symlink entry must point inside the workspace; only
// files, folders and symlinks are allowed.
func untar(archive []byte, maxFileBytes int64) error {
	limit := limitOr(maxFileBytes)
	tr := tar.NewReader(bytes.NewReader(archive))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return badRequest("the tar archive is malformed: %v", err)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if err := untarEntry(tr, hdr, limit); err != nil {
			return err
		}
	}
}

func untarEntry(tr *tar.Reader, hdr *tar.Header, limit int64) error {
	name := hdr.Name
	parts, err := splitPath(strings.TrimPrefix(name, "./"))
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return nil // the archive's root folder
	}
	rel := path.Join(parts...)
	parent, base := path.Dir("/" + rel)[1:], path.Base(rel)
	switch hdr.Typeflag {
	case tar.TypeDir:
		dir, err := openDir(rel, true)
		if err != nil {
			return fileErr(name, err)
		}
		return dir.Close()
	case tar.TypeReg, tar.TypeRegA:
		if hdr.Size > limit {
			return &opError{Code: "LIMIT_EXCEEDED", Message: fmt.Sprintf("tar entry %s is %d bytes, over the limit of %d", quote(name), hdr.Size, limit), Path: name}
		}
		contents, err := io.ReadAll(tr)
		if err != nil {
			return badRequest("the tar archive is malformed at %s: %v", quote(name), err)
		}
		return inDir(name, parent, func(dir *os.File) error {
			if err := replaceable(dir, base); err != nil {
				return err
			}
			return writeAt(dir, base, uint32(hdr.Mode)&0o777, contents)
		})
	case tar.TypeSymlink:
		if err := symlinkInside(name, parent, hdr.Linkname); err != nil {
			return err
		}
		return inDir(name, parent, func(dir *os.File) error {
			if err := replaceable(dir, base); err != nil {
				return err
			}
			if err := syscall.Unlinkat(int(dir.Fd()), base); err != nil && err != syscall.ENOENT {
				return err
			}
			return symlinkat(hdr.Linkname, int(dir.Fd()), base)
		})
	}
	return invalidPath(name, "tar entry %s is of type %q; only files, folders and symlinks are allowed", quote(name), hdr.Typeflag)
}

func inDir(name, parent string, do func(dir *os.File) error) error {
	dir, err := openDir(parent, true)
	if err != nil {
		return fileErr(name, err)
	}
	defer dir.Close()
	if err := do(dir); err != nil {
		return fileErr(name, err)
	}
	return nil
}

// replaceable refuses to put a file or symlink where a folder is.
func replaceable(dir *os.File, name string) error {
	fd, err := openDirAt(int(dir.Fd()), name)
	if err == nil {
		syscall.Close(fd)
		return syscall.EISDIR
	}
	return nil
}

// symlinkInside checks that a symlink made in folder parent with this target
// stays inside the workspace (read lexically, as the kernel would follow it).
func symlinkInside(name, parent, target string) error {
	if target == "" || strings.IndexByte(target, 0) >= 0 {
		return invalidPath(name, "tar entry %s is a symlink with an empty or NUL target", quote(name))
	}
	var joined string
	if strings.HasPrefix(target, "/") {
		if target != workspace && !strings.HasPrefix(target, workspace+"/") {
			return invalidPath(name, "tar entry %s is a symlink to %s, outside %s", quote(name), quote(target), workspace)
		}
		joined = path.Clean(target)
	} else {
		joined = path.Join(workspace, parent, target)
	}
	if joined != workspace && !strings.HasPrefix(joined, workspace+"/") {
		return invalidPath(name, "tar entry %s is a symlink to %s, outside %s", quote(name), quote(target), workspace)
	}
	return nil
}

func symlinkat(target string, dirfd int, name string) error {
	t, err := syscall.BytePtrFromString(target)
	if err != nil {
		return err
	}
	n, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	_, _, errno := syscall.Syscall(syscall.SYS_SYMLINKAT, uintptr(unsafe.Pointer(t)), uintptr(dirfd), uintptr(unsafe.Pointer(n)))
	if errno != 0 {
		return errno
	}
	return nil
}

var errTooBig = errors.New("archive too big")

// tarPaths archives workspace paths (folders whole, symlinks as symlinks) with
// names relative to the workspace.
func tarPaths(paths []string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&capped{&buf, maxBody})
	for _, p := range paths {
		r, err := resolve(p, false)
		if err != nil {
			return nil, err
		}
		if !r.exists {
			return nil, fileErr(p, syscall.ENOENT)
		}
		if err := tarTree(tw, r.rel); err != nil {
			if errors.Is(err, errTooBig) {
				return nil, &opError{Code: "LIMIT_EXCEEDED", Message: fmt.Sprintf("the archive of %s is over %d bytes", quote(p), maxBody), Path: p}
			}
			return nil, fileErr(p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func tarTree(tw *tar.Writer, rel string) error {
	return filepath.WalkDir(path.Join(workspace, rel), func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(strings.TrimPrefix(full, workspace), "/")
		if name == "" {
			return nil // the workspace itself
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&os.ModeSymlink != 0 {
			if link, err = os.Readlink(full); err != nil {
				return err
			}
		} else if !info.IsDir() && !info.Mode().IsRegular() {
			return nil // sockets, FIFOs, devices: nothing to archive
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name, hdr.Uname, hdr.Gname = name, "", ""
		if info.IsDir() {
			hdr.Name += "/"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.OpenFile(full, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		if now, err := f.Stat(); err != nil || !os.SameFile(now, info) {
			return fmt.Errorf("%s changed while it was archived", full)
		}
		_, err = io.CopyN(tw, f, hdr.Size)
		return err
	})
}

// capped fails a write that would take the buffer past max bytes.
type capped struct {
	buf *bytes.Buffer
	max int
}

func (c *capped) Write(b []byte) (int, error) {
	if c.buf.Len()+len(b) > c.max {
		return 0, errTooBig
	}
	return c.buf.Write(b)
}
