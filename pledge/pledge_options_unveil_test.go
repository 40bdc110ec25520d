//go:build linux

package pledge_test

import (
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// needsPrestart skips unless this kernel would pre-start the supervisor
// for a Commit before the first pledge (Landlock, and user notification
// with TSYNC_ESRCH).
func needsPrestart(t *testing.T) {
	t.Helper()
	pr := probe.Get()
	if pr.LandlockABI == 0 || !pr.SeccompActions[probe.ActionUserNotif] || !pr.SeccompFlags[probe.FlagTSyncESRCH] {
		t.Skip("needs Landlock and seccomp user notification with TSYNC_ESRCH")
	}
}

// childExits reports whether a child of this process exited (SIGCHLD)
// within wait. The pre-started supervisor a PenaltyEPERM pledge discards
// is killed and reaped inside Apply, so its SIGCHLD is already pending
// when Apply returns.
func childExits(sigs chan os.Signal, wait time.Duration) bool {
	select {
	case <-sigs:
		return true
	case <-time.After(wait):
		return false
	}
}

// Options.Unveil commits the layer with the pledge, both enforced (each
// tested both ways), and starts no process: nothing forks, so no child
// ever exits. The same ruleset committed with Commit before the pledge
// pre-starts the supervisor, which the pledge then discards (SIGCHLD).
func TestApplyUnveilStartsNothing(t *testing.T) {
	needsPrestart(t)
	dir, other := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "in"), []byte("in"), 0o600)
	os.WriteFile(filepath.Join(other, "out"), []byte("out"), 0o600)
	scenario := func(viaApply bool) func() {
		return func() {
			sigs := make(chan os.Signal, 4)
			signal.Notify(sigs, syscall.SIGCHLD)
			// Without the default scopes, which are partial below Landlock
			// ABI 8 (per-thread domains): this test wants no degradation.
			rs := unveil.New().Unscope(unveil.ScopeSignal, unveil.ScopeAbstractUnix)
			if err := rs.Unveil(dir, "r"); err != nil {
				testproc.Fatalf("unveil: %v", err)
			}
			o := pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyEPERM}
			if viaApply {
				o.Unveil = rs
			} else if _, err := rs.Commit(); err != nil {
				testproc.Fatalf("commit: %v", err)
			}
			rep, err := pledge.Apply(o)
			if err != nil {
				testproc.Fatalf("apply: %v", err)
			}
			if d := rep.Degraded(); len(d) > 0 {
				testproc.Fatalf("degraded: %v", d)
			}
			report("landlock %v seccomp %v", rep.Landlock || !viaApply, rep.Seccomp)
			if _, err := os.ReadFile(filepath.Join(dir, "in")); err != nil {
				testproc.Fatalf("unveiled read: %v", err)
			}
			_, err = os.ReadFile(filepath.Join(other, "out"))
			wantErrno("read outside the unveiled directory", err, syscall.EACCES)
			_, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
			wantErrno("socket without inet", err, syscall.EPERM)
			fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
			if err == nil {
				testproc.Fatalf("socket(AF_UNIX) without unix: allowed (fd %d)", fd)
			}
			// A discarded pre-start is reaped before Apply returns; give
			// the signal's delivery to the channel ample time.
			wait := 500 * time.Millisecond
			if !viaApply {
				wait = 20 * time.Second
			}
			report("child exited %v", childExits(sigs, wait))
		}
	}
	t.Run("apply", func(t *testing.T) {
		r := testproc.Run(t, "apply-unveil", scenario(true))
		wantStdout(t, r, "landlock true seccomp true", "child exited false")
	})
	t.Run("commit-then-apply", func(t *testing.T) {
		r := testproc.Run(t, "commit-then-apply", scenario(false))
		wantStdout(t, r, "landlock true seccomp true", "child exited true")
	})
}

// With the default penalty the supervisor starts before the layer, which
// does not grant executing this binary, and still reports a violation.
func TestApplyUnveilAbort(t *testing.T) {
	needsPrestart(t)
	dir := t.TempDir()
	r := testproc.Run(t, "apply-unveil-abort", func() {
		rs := unveil.New()
		if err := rs.Unveil(dir, "rwc"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio rpath wpath cpath", Unveil: rs})
		if err != nil {
			testproc.Fatalf("apply: %v", err)
		}
		// (Older Landlock ABIs report what they cannot restrict, such as
		// truncation before ABI 3; the layer is in force all the same.)
		if !rep.Landlock || !rep.Seccomp {
			testproc.Fatalf("landlock %v seccomp %v: %v", rep.Landlock, rep.Seccomp, rep.Degraded())
		}
		if _, err := os.Stat("/proc/self/exe"); err != nil {
			testproc.Fatalf("stat: %v", err)
		}
		_, err = os.ReadFile("/proc/self/exe")
		wantErrno("reading the binary outside the layer", err, syscall.EACCES)
		os.Stdout.WriteString("pledged\n")
		syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		os.Stdout.WriteString("not reached\n")
	})
	wantSupervisorKill(t, r, `needs promise "inet"`)
}

// The layer is committed even when Apply installs no filter; after a
// pledge without "unveil" Apply refuses it with ErrLocked and the process
// carries on (its filter would otherwise kill it on the Landlock calls).
func TestApplyUnveilWithoutFilterAndLocked(t *testing.T) {
	needsPrestart(t)
	dir, other := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(other, "out"), []byte("out"), 0o600)
	r := testproc.Run(t, "apply-unveil-keep", func() {
		first := unveil.New()
		if err := first.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		if err := first.Unveil(other, "r"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{KeepPromises: true, Execpromises: "", Unveil: first})
		if err != nil {
			testproc.Fatalf("apply keep: %v", err)
		}
		report("landlock %v seccomp %v", rep.Landlock, rep.Seccomp)
		if _, err := os.ReadFile(filepath.Join(other, "out")); err != nil {
			testproc.Fatalf("read inside the first layer: %v", err)
		}
		_, err = os.ReadFile("/etc/hostname")
		wantErrno("read outside the first layer", err, syscall.EACCES)

		if _, err := pledge.Apply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyEPERM}); err != nil {
			testproc.Fatalf("apply: %v", err)
		}
		second := unveil.New()
		if err := second.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		_, err = pledge.Apply(pledge.Options{Promises: "stdio", Penalty: pledge.PenaltyEPERM, Unveil: second})
		if !errors.Is(err, unveil.ErrLocked) {
			testproc.Fatalf("Options.Unveil after a pledge without unveil: want ErrLocked, got %v", err)
		}
		// Nothing changed: rpath still holds, the second layer is absent.
		if _, err := os.ReadFile(filepath.Join(other, "out")); err != nil {
			testproc.Fatalf("read after the refused apply: %v", err)
		}
		report("ok")
	})
	wantStdout(t, r, "landlock true seccomp false", "ok")
}

