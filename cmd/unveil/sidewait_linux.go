package main

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Starting S. P's thread starts an intermediate process that forks S and
// exits: S is never P's child. S then waits, as a copy of P that runs no
// Go code, for what it is needed for:
//
//   - its first byte on the listener socket (descriptor sideListenFd) is
//     sideNow: it executes unveil at once (P waits for it to be ready,
//     sideRisky, or its message is larger than a socket's buffer);
//   - or it is the listener itself (P hands it over right before it
//     executes the program). S then waits until P has executed the program
//     (its end of the socket closes with P's execve) and until the
//     listener holds a call (POLLIN): only then does it execute unveil,
//     which finds the call waiting. If the last task under the filter goes
//     first (POLLHUP), S exits: a program that makes no call for it to
//     answer never waits for a supervisor to start, and no Go runtime
//     starts on the side while it runs (a supervisor started with the
//     program made every supervised launch ~0.8 ms slower on two
//     processors, as much as all the rest of the supervision).
//
// The intermediate is a vfork child (vfork: CLONE_VM|CLONE_VFORK): it
// shares P's memory and runs on this thread's stack, and the thread waits
// until it exits. S shares P's memory too (cloneWait: CLONE_VM), on a
// stack of its own, sideWaitStack; once P has executed the program, S
// keeps P's old memory to itself (a few megabytes, about what a
// supervisor's Go runtime would take). Nothing is copied: a fork of P
// took 0.6 ms, and every page P wrote after it faulted. Between the
// clones and S's execve
// only raw system calls run, with every signal blocked, in nosplit
// functions that allocate nothing and store no pointer (the structures
// the kernel reads are prepared by P beforehand, in sideWaitData): as in
// syscall.forkExec's child, the Go runtime does not know these processes.
// Before S executes unveil it resets the signal handlers (its own copies)
// and restores the signal mask, so that no handler of unveil's runs in
// it; it starts a session of its own at once (no terminal signal reaches
// it: a program that survives ^C keeps its supervisor), and holds
// /dev/null as input and output, the error stream P's, its two
// sockets, and nothing else of P's.

// sideWaitData is what S's raw code reads and the kernel writes, prepared
// by P before S starts (prepareSideWait). S shares it with P until P
// executes the program; P does not touch it after.
var sideWaitData struct {
	recvMsg  unix.Msghdr
	recvIov  unix.Iovec
	recvBuf  [1]byte
	recvCmsg [64]byte // one SCM_RIGHTS message with one descriptor
	sendMsg  unix.Msghdr
	sendIov  unix.Iovec
	sendBuf  [1]byte
	sendCmsg [64]byte
	scratch  [64]byte
	poll     unix.PollFd
	pair     [2]int32
}

// cmsgRightsLen is the length of an SCM_RIGHTS control message with one
// descriptor, cmsgRightsSpace the room it takes.
// cmsgDataOff is where its descriptor is (set by prepareSideWait: S's
// raw code calls no function that could grow the stack).
var (
	cmsgRightsLen   = unix.CmsgLen(4)
	cmsgRightsSpace = unix.CmsgSpace(4)
	cmsgDataOff     = unix.CmsgLen(0)
)

// prepareSideWait fills sideWaitData's pointers and lengths.
func prepareSideWait() {
	d := &sideWaitData
	oneByteMsg(&d.recvMsg, &d.recvIov, &d.recvBuf[0], &d.recvCmsg[0])
	d.sendBuf[0] = 'L'
	oneByteMsg(&d.sendMsg, &d.sendIov, &d.sendBuf[0], &d.sendCmsg[0])
	h := (*unix.Cmsghdr)(unsafe.Pointer(&d.sendCmsg[0]))
	h.Level, h.Type = unix.SOL_SOCKET, unix.SCM_RIGHTS
	h.SetLen(cmsgRightsLen)
}

// oneByteMsg makes m a message of the one byte at buf, with room at cmsg
// for one descriptor.
func oneByteMsg(m *unix.Msghdr, iov *unix.Iovec, buf, cmsg *byte) {
	iov.Base = buf
	iov.SetLen(1)
	m.Iov = iov
	m.SetIovlen(1)
	m.Control = cmsg
	m.SetControllen(cmsgRightsSpace)
}

