//go:build linux

package unveil

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/report"
	"golang.org/x/sys/unix"
)

// A thread locked to its goroutine before the commit (parked, so neither
// the Go scheduler nor a later thread creation is involved) is restricted
// too: with TSYNC by the kernel, below ABI 8 by the psx round. The report
// names the mechanism.
func TestCommitRestrictsThreadLockedBefore(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		secret := mkfile("s", base, "secret")
		visible := mkfile("v", base, "open", "file")
		other := newThread()
		r := New()
		ok(r.Unveil(filepath.Dir(visible), "r"), "unveil")
		rep := commitOK(r)
		other.run(func() {
			readDenied(secret)
			readOK(visible)
		})
		th, found := item(rep, "threads")
		nnp, _ := item(rep, "no_new_privs")
		switch {
		case !found:
			fatalf("no threads item:\n%s", rep)
		case probeABI() >= 8 && (th.Feature != "tsync" || !strings.Contains(th.Reason, "LANDLOCK_RESTRICT_SELF_TSYNC")):
			fatalf("ABI %d: threads item %+v, want TSYNC", probeABI(), th)
		case probeABI() < 8 && (th.Feature != "" || !strings.Contains(th.Reason, "psx")):
			fatalf("ABI %d: threads item %+v, want the psx round", probeABI(), th)
		case probeABI() >= 11 && nnp.Feature != "restrict_nnp":
			fatalf("ABI %d: no_new_privs item %+v, want restrict_nnp", probeABI(), nnp)
		case probeABI() < 11 && (nnp.Feature != "" || !strings.Contains(nnp.Reason, "prctl")):
			fatalf("ABI %d: no_new_privs item %+v, want prctl", probeABI(), nnp)
		case !rep.NoNewPrivs:
			fatalf("no_new_privs not set after the commit")
		}
		other.run(func() {
			if v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err != nil || v != 1 {
				fatalf("no_new_privs on the other thread: %d %v", v, err)
			}
		})
	})
}

// With TSYNC (ABI 8) the process has one Landlock domain: a process that
// one thread starts inside the sandbox can be signalled from another
// thread under ScopeSignal. Below ABI 8 each thread has a domain of its
// own (the psx round), so the same signal is refused, as the scopes item
// says (Partial).
func TestOneDomainWithTSYNC(t *testing.T) {
	needLandlock(t, 6)
	scenario(t, func(base string) {
		a, b := newThread(), newThread()
		rep := commitOK(New().Scope(ScopeSignal))
		var child *os.Process
		var stdin io.Closer
		a.run(func() {
			cmd, in := startBlocker() // forked by thread a: a's domain
			child, stdin = cmd.Process, in
		})
		var err error
		b.run(func() { err = syscall.Kill(child.Pid, syscall.SIGTERM) })
		it, _ := item(rep, "scopes")
		if tsync(probeResultForTest()) {
			ok(err, "signal from thread b a process thread a started (one domain)")
			if it.Status != report.Enforced {
				fatalf("scopes item %+v, want enforced with TSYNC", it)
			}
		} else {
			denied(err, "signal from thread b a process thread a started (sibling domains below ABI 8)", syscall.EPERM)
			if it.Status != report.Partial {
				fatalf("scopes item %+v, want partial below ABI 8", it)
			}
		}
		stdin.Close() // the blocker exits (a signal from here may be refused too)
		child.Wait()
	})
}

// Landlock ABI 9: a pathname unix socket (datagram or stream) outside the
// veil is unreachable, one beneath a path unveiled "w" is reachable, and
// the report names the feature. Below ABI 9 the report says sockets are
// not restricted by path (and they are not).
func TestUnixSocketsByPath(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		in, out := mkdir(base, "in"), mkdir(base, "out")
		dgram := func(dir string) string {
			p := filepath.Join(dir, "dgram")
			fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
			ok(err, "socket")
			ok(unix.Bind(fd, &unix.SockaddrUnix{Name: p}), "bind "+p)
			return p
		}
		stream := func(dir string) string {
			p := filepath.Join(dir, "stream")
			l, err := net.Listen("unix", p)
			ok(err, "listen "+p)
			_ = l
			return p
		}
		inD, outD, inS, outS := dgram(in), dgram(out), stream(in), stream(out)
		r := New()
		ok(r.Unveil(in, "w"), "unveil")
		rep := commitOK(r)
		send := func(p string) error {
			sv, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
			ok(err, "socketpair")
			defer unix.Close(sv[0])
			defer unix.Close(sv[1])
			return unix.Sendto(sv[0], []byte("x"), 0, &unix.SockaddrUnix{Name: p})
		}
		dial := func(p string) error {
			c, err := net.Dial("unix", p)
			if err == nil {
				c.Close()
			}
			return err
		}
		ok(send(inD), "datagram to a socket unveiled w")
		ok(dial(inS), "connect to a socket unveiled w")
		it, found := item(rep, "unix sockets by path")
		if probeABI() >= 9 {
			denied(send(outD), "datagram to a socket outside the veil")
			denied(dial(outS), "connect to a socket outside the veil")
			if !found || it.Status != report.Enforced || it.Feature != "unix_sockets" || !unixSocketsRestricted() {
				fatalf("ABI %d: item %+v (found %v), restricted %v", probeABI(), it, found, unixSocketsRestricted())
			}
			return
		}
		ok(send(outD), "datagram outside the veil below ABI 9 (as reported)")
		if !found || it.Status != report.Partial || !strings.Contains(it.Reason, "ABI 9") || unixSocketsRestricted() {
			fatalf("ABI %d: item %+v (found %v), restricted %v", probeABI(), it, found, unixSocketsRestricted())
		}
	})
}

// Landlock ABI 10: Ruleset.ConnectUDP and BindUDP enforce UDP port rules
// (a send to another port and a bind to another port are refused with
// EACCES); below ABI 10 the report says they are dropped, and UDP is
// unrestricted.
func TestUDPRules(t *testing.T) {
	needLandlock(t, 4)
	scenario(t, func(base string) {
		listen := func() int {
			c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			ok(err, "listen udp")
			return c.LocalAddr().(*net.UDPAddr).Port
		}
		allowed, other := listen(), listen()
		rep := commitOK(New().ConnectUDP(uint16(allowed)).BindUDP(0).ConnectTCP(1))
		send := func(port int) error {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			ok(err, "socket")
			defer unix.Close(fd)
			return unix.Sendto(fd, []byte("x"), 0, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
		}
		bind := func(port int) error {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
			ok(err, "socket")
			defer unix.Close(fd)
			return unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
		}
		ok(send(allowed), "send to the allowed port (implicit bind to port 0)")
		ok(bind(0), "bind to port 0")
		it, _ := item(rep, "udp connect/send")
		if probeABI() >= 10 {
			denied(send(other), "send to another port")
			denied(bind(other+1), "bind to a port not allowed")
			if it.Status != report.Enforced || it.Feature != "udp" {
				fatalf("ABI %d: udp item %+v", probeABI(), it)
			}
			return
		}
		ok(send(other), "send to another port below ABI 10 (as reported)")
		if it.Status != report.Dropped || !strings.Contains(it.Reason, "ABI 10") {
			fatalf("ABI %d: udp item %+v, want dropped", probeABI(), it)
		}
	})
}
