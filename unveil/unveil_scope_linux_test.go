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
