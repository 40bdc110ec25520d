// Package notify supervises a process through seccomp user notification
// (SECCOMP_RET_USER_NOTIF, Linux 5.0+): the kernel holds each system call the
// filter hands to the listener until the supervisor answers it with an
// errno, a fake success value, or "continue".
//
// Security notes, which every user of this package must keep:
//   - Arguments that point into the target's memory (paths, socket
//     addresses) are read after the fact from /proc/PID/mem. Another thread
//     of the target can change them between the read and the kernel's own
//     use, so a decision to continue a call can never rest on them. A
//     supervisor may continue such a call only where another layer (a
//     Landlock ruleset) enforces the same limit; a denial may rest on them.
//   - A notification's PID can be reused once the task dies; Valid checks
//     that the notification is still pending, which pins the task, so read
//     first, then check Valid, then act.
//   - If the supervisor goes away, pending and future notified calls fail
//     with ENOSYS: the failure mode is closed.
package notify

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/loader"
)

// Notif is one system call the kernel holds for the supervisor
// (struct seccomp_notif).
type Notif struct {
	ID    uint64
	Pid   uint32 // thread ID of the caller, in the supervisor's PID namespace
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// ErrDone is returned by Recv once no task uses the filter any more.
var ErrDone = errors.New("notify: every supervised task has exited")

// Listener is a seccomp notification file descriptor.
type Listener struct {
	fd int
}

// NewListener wraps a listener file descriptor; the Listener owns it.
func NewListener(fd int) *Listener { return &Listener{fd: fd} }

// Fd returns the descriptor.
func (l *Listener) Fd() int { return l.fd }

// Close closes the descriptor; pending notified calls then fail with ENOSYS.
func (l *Listener) Close() error { return unix.Close(l.fd) }

// Recv waits for the next notification. It returns ErrDone when the last
// task using the filter has exited.
func (l *Listener) Recv() (*Notif, error) {
	for {
		fds := []unix.PollFd{{Fd: int32(l.fd), Events: unix.POLLIN}}
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return nil, fmt.Errorf("notify: poll: %w", err)
		}
		if fds[0].Revents&unix.POLLIN == 0 {
			// POLLHUP: no task uses the filter any more. POLLERR alone is
			// not the end: Linux 6.1's seccomp_notify_poll returns it when
			// a signal interrupts its wait for the notifier's lock.
			if fds[0].Revents&(unix.POLLHUP|unix.POLLNVAL) != 0 {
				return nil, ErrDone
			}
			continue
		}
		var n Notif
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), uintptr(unix.SECCOMP_IOCTL_NOTIF_RECV), uintptr(unsafe.Pointer(&n)))
		switch e {
		case 0:
			return &n, nil
		case unix.EINTR, unix.ENOENT:
			// ENOENT: the caller was killed (or the call interrupted)
			// between poll and receive; wait for the next one.
			continue
		}
		return nil, fmt.Errorf("notify: SECCOMP_IOCTL_NOTIF_RECV: %w", e)
	}
}

func (l *Listener) send(r notifResp) error {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), uintptr(unix.SECCOMP_IOCTL_NOTIF_SEND), uintptr(unsafe.Pointer(&r)))
	if e == unix.ENOENT {
		return nil // the caller is gone; nothing left to answer
	}
	if e != 0 {
		return fmt.Errorf("notify: SECCOMP_IOCTL_NOTIF_SEND: %w", e)
	}
	return nil
}

// Errno fails the held call with errno (which must be non-zero).
func (l *Listener) Errno(id uint64, errno unix.Errno) error {
	if errno == 0 {
		return errors.New("notify: Errno needs a non-zero errno")
	}
	return l.send(notifResp{ID: id, Error: -int32(errno)})
}

// Return makes the held call return val without running it.
func (l *Listener) Return(id uint64, val int64) error {
	return l.send(notifResp{ID: id, Val: val})
}

// Continue lets the kernel run the held call as if the filter had allowed
// it. See the package doc before using it for any decision.
func (l *Listener) Continue(id uint64) error {
	return l.send(notifResp{ID: id, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE})
}

// Valid reports whether the notification is still pending (its task alive
// and still inside the call).
func (l *Listener) Valid(id uint64) bool {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), uintptr(unix.SECCOMP_IOCTL_NOTIF_ID_VALID), uintptr(unsafe.Pointer(&id)))
	return e == 0
}

// Install sets no_new_privs and installs the classic BPF program on the
// calling OS thread only (no TSYNC), through internal/loader, returning
// the listener descriptor when listener is true (-1 otherwise). The caller
// must have locked its goroutine to the thread (runtime.LockOSThread) and
// must execve from that same thread: only this thread and what it execs or
// creates afterwards are filtered (the loader keeps the goroutine locked
// to it for good). The listener descriptor is close-on-exec.
func Install(prog []unix.SockFilter, listener bool) (int, error) {
	var flags loader.Flags
	if listener {
		flags |= loader.NewListener
	}
	fd, err := loader.Install(prog, flags)
	if err != nil {
		return -1, fmt.Errorf("notify: %w", err)
	}
	return fd, nil
}

// ReadMem reads n bytes at addr of process pid's memory.
func ReadMem(pid int, addr uint64, n int) ([]byte, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	m, err := f.ReadAt(buf, int64(addr))
	if m > 0 {
		return buf[:m], nil
	}
	return nil, err
}

