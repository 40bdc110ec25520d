//go:build linux

package pledge_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// A pledge without "unveil" commits the pending unveils (Landlock) before
// its filter, and locks unveil; the report covers both.
func TestPledgeCommitsUnveils(t *testing.T) {
	if probe.Get().LandlockABI == 0 {
		t.Skip("no Landlock")
	}
	dir, other := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "in"), []byte("in"), 0o600)
	os.WriteFile(filepath.Join(other, "out"), []byte("out"), 0o600)
	r := testproc.Run(t, "unveil", func() {
		if err := unveil.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio rpath"})
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		report("landlock %v seccomp %v", rep.Landlock, rep.Seccomp)
		if _, err := os.ReadFile(filepath.Join(dir, "in")); err != nil {
			testproc.Fatalf("unveiled read: %v", err)
		}
		_, err = os.ReadFile(filepath.Join(other, "out"))
		wantErrno("read outside the unveiled directory", err, syscall.EACCES)
		err = unveil.Unveil(other, "r")
		if !errors.Is(err, unveil.ErrLocked) {
			testproc.Fatalf("unveil after pledge: want ErrLocked, got %v", err)
		}
		report("ok")
	})
	wantStdout(t, r, "landlock true seccomp true", "ok")
}

// With "unveil" in the promises the unveils stay pending: the program may
// go on unveiling, and a later pledge without it commits them.
func TestPledgeWithUnveilPromise(t *testing.T) {
	if probe.Get().LandlockABI == 0 {
		t.Skip("no Landlock")
	}
	dir, other := t.TempDir(), t.TempDir()
	later, hidden := filepath.Join(other, "later"), filepath.Join(other, "hidden")
	os.WriteFile(later, []byte("later"), 0o600)
	os.WriteFile(hidden, []byte("hidden"), 0o600)
	r := testproc.Run(t, "pending", func() {
		if err := unveil.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		mustApply(pledge.Options{Promises: "stdio rpath unveil"})
		if _, err := os.ReadFile(later); err != nil {
			testproc.Fatalf("unveils applied too early: %v", err)
		}
		if err := unveil.Unveil(later, "r"); err != nil {
			testproc.Fatalf("unveil under the unveil promise: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio rpath", Fallback: pledge.FallbackPenalty})
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		report("landlock %v", rep.Landlock)
		if _, err := os.ReadFile(later); err != nil {
			testproc.Fatalf("unveiled file: %v", err)
		}
		_, err = os.ReadFile(hidden)
		wantErrno("hidden file", err, syscall.EACCES)
		report("ok")
	})
	wantStdout(t, r, "landlock true", "ok")
	if strings.Contains(r.Stderr, "pledge: denied") {
		t.Fatal(r)
	}
}