// forkSide starts the intermediate process, which starts S and exits. It
// returns the intermediate's pid once it has exited (or is exiting: it
// released P's memory).
//
//go:nosplit
//go:norace
func forkSide(a *sideArgs) (uintptr, syscall.Errno) {
	const sigSetmask = 2
	_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&allSignals)), uintptr(unsafe.Pointer(&oldSignals)), 8, 0, 0)
	if e != 0 {
		return 0, e
	}
	pid, errno := vfork()
	if pid == 0 && errno == 0 {
		sideIntermediate(a) // does not return
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&oldSignals)), 0, 8, 0, 0)
	return pid, syscall.Errno(errno)
}

// sideIntermediate starts S and exits: 0 once S is started, 1 if it
// could not be.
//
//go:nosplit
//go:norace
func sideIntermediate(a *sideArgs) {
	_, e := cloneWait(a.stack, a, a.wait)
	status := uintptr(0)
	if e != 0 {
		status = 1
	}
	syscall.RawSyscall6(syscall.SYS_EXIT_GROUP, status, 0, 0, 0, 0, 0)
}

// sideWaitStack is S's stack until it executes unveil, sideKeep what it
// reads meanwhile: S shares P's memory (until P executes the program,
// after which S keeps P's old memory to itself), so neither may be
// reused.
var (
	sideWaitStack [64 << 10]byte
	sideKeep      *sideArgs
)