// ReadString reads a NUL-terminated string of at most max bytes at addr of
// process pid's memory. It reads page by page so that a string ending just
// before an unmapped page is still read.
func ReadString(pid int, addr uint64, max int) (string, error) {
	if addr == 0 {
		return "", errors.New("notify: NULL pointer")
	}
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return "", err
	}
	defer f.Close()
	var out []byte
	for len(out) < max {
		chunk := 4096 - int((addr+uint64(len(out)))%4096)
		if chunk > max-len(out) {
			chunk = max - len(out)
		}
		buf := make([]byte, chunk)
		m, err := f.ReadAt(buf, int64(addr)+int64(len(out)))
		for i := 0; i < m; i++ {
			if buf[i] == 0 {
				return string(append(out, buf[:i]...)), nil
			}
		}
		out = append(out, buf[:m]...)
		if err != nil || m == 0 {
			if len(out) == 0 && err != nil {
				return "", err
			}
			break
		}
	}
	return string(out), fmt.Errorf("notify: string at %#x longer than %d bytes or unterminated", addr, max)
}

// SendFd passes fd over the unix socket sock (SCM_RIGHTS), with one byte
// ('L'). It allocates nothing and makes a raw sendmsg(2) on buffers of
// its own stack: it runs after a launcher has set the program's address
// space limit, where neither an allocation that grows the heap nor a new
// OS thread is possible (through the scheduler, a call the runtime's
// monitor finds in progress may have its P handed to a new thread).
func SendFd(sock, fd int) error {
	data := [1]byte{'L'}
	var control [64]byte // CMSG_SPACE(sizeof(int)), aligned for a cmsghdr
	space := unix.CmsgSpace(4)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&control[0]))
	h.Level, h.Type = unix.SOL_SOCKET, unix.SCM_RIGHTS
	h.SetLen(unix.CmsgLen(4))
	*(*int32)(unsafe.Pointer(&control[unix.CmsgLen(0)])) = int32(fd)
	iov := unix.Iovec{Base: &data[0]}
	iov.SetLen(1)
	msg := unix.Msghdr{Iov: &iov, Control: &control[0]}
	msg.SetIovlen(1)
	msg.SetControllen(space)
	_, _, e := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(sock), uintptr(unsafe.Pointer(&msg)), 0)
	if e != 0 {
		return e
	}
	return nil
}

// RecvFd receives one descriptor sent with SendFd; the result is
// close-on-exec.
func RecvFd(sock int) (int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, unix.CmsgSpace(4))
	_, oobn, _, _, err := unix.Recvmsg(sock, buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("notify: receiving the listener: %w", err)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return -1, fmt.Errorf("notify: receiving the listener: %w", err)
	}
	for _, m := range msgs {
		fds, err := unix.ParseUnixRights(&m)
		if err == nil && len(fds) > 0 {
			for _, extra := range fds[1:] {
				unix.Close(extra)
			}
			return fds[0], nil
		}
	}
	return -1, errors.New("notify: the stage closed the socket without sending a listener")
}

type notifAddfd struct {
	ID         uint64
	Flags      uint32
	Srcfd      uint32
	Newfd      uint32
	NewfdFlags uint32
}

// SendFd installs a copy of fd (one the supervisor opened itself) in the
// caller and makes the held call return its number, atomically
// (SECCOMP_ADDFD_FLAG_SEND, Linux 5.14). cloexec sets O_CLOEXEC on it.
func (l *Listener) SendFd(id uint64, fd int, cloexec bool) error {
	a := notifAddfd{ID: id, Flags: unix.SECCOMP_ADDFD_FLAG_SEND, Srcfd: uint32(fd)}
	if cloexec {
		a.NewfdFlags = unix.O_CLOEXEC
	}
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(l.fd), uintptr(unix.SECCOMP_IOCTL_NOTIF_ADDFD), uintptr(unsafe.Pointer(&a)))
	if e != 0 {
		return fmt.Errorf("notify: SECCOMP_IOCTL_NOTIF_ADDFD: %w", e)
	}
	return nil
}

// ContinueAll answers "continue" to every call held on the listener fd
// until receiving fails (the listener is closed, or the calling thread
// ends). It allocates nothing and blocks in raw ioctl(2)s on its own
// stack, with no poll, so that it can run after an address space limit
// below what the Go runtime would map next: through the scheduler, a
// blocking call has its P handed to a new OS thread, which the runtime
// cannot create under that limit (a stage under -M 64m died so on arm64).
// Blocked raw, it keeps its P, so the process must not need a
// stop-the-world (a garbage collection) while it waits: it is for the last
// calls before an execve. It judges nothing: it is for a process's own
// calls only.
func ContinueAll(fd int) {
	var n Notif
	var resp notifResp
	for {
		n = Notif{} // the kernel wants it zeroed
		_, _, e := unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), uintptr(unix.SECCOMP_IOCTL_NOTIF_RECV), uintptr(unsafe.Pointer(&n)))
		switch e {
		case 0:
		case unix.EINTR, unix.ENOENT:
			continue
		default:
			return
		}
		resp = notifResp{ID: n.ID, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
		unix.RawSyscall(unix.SYS_IOCTL, uintptr(fd), uintptr(unix.SECCOMP_IOCTL_NOTIF_SEND), uintptr(unsafe.Pointer(&resp)))
	}
}
