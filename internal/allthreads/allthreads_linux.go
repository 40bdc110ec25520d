//go:build linux

package allthreads

import "kernel.org/pub/linux/libs/security/libcap/psx"

// Call makes the system call trap on every thread of the process through
// libpsx and returns its error (nil when every thread succeeded; libpsx
// ends the program when the threads disagree). It has the shape of
// engine.AllThreadsFunc, for engine.SetAllThreads.
//
// A whole-process Landlock layer below ABI 8 (no TSYNC) is enforced by
// making the calls on every thread, and in a cgo program only libpsx (what
// go-landlock uses for it) can: it knows the threads C code started.
// Package unveil registers Call, so every program that can commit a
// whole-process layer has it; the engine does not import this package, so
// that the unveil command, which restricts one thread, links neither
// libpsx nor cgo.
func Call(trap, a1, a2, a3, a4, a5, a6 uintptr) error {
	if _, _, e := psx.Syscall6(trap, a1, a2, a3, a4, a5, a6); e != 0 {
		return e
	}
	return nil
}
