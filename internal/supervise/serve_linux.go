package supervise

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/notify"
)

// Handler decides the calls Serve receives; each supervisor keeps only
// its policy here (pledge: report, then kill or fail; cmd/unveil: fail,
// emulate or continue; learn: record and continue).
type Handler interface {
	// Handle answers r exactly once (Continue, Errno, SendFd), or kills
	// the caller. r is still pending when Handle is called, and was
	// decoded before that was checked.
	Handle(r *Request)
}

// HandlerFunc is a function as a Handler.
type HandlerFunc func(r *Request)

// Handle calls f(r).
func (f HandlerFunc) Handle(r *Request) { f(r) }

// Request is one held call: decoded, and the means to answer it.
type Request struct {
	*Call
	l  *notify.Listener
	id uint64
}

// Continue lets the kernel run the call. A decision to continue can never
// rest on what was read from the caller's memory (see Call).
func (r *Request) Continue() error { return r.l.Continue(r.id) }

// Errno fails the call with errno (non-zero) without running it.
func (r *Request) Errno(errno unix.Errno) error { return r.l.Errno(r.id, errno) }

// SendFd makes the call return a copy of fd, a descriptor the supervisor
// opened itself, installed in the caller (close-on-exec if cloexec).
func (r *Request) SendFd(fd int, cloexec bool) error { return r.l.SendFd(r.id, fd, cloexec) }

// Valid reports whether the call is still pending (its caller alive and
// still in it): its Pid is then still the caller's.
func (r *Request) Valid() bool { return r.l.Valid(r.id) }

// Identify reads the caller's process (Tgid) and command name (Comm),
// once, then checks that the call is still pending: only then are they
// the caller's, not those of a process that took its thread ID after it
// died. It reports whether the call is still pending.
func (r *Request) Identify() bool {
	if r.Tgid == 0 {
		r.Tgid = tgidOf(r.Pid)
		r.Comm = commOf(r.Tgid)
	}
	return r.Valid()
}

// Kill ends the caller's whole process with SIGKILL, if the call is still
// pending (otherwise its thread ID may have been reused). The call itself
// is never answered: it ends with the process.
func (r *Request) Kill() {
	if r.Valid() {
		_ = unix.Kill(r.Pid, unix.SIGKILL) // on a thread ID: its thread group
	}
}

// Control is a second descriptor Serve watches (a control pipe).
type Control struct {
	Fd int
	// Ready is called when Fd is readable or hung up, with the listener
	// being served. It returns the listener to serve from then on (the
	// same, or the one a new filter handed over) and whether to keep
	// watching Fd.
	Ready func(l *notify.Listener) (next *notify.Listener, watch bool)
}

// Options adjust Serve.
type Options struct {
	// Arch is the Go architecture of the supervised processes
	// (runtime.GOARCH when empty).
	Arch string
	// Pass, if set, sees each notification first: the caller's thread ID
	// and the call's name ("" when not native). When it returns true the
	// call is continued at once, neither decoded nor handled (cmd/unveil:
	// its own stage's calls before it runs the program).
	Pass func(pid int, name string) bool
	// Control, if set, is watched with the listener.
	Control *Control
}

// Serve receives the calls the kernel holds on l and hands each, decoded
// and still pending, to h, until no process uses the filter any more
// (then it returns nil) or receiving fails. A notification whose caller
// died or left the call before it was decoded is dropped (if the call
// was interrupted, the kernel notifies it again). Serve closes the
// listener it serves when it returns.
func Serve(l *notify.Listener, h Handler, o Options) (err error) {
	arch := o.Arch
	if arch == "" {
		arch = runtime.GOARCH
	}
	ctl := o.Control
	defer func() { l.Close() }()
	for {
		if ctl != nil {
			fds := []unix.PollFd{{Fd: int32(l.Fd()), Events: unix.POLLIN}, {Fd: int32(ctl.Fd), Events: unix.POLLIN}}
			if _, err := unix.Poll(fds, -1); err != nil {
				if err == unix.EINTR {
					continue
				}
				return fmt.Errorf("supervise: poll: %w", err)
			}
			if fds[1].Revents != 0 {
				var watch bool
				l, watch = ctl.Ready(l)
				if !watch {
					ctl = nil
				}
				continue
			}
			if fds[0].Revents == 0 {
				continue
			}
		}
		n, err := l.Recv()
		if errors.Is(err, notify.ErrDone) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("supervise: %w", err)
		}
		if o.Pass != nil && o.Pass(int(n.Pid), SyscallName(arch, n.Arch, n.Nr)) {
			_ = l.Continue(n.ID)
			continue
		}
		r := &Request{Call: Decode(n, arch), l: l, id: n.ID}
		if !r.Valid() {
			continue // cancelled: the caller died, or was interrupted and calls again
		}
		h.Handle(r)
	}
}
