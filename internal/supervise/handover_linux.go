package supervise

import (
	"github.com/pledgekit/pledgekit/internal/notify"
)

// Listener is a seccomp user-notification listener, as Serve reads it.
type Listener = notify.Listener

// SendListener sends the listener lfd over the unix socket sock
// (SCM_RIGHTS). The caller closes its own copy.
func SendListener(sock, lfd int) error { return notify.SendFd(sock, lfd) }

// RecvListener receives a listener sent with SendListener over sock.
func RecvListener(sock int) (*Listener, error) {
	fd, err := notify.RecvFd(sock)
	if err != nil {
		return nil, err
	}
	return notify.NewListener(fd), nil
}

// ContinueAll answers "continue" to every call held on the listener lfd
// until receiving fails (the listener is closed, or the calling thread
// ends: a launcher's thread that answers its own process's execve, which
// ends the thread). It allocates nothing (notify.ContinueAll), so it can
// run after an address space limit below what the Go runtime would map
// next. It is for a process's own calls only: it judges nothing.
func ContinueAll(lfd int) { notify.ContinueAll(lfd) }
