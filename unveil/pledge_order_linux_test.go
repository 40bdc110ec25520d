//go:build linux

package unveil_test

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// pledge and unveil work in either order. Pledging "unveil" first keeps
// the unveils pending; enforcing them afterwards needs the filter to allow
// landlock_* and the psx signal that reaches every thread.
func TestPledgeThenUnveil(t *testing.T) {
	if probe.Get().LandlockABI < 1 {
		t.Skip("no Landlock")
	}
	var dir string
	if testproc.InChild() {
		dir = os.Getenv("ORDER_DIR")
	} else {
		dir = t.TempDir()
		for _, f := range []string{filepath.Join(dir, "f"), filepath.Join(filepath.Dir(dir), "outside")} {
			if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	res := testproc.Run(t, "order", func() {
		fail := testproc.Fatalf
		if err := pledge.Pledge("stdio rpath unveil", ""); err != nil {
			fail("pledge: %v", err)
		}
		if err := unveil.Unveil(dir, "r"); err != nil {
			fail("unveil: %v", err)
		}
		rep, err := unveil.Block()
		if err != nil || !rep.Landlock {
			fail("UnveilBlock under pledge \"unveil\": %v\n%v", err, rep)
		}
		if _, err := os.ReadFile(filepath.Join(dir, "f")); err != nil {
			fail("read unveiled: %v", err)
		}
		if _, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "outside")); !errors.Is(err, syscall.EACCES) {
			fail("read outside: want EACCES, got %v", err)
		}
		// Dropping "unveil" commits what is pending and locks Unveil.
		if err := pledge.Pledge("stdio rpath", ""); err != nil {
			fail("pledge without unveil: %v", err)
		}
		if err := unveil.Unveil(dir, "r"); !errors.Is(err, unveil.ErrLocked) {
			fail("Unveil after a pledge without unveil: want ErrLocked, got %v", err)
		}
	}, testproc.WithEnv("ORDER_DIR="+dir))
	if !res.Exited(0) {
		t.Fatal(res)
	}
}

// Unveils still pending when pledge drops "unveil" are committed by
// pledge, before its filter, with the paths the promises imply.
func TestPledgeCommitsPending(t *testing.T) {
	if probe.Get().LandlockABI < 1 {
		t.Skip("no Landlock")
	}
	var dir string
	if testproc.InChild() {
		dir = os.Getenv("ORDER_DIR")
	} else {
		dir = t.TempDir()
		for _, f := range []string{filepath.Join(dir, "f"), filepath.Join(filepath.Dir(dir), "outside")} {
			if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	res := testproc.Run(t, "commit", func() {
		fail := testproc.Fatalf
		if err := unveil.Unveil(dir, "r"); err != nil {
			fail("unveil: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio rpath", Fallback: pledge.FallbackPenalty})
		if err != nil {
			fail("pledge: %v", err)
		}
		if !rep.Landlock || !rep.Seccomp || unveil.Pending() {
			fail("pledge report: landlock=%v seccomp=%v pending=%v\n%s", rep.Landlock, rep.Seccomp, unveil.Pending(), rep)
		}
		if _, err := os.ReadFile(filepath.Join(dir, "f")); err != nil {
			fail("read unveiled: %v", err)
		}
		if _, err := os.ReadFile(filepath.Join(filepath.Dir(dir), "outside")); !errors.Is(err, syscall.EACCES) {
			fail("read outside: want EACCES, got %v", err)
		}
		if _, err := os.ReadFile("/dev/null"); err != nil { // implied by stdio
			fail("read /dev/null: %v", err)
		}
	}, testproc.WithEnv("ORDER_DIR="+dir))
	if !res.Exited(0) {
		t.Fatal(res)
	}
}
