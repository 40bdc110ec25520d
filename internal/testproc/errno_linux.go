package testproc

import (
	"errors"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrnoName names the errno err wraps ("EACCES"), "success" for nil, and
// gives err's text when it wraps no errno: a stable string to compare the
// outcome of a call in a scenario with the one expected.
func ErrnoName(err error) string {
	if err == nil {
		return "success"
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return unix.ErrnoName(e)
	}
	return err.Error()
}