// Unveil, then a pledge that keeps "unveil" without "rpath", then
// UnveilBlock: the commit must not be ended by the filter for examining
// the paths (issue #15). Unveil after that pledge fails instead of dying.
func TestUnveilBlockUnderPledgeWithoutRpath(t *testing.T) {
	if probe.Get().LandlockABI == 0 {
		t.Skip("no Landlock")
	}
	dir := t.TempDir()
	r := testproc.Run(t, "commit", func() {
		if err := unveil.Unveil(dir, "rx"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		if err := pledge.Pledge("unveil stdio fattr exec", ""); err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		if err := unveil.Unveil(dir, "r"); !errors.Is(err, syscall.EPERM) {
			testproc.Fatalf("Unveil under a pledge without rpath: want EPERM, got %v", err)
		}
		rep, err := unveil.Block()
		if pr := probe.Get(); pr.Cgo && pr.LandlockABI < 8 {
			wantLibpsxRefusal("UnveilBlock", err)
			report("committed")
			return
		}
		if err != nil {
			testproc.Fatalf("UnveilBlock: %v", err)
		}
		if !rep.Landlock || !strings.Contains(rep.String(), dir) {
			testproc.Fatalf("report:\n%s", rep)
		}
		report("committed")
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "committed")
}

// A ruleset passed to Apply under a pledge that forbids examining paths
// is refused with an error instead of the commit being ended by the
// filter.
func TestApplyUnveilUnderPledgeWithoutRpath(t *testing.T) {
	dir := t.TempDir()
	r := testproc.Run(t, "refused", func() {
		rs := unveil.New()
		if err := rs.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		if err := pledge.Pledge("unveil stdio", ""); err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		_, err := pledge.Apply(pledge.Options{Promises: "unveil stdio", Unveil: rs})
		if !errors.Is(err, syscall.EPERM) || !strings.Contains(err.Error(), "rpath") {
			testproc.Fatalf("want an EPERM error naming rpath, got %v", err)
		}
		report("refused")
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "refused")
}

// A Ruleset that names a path after a pledge that forbids examining
// paths (Unveil, or Commit of one built before) fails with EPERM instead
// of the process being ended at stat(2).
func TestRulesetCommitUnderPledgeWithoutRpath(t *testing.T) {
	dir := t.TempDir()
	r := testproc.Run(t, "refused", func() {
		before := unveil.New()
		if err := before.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("unveil before the pledge: %v", err)
		}
		if err := pledge.Pledge("stdio", ""); err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		err := unveil.New().Unveil(dir, "r")
		if !errors.Is(err, syscall.EPERM) || !strings.Contains(err.Error(), "rpath") {
			testproc.Fatalf("Unveil: want an EPERM error naming rpath, got %v", err)
		}
		_, err = before.Commit()
		if !errors.Is(err, syscall.EPERM) || !strings.Contains(err.Error(), "rpath") {
			testproc.Fatalf("Commit: want an EPERM error naming rpath, got %v", err)
		}
		report("refused")
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "refused")
}

// A Ruleset of port rules alone, committed after a pledge without "rpath"
// (which ends a process that opens a file to read), is not ended for what
// the commit reads: the MPTCP sysctl its TCP rules ask (read before the
// filter) and, in a cgo build below Landlock ABI 8, the /proc/PID/task
// that libpsx lists (an EPERM error instead; below ABI 4 there is no
// port rule to commit). Where it commits, the rule holds both ways. The
// old code was killed at the sysctl's openat.
func TestPortRulesetCommitUnderPledgeWithoutRpath(t *testing.T) {
	want := "committed"
	switch pr := probe.Get(); {
	case pr.LandlockABI < 4:
		want = "no landlock net"
	case pr.Cgo && pr.LandlockABI < 8:
		want = "refused"
	}
	r := testproc.Run(t, "ports", func() {
		allowed, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			testproc.Fatalf("listen: %v", err)
		}
		other, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			testproc.Fatalf("listen: %v", err)
		}
		port := uint16(allowed.Addr().(*net.TCPAddr).Port)
		if err := pledge.Pledge("stdio inet", ""); err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		rep, err := unveil.New().ConnectTCP(port).Commit()
		switch want {
		case "refused":
			wantLibpsxRefusal("commit", err)
			report(want)
			return
		case "no landlock net":
			if err != nil {
				testproc.Fatalf("commit: %v", err)
			}
			report(want) // the report says dropped
			return
		}
		if err != nil {
			testproc.Fatalf("commit: %v", err)
		}
		if !strings.Contains(rep.String(), "tcp connect") {
			testproc.Fatalf("report:\n%s", rep)
		}
		c, err := net.Dial("tcp4", allowed.Addr().String())
		if err != nil {
			testproc.Fatalf("dial the allowed port %d: %v", port, err)
		}
		c.Close()
		_, err = net.Dial("tcp4", other.Addr().String())
		wantErrno("dial another port", err, syscall.EACCES)
		report("committed")
	})
	if !r.Exited(0) || strings.Contains(r.Stderr, "pledge: denied") {
		t.Fatal(r)
	}
	wantStdout(t, r, want)
}
