//go:build linux

package main

import "golang.org/x/sys/unix"

// hostRelease is the running kernel's release (uname -r).
func hostRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
