//go:build linux

package pledge_test

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

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
		pledgeAbortThenInet("stdio rpath wpath cpath")
	})
	wantSupervisorKill(t, r, `needs promise "inet"`, `(pledged: "stdio rpath wpath cpath")`)
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

// hasChild reports whether the calling process has a child (a pre-started
// supervisor), without reaping anything.
func hasChild() (bool, error) {
	var ws syscall.WaitStatus
	_, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
	switch err {
	case nil:
		return true, nil // children, none of which has exited
	case syscall.ECHILD:
		return false, nil
	}
	return false, err
}

// A layer that handles none of what starting the supervisor needs
// (executing, reading and writing files, reading directories) still
// launches it ahead of time below Landlock ABI 8: a supervisor started
// later, from inside the layer, may be refused the process's descriptors,
// because the process's threads end up in sibling domains. The pledge uses
// the pre-started supervisor. With TSYNC (ABI 8) the process has one
// domain: no supervisor is launched early, and the one the pledge starts
// from inside the layer works.
func TestPrestartForCreateOnlyLayer(t *testing.T) {
	pr := probe.Get()
	if pr.LandlockABI == 0 || !pr.SeccompActions[probe.ActionUserNotif] || !pr.SeccompFlags[probe.FlagTSyncESRCH] {
		t.Skip("needs Landlock and seccomp user notification with TSYNC_ESRCH")
	}
	dir := t.TempDir()
	r := testproc.Run(t, "create-only-layer-then-pledge", func() {
		const create = unix.LANDLOCK_ACCESS_FS_MAKE_REG | unix.LANDLOCK_ACCESS_FS_MAKE_DIR | unix.LANDLOCK_ACCESS_FS_REMOVE_FILE
		rs := unveil.New().HandleFS(create)
		if err := rs.AllowFS(dir, create); err != nil {
			testproc.Fatalf("allow: %v", err)
		}
		rep, err := rs.Commit()
		if err != nil || !rep.Landlock {
			testproc.Fatalf("commit: %v (landlock %v)", err, rep != nil && rep.Landlock)
		}
		// The layer works: creating a file outside dir is refused.
		if err := os.WriteFile(os.TempDir()+"/pledgekit-prestart-probe", nil, 0o600); err == nil {
			os.Remove(os.TempDir() + "/pledgekit-prestart-probe")
			testproc.Fatalf("creating a file outside the layer's directory was allowed")
		}
		tsync := probe.Get().LandlockTSync()
		if child, err := hasChild(); err != nil || child == tsync {
			testproc.Fatalf("a supervisor launched before a create-only layer: %v, want %v (TSYNC %v; %v)", child, !tsync, tsync, err)
		}
		pledgeAbortThenInet("stdio rpath wpath cpath")
	})
	wantSupervisorKill(t, r, `needs promise "inet"`)
}

// A layer that handles reading (any unveil) launches the supervisor before
// it is enforced, and the pledge uses that supervisor: it could not start
// one from inside the layer, which hides the binary and /proc.
func TestPrestartBeforeReadLayer(t *testing.T) {
	pr := probe.Get()
	if pr.LandlockABI == 0 || !pr.SeccompActions[probe.ActionUserNotif] || !pr.SeccompFlags[probe.FlagTSyncESRCH] {
		t.Skip("needs Landlock and seccomp user notification with TSYNC_ESRCH")
	}
	dir := t.TempDir()
	r := testproc.Run(t, "read-layer-then-pledge", func() {
		rs := unveil.New()
		if err := rs.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		if _, err := rs.Commit(); err != nil {
			testproc.Fatalf("commit: %v", err)
		}
		if child, err := hasChild(); err != nil || !child {
			testproc.Fatalf("no supervisor was launched before a read layer (child %v, %v)", child, err)
		}
		// Starting one now would fail: the binary is hidden.
		if _, err := os.Stat("/proc/self/exe"); err != nil {
			testproc.Fatalf("stat: %v", err)
		}
		if _, err := os.Open("/proc/self/exe"); err == nil {
			testproc.Fatalf("the binary is still readable: the test does not show the need")
		}
		pledgeAbortThenInet("stdio rpath")
	})
	wantSupervisorKill(t, r)
}

// pledgeAbortThenInet (in a scenario) pledges promises with the abort
// penalty, which must degrade nothing, then makes a call they do not
// allow: the supervisor must kill the process before "not reached".
func pledgeAbortThenInet(promises string) {
	rep, err := pledge.Apply(pledge.Options{Promises: promises, Penalty: pledge.PenaltyAbort})
	if err != nil {
		testproc.Fatalf("apply: %v", err)
	}
	if d := rep.Degraded(); len(d) > 0 {
		testproc.Fatalf("degraded: %v", d)
	}
	os.Stdout.WriteString("pledged\n")
	syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	os.Stdout.WriteString("not reached\n")
}

// wantSupervisorKill checks the end of pledgeAbortThenInet: SIGKILL after
// "pledged", and the supervisor's message naming the socket call and
// every part.
func wantSupervisorKill(t *testing.T, r *testproc.Result, parts ...string) {
	t.Helper()
	if !r.Signaled(syscall.SIGKILL) {
		t.Fatalf("want SIGKILL from the supervisor, got %s", r)
	}
	if !strings.Contains(r.Stdout, "pledged") || strings.Contains(r.Stdout, "not reached") {
		t.Fatalf("unexpected output\n%s", r)
	}
	for _, p := range append([]string{"pledge: denied socket(AF_INET"}, parts...) {
		if !strings.Contains(r.Stderr, p) {
			t.Fatalf("violation not reported: stderr lacks %q\n%s", p, r)
		}
	}
}
