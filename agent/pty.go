package main

import (
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

const (
	tiocsptlck = 0x40045431
	tiocgptn   = 0x80045430
)

type winsize struct{ rows, cols, x, y uint16 }

// openPty opens a pseudo-terminal pair sized cols × rows: /dev/ptmx, unlocked,
// and the /dev/pts node its number names.
func openPty(cols, rows uint16) (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	var n uint32
	var unlock int32
	err = ioctl(master, tiocsptlck, unsafe.Pointer(&unlock))
	if err == nil {
		err = ioctl(master, tiocgptn, unsafe.Pointer(&n))
	}
	if err == nil {
		err = resizePty(master, cols, rows)
	}
	if err == nil {
		slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	}
	if err != nil {
		master.Close()
		return nil, nil, fmt.Errorf("cannot open a terminal: %w", err)
	}
	return master, slave, nil
}

func resizePty(master *os.File, cols, rows uint16) error {
	ws := winsize{rows: rows, cols: cols}
	return ioctl(master, syscall.TIOCSWINSZ, unsafe.Pointer(&ws))
}

// ioctl runs through SyscallConn, since Fd() would put the file in blocking mode
// and so stop read deadlines from working.
func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	err = conn.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	})
	if err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}
