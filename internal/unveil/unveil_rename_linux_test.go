//go:build linux

package unveil

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/report"
)

// Renames and hard links across directories need c on both sides (REFER);
// within one rwc directory they need nothing more.
func TestRenameAndLinkAcrossDirectories(t *testing.T) {
	needLandlock(t, 2)
	scenario(t, func(base string) {
		a := mkdir(base, "a")   // rwc
		b := mkdir(base, "b")   // rwc
		rw := mkdir(base, "rw") // rw: no c
		out := mkdir(base, "out")
		for _, n := range []string{"1", "2", "3", "4", "5", "6"} {
			mkfile("x", a, n)
		}
		mkfile("x", out, "o")
		mkfile("x", rw, "w")
		r := New()
		ok(r.Unveil(a, "rwc"), "unveil a")
		ok(r.Unveil(b, "rwc"), "unveil b")
		ok(r.Unveil(rw, "rw"), "unveil rw")
		rep := commitOK(r)
		if _, found := item(rep, "rename/link"); found {
			fatalf("refer reported degraded on ABI >= 2:\n%s", rep)
		}
		ok(os.Rename(filepath.Join(a, "1"), filepath.Join(a, "1b")), "rename within a")
		ok(os.Rename(filepath.Join(a, "2"), filepath.Join(b, "2")), "rename a -> b")
		ok(os.Link(filepath.Join(a, "3"), filepath.Join(b, "3")), "link a -> b")
		ok(os.Rename(filepath.Join(b, "2"), filepath.Join(a, "2")), "rename b -> a")
		// No c on the target: Landlock answers EACCES (it may check the
		// target's MAKE_REG first) or EXDEV (REFER); either is a denial.
		refused := func(err error, what string) {
			if err == nil {
				fatalf("%s: allowed, want denied", what)
			}
			if !(errorsIs(err, syscall.EACCES) || errorsIs(err, syscall.EXDEV)) {
				fatalf("%s: want EACCES or EXDEV, got %v", what, err)
			}
		}
		refused(os.Rename(filepath.Join(a, "4"), filepath.Join(rw, "4")), "rename a -> rw")
		refused(os.Link(filepath.Join(a, "5"), filepath.Join(rw, "5")), "link a -> rw")
		refused(os.Rename(filepath.Join(rw, "w"), filepath.Join(a, "w")), "rename rw -> a")
		refused(os.Rename(filepath.Join(a, "6"), filepath.Join(out, "6")), "rename a -> outside")
		refused(os.Rename(filepath.Join(out, "o"), filepath.Join(a, "o")), "rename outside -> a")
		refused(os.Link(filepath.Join(out, "o"), filepath.Join(a, "o")), "link outside -> a")
		for _, p := range []string{filepath.Join(a, "4"), filepath.Join(a, "6"), filepath.Join(out, "o"), filepath.Join(rw, "w")} {
			if _, err := os.Lstat(p); err != nil {
				fatalf("%s moved away: %v", p, err)
			}
		}
	})
}

// On ABI 1 Landlock has no REFER: every cross-directory rename fails with
// EXDEV, even between two rwc directories, and the report says so.
func TestRenameOnABI1(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		a := mkdir(base, "a")
		b := mkdir(base, "b")
		mkfile("x", a, "1")
		mkfile("x", a, "2")
		r := New()
		r.probe = fake(1)
		ok(r.Unveil(a, "rwc"), "unveil a")
		ok(r.Unveil(b, "rwc"), "unveil b")
		rep := commitOK(r)
		it, found := item(rep, "rename/link")
		if !found || it.Status != report.Partial {
			fatalf("ABI 1 report lacks the rename item:\n%s", rep)
		}
		denied(os.Rename(filepath.Join(a, "1"), filepath.Join(b, "1")), "rename a -> b on ABI 1", syscall.EXDEV)
		ok(os.Rename(filepath.Join(a, "2"), filepath.Join(a, "2b")), "rename within a on ABI 1")
	})
}
