//go:build linux

package unveil

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

const blockerEnv = "PLEDGEKIT_UNVEIL_TEST_BLOCKER"

// TestHelperBlocker is not a test: started by startBlocker, it blocks
// until its standard input closes.
func TestHelperBlocker(t *testing.T) {
	if os.Getenv(blockerEnv) == "" {
		t.Skip("helper process for the scope tests")
	}
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// startBlocker starts a process (this test binary) that lives until we
// exit: it reads a pipe we hold. No external program is needed.
func startBlocker() (*exec.Cmd, io.WriteCloser) {
	exe, err := os.Executable()
	ok(err, "executable")
	cmd := exec.Command(exe, "-test.run=^TestHelperBlocker$")
	cmd.Env = append(os.Environ(), blockerEnv+"=1")
	in, err := cmd.StdinPipe()
	ok(err, "stdin pipe")
	ok(cmd.Start(), "start blocker")
	return cmd, in
}

func abstractName(tag string) string {
	return fmt.Sprintf("@pledgekit-unveil-test-%s-%d", tag, os.Getpid())
}

func TestScopes(t *testing.T) {
	needLandlock(t, 6)
	scenario(t, func(base string) {
		// Below ABI 8 every thread has its own Landlock domain (see the
		// report): the pairs checked "inside" must come from one thread.
		runtime.LockOSThread()
		outside, _ := startBlocker()
		lOut, err := net.Listen("unix", abstractName("out"))
		ok(err, "listen abstract (before the sandbox)")
		defer lOut.Close()

		rep := commitOK(New().Scope(ScopeSignal, ScopeAbstractUnix))
		it, _ := item(rep, "scopes")
		if want := map[bool]report.Status{true: report.Partial, false: report.Enforced}[probeABI() < 8]; it.Status != want ||
			(want == report.Partial && !strings.Contains(it.Reason, "domain of its own")) {
			fatalf("scopes item %+v, want %s", it, want)
		}
		denied(syscall.Kill(outside.Process.Pid, syscall.SIGTERM), "signal a process outside the sandbox", syscall.EPERM)
		denied(syscall.Kill(os.Getppid(), 0), "signal the parent", syscall.EPERM)
		ok(syscall.Kill(os.Getpid(), 0), "signal ourselves")

		inside, _ := startBlocker() // started after: inside the sandbox
		ok(inside.Process.Signal(syscall.SIGTERM), "signal a process started inside")
		inside.Wait()

		_, err = net.Dial("unix", abstractName("out"))
		denied(err, "connect to an abstract socket from outside", syscall.EPERM)
		lIn, err := net.Listen("unix", abstractName("in"))
		ok(err, "listen abstract inside")
		c, err := net.Dial("unix", abstractName("in"))
		ok(err, "connect to an abstract socket made inside")
		c.Close()
		lIn.Close()
	})
}

// On ABI 5 scopes are dropped and the report says so; signals still pass.
func TestScopesBelowABI6(t *testing.T) {
	needLandlock(t, 5)
	scenario(t, func(base string) {
		outside, _ := startBlocker()
		r := New().Scope(ScopeSignal)
		r.probe = fake(5)
		rep, err := r.Commit()
		ok(err, "commit")
		it, _ := item(rep, "scopes")
		if it.Status != report.Dropped || !strings.Contains(it.Reason, "ABI 6") || rep.Landlock {
			fatalf("scopes on ABI 5: %+v landlock=%v", it, rep.Landlock)
		}
		ok(syscall.Kill(outside.Process.Pid, syscall.SIGTERM), "signal outside (not restricted, as reported)")
		r = New().Scope(ScopeSignal).Require(Scopes)
		r.probe = fake(5)
		if _, err := r.Commit(); !errorsIs(err, ErrLandlockUnavailable) {
			fatalf("Require(Scopes) on ABI 5: %v", err)
		}
	})
}

// outsiders starts a process and listens on an abstract socket, both
// outside the sandbox to come.
func outsiders() (*exec.Cmd, net.Listener) {
	outside, _ := startBlocker()
	l, err := net.Listen("unix", abstractName("out"))
	ok(err, "listen abstract (before the veil)")
	return outside, l
}

// A veil scopes abstract unix sockets and signals by default (issue #13):
// what is not unveiled is not reachable through them either.
func TestVeilScopesByDefault(t *testing.T) {
	needLandlock(t, 6)
	t.Run("UnveilBlock", func(t *testing.T) {
		scenario(t, func(base string) {
			runtime.LockOSThread() // pairs inside on one thread (below ABI 8)
			outside, lOut := outsiders()
			defer lOut.Close()
			ok(Unveil(base, "r"), "Unveil")
			rep, err := Block()
			ok(err, "UnveilBlock")
			it, found := item(rep, "scopes ")
			if !found || it.Status == report.Dropped || !strings.Contains(it.What, "signal") || !strings.Contains(it.What, "abstract_unix_socket") ||
				!strings.Contains(it.Reason, "by default under a veil") {
				fatalf("scopes item %+v\n%s", it, rep)
			}
			denied(syscall.Kill(outside.Process.Pid, syscall.SIGTERM), "signal a process outside the veil", syscall.EPERM)
			_, err = net.Dial("unix", abstractName("out"))
			denied(err, "connect to an abstract socket from outside the veil", syscall.EPERM)
			ok(syscall.Kill(os.Getpid(), 0), "signal ourselves")
		})
	})
	t.Run("Unscope", func(t *testing.T) {
		scenario(t, func(base string) {
			outside, lOut := outsiders()
			defer lOut.Close()
			// As pledge.Options.Unveil commits it (the default scopes
			// apply), opted out.
			r := New().Unscope(ScopeSignal, ScopeAbstractUnix)
			ok(r.Unveil(base, "r"), "Unveil")
			rep, err := r.commitPledged(promises.Of(promises.Stdio, promises.Unix))
			ok(err, "commitPledged")
			if it, found := item(rep, "scopes "); found || !rep.Landlock {
				fatalf("scopes opted out, but reported: %+v\n%s", it, rep)
			}
			ok(syscall.Kill(outside.Process.Pid, 0), "signal outside after Unscope")
			c, err := net.Dial("unix", abstractName("out"))
			ok(err, "connect to an outside abstract socket after Unscope")
			c.Close()
		})
	})
	t.Run("proc promised", func(t *testing.T) {
		scenario(t, func(base string) {
			runtime.LockOSThread() // pairs inside on one thread (below ABI 8)
			outside, lOut := outsiders()
			defer lOut.Close()
			ok(Unveil(base, "r"), "Unveil")
			rep, err := commitPending(promises.Of(promises.Stdio, promises.Proc, promises.Unix), true)
			ok(err, "commitPending")
			if it, _ := item(&rep, "scopes "); it.What != "scopes abstract_unix_socket" || !strings.Contains(it.Reason, `"proc"`) {
				fatalf("scopes item %+v", it)
			}
			ok(syscall.Kill(outside.Process.Pid, 0), "signal outside with proc promised")
			_, err = net.Dial("unix", abstractName("out"))
			denied(err, "connect to an abstract socket from outside the veil", syscall.EPERM)
		})
	})
}

// Below ABI 6 the default scopes are reported dropped, and Require does
// not turn a default into an error.
func TestVeilScopesBelowABI6(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		outside, _ := startBlocker()
		r := New().Require(Paths, Scopes)
		ok(r.Unveil(base, "r"), "Unveil")
		r.probe = fake(min(probeABI(), 5)) // this kernel's ABI where it has no scopes
		abi := r.probe.LandlockABI
		rep, err := r.commitPledged(promises.Of(promises.Stdio)) // a pledge's commit: the default scopes
		ok(err, "commitPledged")
		it, _ := item(rep, "scopes ")
		if it.Status != report.Dropped || !strings.Contains(it.Reason, "ABI 6") || !strings.Contains(it.Reason, "by default") {
			fatalf("default scopes on ABI %d: %+v\n%s", abi, it, rep)
		}
		ok(syscall.Kill(outside.Process.Pid, 0), "signal outside (not restricted, as reported)")
	})
}