// A layer committed with promises that cannot truncate (no wpath) leaves
// truncation to the filter, which still refuses it (EPERM here, not
// Landlock's EACCES); with wpath the layer handles it, refusing it where
// the rule grants only r and allowing it under rw.
func TestApplyUnveilTruncate(t *testing.T) {
	needsPrestart(t)
	if probe.Get().LandlockABI < 3 {
		t.Skip("Landlock before ABI 3 does not restrict truncation")
	}
	ro, rw := t.TempDir(), t.TempDir()
	f, g := filepath.Join(ro, "f"), filepath.Join(rw, "g")
	os.WriteFile(f, []byte("hello"), 0o600)
	os.WriteFile(g, []byte("hello"), 0o600)
	// apply pledges o, with a layer of (path, permissions) pairs in
	// Options.Unveil if any, and says whether the layer left truncation
	// to the pledge.
	apply := func(o pledge.Options, pathPerms ...string) {
		if len(pathPerms) > 0 {
			o.Unveil = unveil.New()
			for i := 0; i+1 < len(pathPerms); i += 2 {
				o.Unveil.Unveil(pathPerms[i], pathPerms[i+1])
			}
		}
		rep, err := pledge.Apply(o)
		if err != nil {
			testproc.Fatalf("apply: %v", err)
		}
		report("left to the pledge %v", strings.Contains(rep.String(), "left to the pledge"))
	}
	t.Run("without-wpath", func(t *testing.T) {
		r := testproc.Run(t, "truncate-left-to-pledge", func() {
			apply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyEPERM}, ro, "r")
			wantErrno("truncate(2)", syscall.Truncate(f, 0), syscall.EPERM)
			_, err := syscall.Open(f, syscall.O_RDONLY|syscall.O_TRUNC, 0)
			wantErrno("open O_TRUNC", err, syscall.EPERM)
			_, err = syscall.Open(f, syscall.O_WRONLY, 0)
			wantErrno("open O_WRONLY", err, syscall.EPERM)
			b, err := os.ReadFile(f)
			if err != nil || string(b) != "hello" {
				testproc.Fatalf("read %q, %v: want the file intact and readable", b, err)
			}
			_, err = os.ReadFile(g)
			wantErrno("read outside the layer", err, syscall.EACCES)
			report("ok")
		})
		wantStdout(t, r, "left to the pledge true", "ok")
	})
	// A filter that only logs refuses nothing: the layer keeps handling
	// truncation, whether passed in Options.Unveil or pending.
	for _, pending := range []bool{false, true} {
		name := map[bool]string{false: "log-penalty", true: "log-penalty-pending"}[pending]
		t.Run(name, func(t *testing.T) {
			if !probe.Get().SeccompActions[probe.ActionLog] {
				t.Skip("no SECCOMP_RET_LOG")
			}
			r := testproc.Run(t, "truncate-"+name, func() {
				o := pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyLog}
				if pending {
					if err := unveil.Unveil(ro, "r"); err != nil {
						testproc.Fatalf("unveil: %v", err)
					}
					apply(o)
				} else {
					apply(o, ro, "r")
				}
				wantErrno("truncate(2) under r with a logging filter", syscall.Truncate(f, 0), syscall.EACCES)
				report("ok")
			})
			wantStdout(t, r, "left to the pledge false", "ok")
		})
	}
	t.Run("with-wpath", func(t *testing.T) {
		r := testproc.Run(t, "truncate-in-layer", func() {
			apply(pledge.Options{Promises: "stdio rpath wpath", Penalty: pledge.PenaltyEPERM}, ro, "r", rw, "rw")
			wantErrno("truncate(2) under r", syscall.Truncate(f, 0), syscall.EACCES)
			if err := syscall.Truncate(g, 0); err != nil {
				testproc.Fatalf("truncate(2) under rw: %v", err)
			}
			report("ok")
		})
		wantStdout(t, r, "left to the pledge false", "ok")
	})
}
