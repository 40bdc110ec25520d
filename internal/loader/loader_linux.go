//go:build linux

package loader

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Flags choose how Install installs a filter.
type Flags uint32

const (
	// TSync installs the filter on every thread of the process
	// (SECCOMP_FILTER_FLAG_TSYNC, Linux 3.17), including threads locked
	// to goroutines and threads started by C code; the kernel copies
	// no_new_privs to them too. Without it only the calling thread (and
	// what it creates or execs afterwards) is filtered.
	TSync Flags = 1 << iota
	// TSyncESRCH makes a thread that cannot be synchronized fail the call
	// with ESRCH (SECCOMP_FILTER_FLAG_TSYNC_ESRCH, Linux 5.7) instead of
	// its thread ID as the return value. Needs TSync.
	TSyncESRCH
	// NewListener asks for a notification listener descriptor
	// (SECCOMP_FILTER_FLAG_NEW_LISTENER, Linux 5.0), for filters that
	// return SECCOMP_RET_USER_NOTIF. A process has at most one: a second
	// one fails with EBUSY. With TSync the kernel accepts it only
	// together with TSyncESRCH.
	NewListener
	// Log logs every action but SECCOMP_RET_ALLOW
	// (SECCOMP_FILTER_FLAG_LOG, Linux 4.14).
	Log
)

// MaxInstructions is the kernel's limit on one filter program (BPF_MAXINSNS).
const MaxInstructions = 4096

var flagBits = []struct {
	f    Flags
	bit  uintptr
	name string
}{
	{TSync, unix.SECCOMP_FILTER_FLAG_TSYNC, "TSYNC"},
	{TSyncESRCH, unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "TSYNC_ESRCH"},
	{NewListener, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, "NEW_LISTENER"},
	{Log, unix.SECCOMP_FILTER_FLAG_LOG, "LOG"},
}

// String names the flags as the kernel does, without the prefix.
func (f Flags) String() string {
	var names []string
	for _, b := range flagBits {
		if f&b.f != 0 {
			names = append(names, b.name)
			f &^= b.f
		}
	}
	if f != 0 {
		names = append(names, fmt.Sprintf("%#x", uint32(f)))
	}
	if len(names) == 0 {
		return "0"
	}
	return strings.Join(names, "|")
}

func (f Flags) kernel() uintptr {
	var k uintptr
	for _, b := range flagBits {
		if f&b.f != 0 {
			k |= b.bit
		}
	}
	return k
}

// ErrThreadSync is wrapped by Install's error when the filter could not be
// installed on every thread (TSync): some thread runs under a seccomp
// filter the calling thread lacks (one that code installed on that thread
// alone). Nothing is installed then.
var ErrThreadSync = errors.New("a thread of this process could not be synchronized")

// ErrInvalid is wrapped by Install's error when the program or the flags
// are refused before the kernel is asked: nothing is installed, and
// no_new_privs is left alone.
var ErrInvalid = errors.New("invalid seccomp filter request")

// Install sets no_new_privs and installs prog as a seccomp filter, both on
// the same OS thread, the calling goroutine's. It returns the listener
// descriptor (close-on-exec) when flags has NewListener, -1 otherwise.
//
// With TSync every thread gets the filter, and the goroutine is unlocked
// again afterwards (a lock the caller already held stays). Without TSync
// only the calling thread is filtered: Install then leaves the goroutine
// locked to that thread for good (runtime.LockOSThread without unlock), so
// that the Go runtime never hands the filtered thread to another goroutine;
// the caller typically execs from it next.
//
// A failure is always an error, and then no filter was installed (though
// no_new_privs may be set): an error from the kernel wraps its errno
// (errors.Is(err, unix.EBUSY) for a second listener, for example), a
// thread that cannot be synchronized wraps ErrThreadSync whether the
// kernel says so with ESRCH (TSyncESRCH) or with that thread's ID as the
// return value (TSync alone), and a request refused up front wraps
// ErrInvalid.
func Install(prog []unix.SockFilter, flags Flags) (listenerFd int, err error) {
	if len(prog) == 0 || len(prog) > MaxInstructions {
		return -1, fmt.Errorf("seccomp: %w: a filter of %d instructions (the kernel takes 1 to %d)", ErrInvalid, len(prog), MaxInstructions)
	}
	if unknown := flags &^ (TSync | TSyncESRCH | NewListener | Log); unknown != 0 {
		return -1, fmt.Errorf("seccomp: %w: unknown flags %#x", ErrInvalid, uint32(unknown))
	}
	if flags&TSyncESRCH != 0 && flags&TSync == 0 {
		return -1, fmt.Errorf("seccomp: %w: TSYNC_ESRCH needs TSYNC", ErrInvalid)
	}
	if flags&(TSync|NewListener) == TSync|NewListener && flags&TSyncESRCH == 0 {
		return -1, fmt.Errorf("seccomp: %w: a notification listener with TSYNC needs TSYNC_ESRCH (the kernel could not report a thread it fails to synchronize)", ErrInvalid)
	}

	runtime.LockOSThread()
	if flags&TSync != 0 {
		defer runtime.UnlockOSThread()
	}
	// Raw system calls (neither blocks): through the scheduler, a call
	// the runtime's monitor finds in progress may have this thread's P
	// handed to a new OS thread, which the runtime cannot create once a
	// launcher has set the program's address space limit (the unveil
	// command sets it right before the filter).
	if _, _, e := unix.RawSyscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); e != 0 {
		return -1, fmt.Errorf("seccomp: prctl(PR_SET_NO_NEW_PRIVS): %w", e)
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r1, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags.kernel(), uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	switch {
	case errno == unix.ESRCH && flags&TSyncESRCH != 0:
		return -1, fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, %v): %w: another thread runs under a seccomp filter this thread lacks (installed on that thread alone by other code); no filter was installed: %w", flags, ErrThreadSync, errno)
	case errno != 0:
		return -1, fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, %v): %w", flags, errno)
	case flags&TSync != 0 && flags&TSyncESRCH == 0 && r1 != 0:
		// TSYNC without TSYNC_ESRCH: a positive return value is the ID
		// of the thread that could not be synchronized (errno is 0).
		return -1, fmt.Errorf("seccomp(SECCOMP_SET_MODE_FILTER, %v): %w: thread %d runs under a seccomp filter this thread lacks; no filter was installed", flags, ErrThreadSync, r1)
	}
	if flags&NewListener != 0 {
		return int(r1), nil
	}
	return -1, nil
}
