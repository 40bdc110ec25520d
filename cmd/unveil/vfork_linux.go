//go:build linux && (amd64 || arm64)

package main

// vfork creates a child that shares this address space and runs on this
// stack, until it executes a program or exits; the calling thread waits
// until then. It returns the child's pid in the parent, 0 in the child.
// Only raw system calls may follow in the child (see forkSide).
//
//go:noescape
func vfork() (pid uintptr, errno uintptr)

// cloneWait starts a child that shares this address space and calls
// fn(a), fn being sideWait's entry (sideWaitPC), on the stack whose top
// is stack (16-byte aligned); the caller goes on at once. It returns the
// child's pid.
//
//go:noescape
func cloneWait(stack uintptr, a *sideArgs, fn uintptr) (pid uintptr, errno uintptr)
