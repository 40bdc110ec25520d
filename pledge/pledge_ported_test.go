//go:build linux

package pledge_test

import (
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// Package net reads /proc/sys/net/core/somaxconn at a process's first
// listen: after a pledge without rpath that open ended the process (found
// running wireproxy's narrowing to "stdio inet dns", internal/ported).
// The pledge reads it first; opening a file is still refused.
func TestListenAfterPledgeWithoutRpath(t *testing.T) {
	r := testproc.Run(t, "listen", func() {
		if err := pledge.Pledge("stdio inet", ""); err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			testproc.Fatalf("listen: %v", err)
		}
		l.Close()
		report("listened")
		os.ReadFile("/proc/sys/net/core/somaxconn")
		report("not reached")
	})
	wantAbort(t, r, "openat", `"rpath"`)
	wantStdout(t, r, "listened")
}

// A narrowing of an abort pledge (a plain filter with a new listener) is
// built for the process's pid like the first filter, so stdio's signals
// to itself still work after it: the Go runtime preempts goroutines with
// tgkill(getpid(), tid, SIGURG) (found with wireproxy's three narrowings,
// internal/ported). Signalling another process still needs proc.
func TestSelfSignalAfterNarrowing(t *testing.T) {
	r := testproc.Run(t, "narrowed", func() {
		for _, p := range []string{"stdio rpath inet", "stdio inet"} {
			if err := pledge.Pledge(p, ""); err != nil {
				testproc.Fatalf("pledge %q: %v", p, err)
			}
		}
		if err := syscall.Kill(os.Getpid(), syscall.SIGURG); err != nil {
			testproc.Fatalf("kill(self): %v", err)
		}
		if err := syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGURG); err != nil {
			testproc.Fatalf("tgkill(self): %v", err)
		}
		report("signalled itself")
		syscall.Kill(os.Getppid(), 0)
		report("not reached")
	})
	wantAbort(t, r, "kill", `"proc"`)
	wantStdout(t, r, "signalled itself")
}
