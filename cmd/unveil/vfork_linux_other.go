//go:build linux && !amd64 && !arm64

package main

import "syscall"

// vfork forks: on this architecture unveil has no system call stub that
// keeps a shared stack safe, so the child gets a copy of the address
// space (slower to start the supervisor, the same otherwise).
//
//go:nosplit
//go:norace
func vfork() (pid uintptr, errno uintptr) {
	p, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	return p, uintptr(e)
}

// cloneWait forks a child that runs sideWait(a) on its copy of this
// stack; stack and fn are unused.
//
//go:nosplit
//go:norace
func cloneWait(stack uintptr, a *sideArgs, fn uintptr) (pid uintptr, errno uintptr) {
	p, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if e == 0 && p == 0 {
		sideWait(a)
	}
	return p, uintptr(e)
}
