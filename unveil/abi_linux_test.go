//go:build linux

package unveil

import (
	"io"
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
