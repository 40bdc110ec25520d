//go:build linux

package pledge_test

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// The usual OpenBSD order — unveil, UnveilBlock, then pledge — leaves the
// program unable to execute its own binary, which is how the violation
// supervisor starts. The supervisor is therefore started before Landlock
// is enforced, and a violation after the pledge is still reported by name
// and ends the process.
func TestAbortAfterUnveilBlock(t *testing.T) {
	pr := probe.Get()
	if pr.LandlockABI == 0 || !pr.SeccompActions[probe.ActionUserNotif] || !pr.SeccompFlags[probe.FlagTSyncESRCH] {
		t.Skip("needs Landlock and seccomp user notification with TSYNC_ESRCH")
	}
	dir := t.TempDir()
	r := testproc.Run(t, "block-then-pledge", func() {
		if err := unveil.Unveil(dir, "rwc"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		if err := unveil.UnveilBlock(); err != nil {
			testproc.Fatalf("block: %v", err)
		}
		// The binary is not unveiled: executing it again is refused.
		if _, err := os.Stat("/proc/self/exe"); err != nil {
			testproc.Fatalf("stat: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio rpath wpath cpath", Penalty: pledge.PenaltyAbort})
		if err != nil {
			testproc.Fatalf("apply: %v", err)
		}
		if d := rep.Degraded(); len(d) > 0 {
			testproc.Fatalf("degraded: %v", d)
		}
		os.Stdout.WriteString("pledged\n")
		syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		os.Stdout.WriteString("not reached\n")
	})
	if !r.Signaled(syscall.SIGKILL) {
		t.Fatalf("want SIGKILL from the supervisor, got %s", r)
	}
	if !strings.Contains(r.Stdout, "pledged") || strings.Contains(r.Stdout, "not reached") {
		t.Fatalf("unexpected output\n%s", r)
	}
	if !strings.Contains(r.Stderr, "pledge: denied socket(AF_INET") || !strings.Contains(r.Stderr, `needs promise "inet"`) ||
		!strings.Contains(r.Stderr, `(pledged: "stdio rpath wpath cpath")`) {
		t.Fatalf("violation not reported with the pledged promises\n%s", r)
	}
}

// A pre-started supervisor that the pledge does not need (another
// penalty) is sent away: the pledge reports no degradation and the
// process has no leftover child.
func TestPrestartedSupervisorReleased(t *testing.T) {
	pr := probe.Get()
	if pr.LandlockABI == 0 || !pr.SeccompActions[probe.ActionUserNotif] || !pr.SeccompFlags[probe.FlagTSyncESRCH] {
		t.Skip("needs Landlock and seccomp user notification with TSYNC_ESRCH")
	}
	dir := t.TempDir()
	r := testproc.Run(t, "block-then-eperm", func() {
		unveil.Unveil(dir, "r")
		if err := unveil.UnveilBlock(); err != nil {
			testproc.Fatalf("block: %v", err)
		}
		if _, err := pledge.Apply(pledge.Options{Promises: "stdio rpath proc", Penalty: pledge.PenaltyEPERM}); err != nil {
			testproc.Fatalf("apply: %v", err)
		}
		// The supervisor got "X" and was reaped: no child is left.
		var ws syscall.WaitStatus
		if _, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); err != syscall.ECHILD {
			testproc.Fatalf("wait4: want ECHILD (no leftover supervisor), got %v", err)
		}
		os.Stdout.WriteString("reaped\n")
	})
	if !r.Exited(0) || !strings.Contains(r.Stdout, "reaped") {
		t.Fatalf("got %s", r)
	}
}