// sideWait is S until it executes unveil (see above).
//
//go:nosplit
//go:norace
func sideWait(a *sideArgs) {
	d := &sideWaitData
	syscall.RawSyscall6(syscall.SYS_SETSID, 0, 0, 0, 0, 0, 0)
	_, _, e := syscall.RawSyscall6(syscall.SYS_DUP3, uintptr(a.devnull), 0, 0, 0, 0, 0)
	if e == 0 {
		_, _, e = syscall.RawSyscall6(syscall.SYS_DUP3, uintptr(a.devnull), 1, 0, 0, 0, 0)
	}
	if e == 0 {
		_, _, e = syscall.RawSyscall6(syscall.SYS_DUP3, uintptr(a.sock), sideFd, 0, 0, 0, 0)
	}
	if e == 0 {
		_, _, e = syscall.RawSyscall6(syscall.SYS_DUP3, uintptr(a.lsock), sideListenFd, 0, 0, 0, 0)
	}
	if e != 0 {
		sideFail("arranging its descriptors")
	}
	// Nothing else of P's: P's ends of the sockets least of all (S waits
	// for the end of the listener socket).
	if _, _, e = syscall.RawSyscall6(unix.SYS_CLOSE_RANGE, sideListenFd+1, ^uintptr(0), 0, 0, 0, 0); e != 0 {
		for fd := uintptr(sideListenFd + 1); fd < 4096; fd++ {
			syscall.RawSyscall6(syscall.SYS_CLOSE, fd, 0, 0, 0, 0, 0)
		}
	}
	n, _, e := syscall.RawSyscall6(syscall.SYS_RECVMSG, sideListenFd, uintptr(unsafe.Pointer(&d.recvMsg)), unix.MSG_CMSG_CLOEXEC, 0, 0, 0)
	if e != 0 || n != 1 {
		sideExit(0) // P closed the socket: the sandbox was not applied, and P said why
	}
	if d.recvBuf[0] != sideNow {
		// The listener: wait for P's execve, then for a call.
		h := (*unix.Cmsghdr)(unsafe.Pointer(&d.recvCmsg[0]))
		if d.recvBuf[0] != 'L' || uint64(d.recvMsg.Controllen) < uint64(cmsgRightsLen) || h.Level != unix.SOL_SOCKET || h.Type != unix.SCM_RIGHTS {
			sideFail("receiving the listener")
		}
		l := *(*int32)(unsafe.Pointer(&d.recvCmsg[cmsgDataOff]))
		for {
			n, _, e = syscall.RawSyscall6(syscall.SYS_READ, sideListenFd, uintptr(unsafe.Pointer(&d.scratch[0])), uintptr(len(d.scratch)), 0, 0, 0)
			if e == 0 && n == 0 || e != 0 && e != syscall.EINTR {
				break // P's end is closed: it executed the program, or exited
			}
		}
		// P's old memory is S's alone now: not dumpable (before, that
		// would have been P's; the program cannot reach S anyway, see
		// sideRisky, and unveil sets it again once executed).
		syscall.RawSyscall6(syscall.SYS_PRCTL, unix.PR_SET_DUMPABLE, 0, 0, 0, 0, 0)
		for {
			d.poll.Fd, d.poll.Events, d.poll.Revents = l, unix.POLLIN, 0
			_, _, e = syscall.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&d.poll)), 1, 0, 0, 8, 0)
			if e == syscall.EINTR {
				continue
			}
			if e != 0 || d.poll.Revents&unix.POLLNVAL != 0 {
				sideFail("waiting for a call")
			}
			if d.poll.Revents&unix.POLLIN != 0 {
				break // a call waits: start the supervisor
			}
			if d.poll.Revents&unix.POLLHUP != 0 {
				sideExit(0) // no task left under the filter, and no call was made
			}
			// POLLERR alone: Linux 6.1 reports it when a signal
			// interrupts the poll, while tasks remain.
		}
		// unveil receives the listener as P sends it: over a socket at
		// sideListenFd.
		if _, _, e = syscall.RawSyscall6(syscall.SYS_SOCKETPAIR, unix.AF_UNIX, unix.SOCK_STREAM, 0, uintptr(unsafe.Pointer(&d.pair)), 0, 0); e != 0 {
			sideFail("passing the listener on")
		}
		*(*int32)(unsafe.Pointer(&d.sendCmsg[cmsgDataOff])) = l
		if n, _, e = syscall.RawSyscall6(syscall.SYS_SENDMSG, uintptr(d.pair[0]), uintptr(unsafe.Pointer(&d.sendMsg)), 0, 0, 0, 0); e != 0 || n != 1 {
			sideFail("passing the listener on")
		}
		if _, _, e = syscall.RawSyscall6(syscall.SYS_DUP3, uintptr(d.pair[1]), sideListenFd, 0, 0, 0, 0); e != 0 {
			sideFail("passing the listener on")
		}
		syscall.RawSyscall6(syscall.SYS_CLOSE, uintptr(d.pair[0]), 0, 0, 0, 0, 0)
		syscall.RawSyscall6(syscall.SYS_CLOSE, uintptr(d.pair[1]), 0, 0, 0, 0, 0)
		syscall.RawSyscall6(syscall.SYS_CLOSE, uintptr(l), 0, 0, 0, 0, 0)
	}
	const sigSetmask = 2
	for sig := uintptr(1); sig <= 64; sig++ {
		syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&sigDefault)), 0, 8, 0, 0)
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&oldSignals)), 0, 8, 0, 0)
	syscall.RawSyscall6(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(a.argv0)), uintptr(unsafe.Pointer(a.argvp)), uintptr(unsafe.Pointer(a.envvp)), 0, 0, 0)
	sideFail("executing unveil")
}

// sideFail says on the error stream (P's) that S could not start, and
// exits 1: the program's calls that wait for a supervisor then fail with
// ENOSYS, the kernel's answer when nobody listens. what is a constant.
//
//go:nosplit
//go:norace
func sideFail(what string) {
	const (
		head = "unveil: supervisor: could not start ("
		tail = "); the program's refused calls now fail with ENOSYS; -q runs without a supervisor\n"
	)
	syscall.RawSyscall6(syscall.SYS_WRITE, 2, uintptr(unsafe.Pointer(unsafe.StringData(head))), uintptr(len(head)), 0, 0, 0)
	syscall.RawSyscall6(syscall.SYS_WRITE, 2, uintptr(unsafe.Pointer(unsafe.StringData(what))), uintptr(len(what)), 0, 0, 0)
	syscall.RawSyscall6(syscall.SYS_WRITE, 2, uintptr(unsafe.Pointer(unsafe.StringData(tail))), uintptr(len(tail)), 0, 0, 0)
	sideExit(1)
}

//go:nosplit
//go:norace
func sideExit(code uintptr) {
	syscall.RawSyscall6(syscall.SYS_EXIT_GROUP, code, 0, 0, 0, 0, 0)
}
