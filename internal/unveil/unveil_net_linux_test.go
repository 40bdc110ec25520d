//go:build linux

package unveil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/report"
)

func listenTCP(port int, mptcp bool) (net.Listener, error) {
	var lc net.ListenConfig
	lc.SetMultipathTCP(mptcp)
	return lc.Listen(context.Background(), "tcp", fmt.Sprintf("127.0.0.1:%d", port))
}

// serve starts a plain TCP listener that accepts and closes connections.
func serve() int {
	l, err := listenTCP(0, false)
	ok(err, "listen")
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// freePort returns a port nothing listens on right now.
func freePort() int {
	l, err := listenTCP(0, false)
	ok(err, "listen")
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

func dial(port int) error {
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err == nil {
		c.Close()
	}
	return err
}

func TestTCPPortRules(t *testing.T) {
	needLandlock(t, 4)
	scenario(t, func(base string) {
		allowed, other := serve(), serve()
		bindOK, bindNo := freePort(), freePort()
		r := New().ConnectTCP(uint16(allowed)).BindTCP(uint16(bindOK))
		rep := commitOK(r)
		ok(dial(allowed), "connect to the allowed port")
		denied(dial(other), "connect to another port")
		l, err := listenTCP(bindOK, false)
		ok(err, "bind the allowed port (plain TCP)")
		l.Close()
		_, err = listenTCP(bindNo, false)
		denied(err, "bind another port (plain TCP)")

		// MPTCP: Landlock does not see it. The report must not claim
		// otherwise when an MPTCP bind gets through.
		it, _ := item(rep, "tcp bind")
		l, err = listenTCP(bindNo, true)
		if err == nil {
			l.Close()
			if it.Status != report.Partial || !strings.Contains(it.Reason, "MPTCP") {
				fatalf("an MPTCP bind to a denied port succeeded, but the report says %+v", it)
			}
		} else if !errors.Is(err, syscall.EACCES) {
			fatalf("MPTCP bind: %v", err)
		}
		if probe.MPTCP() != (it.Status == report.Partial) {
			fatalf("MPTCP enabled=%v but tcp bind item is %+v", probe.MPTCP(), it)
		}
	})
}

// With GODEBUG=multipathtcp=0, net.Listen uses plain TCP, which the bind
// rule covers: the documented workaround for unveil-only programs.
func TestTCPBindGODEBUG(t *testing.T) {
	needLandlock(t, 4)
	scenario(t, func(base string) {
		bindNo := freePort()
		commitOK(New().BindTCP())
		_, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", bindNo))
		denied(err, "net.Listen with GODEBUG=multipathtcp=0")
	}, testproc.WithEnv("GODEBUG=multipathtcp=0"))
}

// UDP rules need ABI 10: below, they are dropped (and reported), or Commit
// fails when they are required.
func TestUDPBelowABI10(t *testing.T) {
	needLandlock(t, 1)
	if probeABI() >= 10 {
		t.Skip("kernel has UDP rules")
	}
	scenario(t, func(base string) {
		rep, err := New().BindUDP(0).ConnectUDP(53).Commit()
		ok(err, "commit")
		if it, _ := item(rep, "udp bind"); it.Status != report.Dropped || !strings.Contains(it.Reason, "ABI 10") {
			fatalf("udp bind item: %+v\n%s", it, rep)
		}
		if it, _ := item(rep, "udp connect/send"); it.Status != report.Dropped {
			fatalf("udp send item: %+v", it)
		}
		if rep.Landlock {
			fatalf("nothing to enforce, but Landlock=true")
		}
		c, err := net.Dial("udp", "127.0.0.1:9")
		ok(err, "UDP still works (as reported)")
		c.Close()
		rep, err = New().BindUDP(0).Require(UDP).Commit()
		var ue *UnavailableError
		if !errors.Is(err, ErrLandlockUnavailable) || !errors.As(err, &ue) || ue.Protection != UDP || rep.Landlock {
			fatalf("Require(UDP): %v", err)
		}
	})
}
