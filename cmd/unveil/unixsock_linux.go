package main

// AF_UNIX stream sockets without the unix promise (supervised mode).
//
// glibc's name-service calls (getpwuid, getgrgid, ...) first try nscd:
// socket(AF_UNIX, SOCK_STREAM) and a connect to /var/run/nscd/socket, then
// read /etc/passwd themselves when that fails. Where nscd does not run the
// connect fails with ENOENT anyway, but refusing the socket made every such
// program (id, ls -l, python3 without HOME, ...) print a refusal naming
// unix, and made learn ask for unix, which would let the program connect
// to any socket on the machine (a container runtime's, a desktop bus).
//
// So, where the promises allow none of connect, bind, listen, accept and
// accept4, the supervisor answers socket(AF_UNIX, SOCK_STREAM, 0) with an
// unconnected socket of its own making. Such a socket can do nothing: it
// cannot be connected, bound or listened on (those calls stay refused),
// and a stream socket cannot send to an address (EOPNOTSUPP). A connect
// naming a file that does not exist is answered ENOENT, as the kernel
// would; any other connect is refused with a message naming unix. Nothing
// is ever continued. Datagram and seqpacket sockets are not emulated.
// Direct mode (-q) has no supervisor: there the socket call fails (EPERM),
// which glibc takes as "no nscd" as well.

import (
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/supervise"
	"github.com/pledgekit/pledgekit/promises"
)

// unixEmulated reports whether set leaves an AF_UNIX stream socket unable
// to do anything: no rule allows connect, bind, listen, accept or accept4.
func unixEmulated(set promises.Set, arch string) bool {
	for _, r := range rulesFor(set, arch) {
		switch r.Syscall {
		case "connect", "bind", "listen", "accept", "accept4":
			if r.Action == promises.Allow {
				return false
			}
		}
	}
	return true
}

// isUnixStreamSocket: socket(AF_UNIX, SOCK_STREAM[|SOCK_NONBLOCK|SOCK_CLOEXEC], 0).
func isUnixStreamSocket(name string, a [6]uint64) bool {
	return name == "socket" && uint32(a[0]) == unix.AF_UNIX &&
		uint32(a[1])&^uint32(unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC) == unix.SOCK_STREAM && uint32(a[2]) == 0
}

// giveUnixSocket answers the socket call with a fresh unconnected socket;
// false if that failed (the caller then refuses the call).
func giveUnixSocket(r *supervise.Request) bool {
	flags := unix.SOCK_STREAM | unix.SOCK_CLOEXEC | int(uint32(r.Args[1])&unix.SOCK_NONBLOCK)
	fd, err := unix.Socket(unix.AF_UNIX, flags, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return r.SendFd(fd, uint32(r.Args[1])&unix.SOCK_CLOEXEC != 0) == nil
}

// missingUnixPath reports whether a connect names a socket file that does
// not exist (the kernel would answer ENOENT).
func (cs *credStat) missingUnixPath(c *supervise.Call) bool {
	if c.Name != "connect" || c.Family != unix.AF_UNIX || c.UnixPath == "" {
		return false
	}
	// Looked up as the program would (ascreds_linux.go).
	return cs.stat(c.UnixPath, false) == unix.ENOENT
}
