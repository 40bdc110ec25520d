//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// sockFilters converts raw classic BPF to the kernel's struct sock_filter.
func sockFilters(raw []bpf.RawInstruction) []unix.SockFilter {
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out
}

// errThreadSync is wrapped by install's error when a thread of the process
// could not be given the filter.
var errThreadSync = errors.New("a thread of this process could not be synchronized")

// install is the only code in pledgekit that installs a seccomp filter. On
// one locked OS thread it sets no_new_privs, then installs prog with
// SECCOMP_FILTER_FLAG_TSYNC so that every thread of the process, including
// threads locked to goroutines and threads started by C code, gets the
// filter (the kernel copies no_new_privs to them as well). With esrch it
// adds TSYNC_ESRCH (Linux 5.7) so that a thread that cannot be synchronized
// is reported as ESRCH; without it the kernel reports that thread's ID as a
// positive return value with errno 0, which is checked too. With listener
// it asks for a notification listener (NEW_LISTENER, which the kernel
// combines with TSYNC only together with TSYNC_ESRCH) and returns its
// descriptor (close-on-exec); otherwise it returns -1.
//
// A failure is always an error: no filter is installed then.
func install(prog []unix.SockFilter, esrch, listener bool) (int, error) {
	if len(prog) == 0 || len(prog) > 4096 {
		return -1, fmt.Errorf("pledge: filter of %d instructions (the kernel takes 1..4096)", len(prog))
	}
	if listener && !esrch {
		return -1, errors.New("pledge: a notification listener needs SECCOMP_FILTER_FLAG_TSYNC_ESRCH")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return -1, fmt.Errorf("pledge: prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC)
	if esrch {
		flags |= unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
	}
	if listener {
		flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r1, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	switch {
	case errno == unix.ESRCH && esrch:
		return -1, fmt.Errorf("pledge: seccomp: %w: it runs under a seccomp filter this process's other threads lack (installed on that thread alone by other code); no filter was installed: %w", errThreadSync, errno)
	case errno != 0:
		return -1, fmt.Errorf("pledge: seccomp(SECCOMP_SET_MODE_FILTER, %#x): %w", flags, errno)
	case !esrch && r1 != 0:
		return -1, fmt.Errorf("pledge: seccomp: %w: thread %d runs under a seccomp filter the others lack; no filter was installed", errThreadSync, r1)
	}
	if listener {
		return int(r1), nil
	}
	return -1, nil
}
