package progs

import (
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/bench/internal/bpfrun"
)

// Install sets no_new_privs and installs prog on every thread
// (SECCOMP_FILTER_FLAG_TSYNC), as pledgekit's loader does, so that the
// programs compared differ only in their instructions.
func Install(prog []bpfrun.Insn) error {
	if len(prog) == 0 || len(prog) > 4096 {
		return fmt.Errorf("progs: program of %d instructions", len(prog))
	}
	sf := make([]unix.SockFilter, len(prog))
	for i, p := range prog {
		sf[i] = unix.SockFilter{Code: p.Op, Jt: p.Jt, Jf: p.Jf, K: p.K}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("progs: no_new_privs: %w", err)
	}
	fprog := unix.SockFprog{Len: uint16(len(sf)), Filter: &sf[0]}
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH)
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(sf)
	if errno != 0 {
		return fmt.Errorf("progs: seccomp(SET_MODE_FILTER): %w", errno)
	}
	return nil
}
