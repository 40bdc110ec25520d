//go:build linux

package unveil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/report"
)

// A file takes only file rights: r reads it, the directory stays closed.
func TestFileRules(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		dir := mkdir(base, "d")
		f := mkfile("data", dir, "f")
		sib := mkfile("data", dir, "sibling")
		wf := mkfile("data", dir, "wfile")
		cf := mkfile("data", dir, "cfile")
		r := New()
		ok(r.Unveil(f, "r"), "unveil file r")
		ok(r.Unveil(wf, "rw"), "unveil file rw")
		ok(r.Unveil(cf, "rc"), "unveil file rc")
		rep := commitOK(r)
		if it, _ := item(rep, cf); it.Status != report.Partial || !strings.Contains(it.Reason, "c dropped") {
			fatalf("c on a file not reported: %+v\n%s", it, rep)
		}
		if it, _ := item(rep, f); it.Status != report.Enforced || !strings.HasPrefix(it.Reason, "file") {
			fatalf("file rule: %+v", it)
		}
		readOK(f)
		readDenied(sib)
		_, err := os.ReadDir(dir)
		denied(err, "list the directory of an unveiled file")
		denied(writeTo(f, os.O_WRONLY), "write a file unveiled r")
		ok(writeTo(wf, os.O_WRONLY|os.O_APPEND), "write a file unveiled rw")
		readOK(cf)
		denied(os.Remove(cf), "remove a file unveiled rc (c needs the directory)")
		denied(writeTo(filepath.Join(dir, "new"), os.O_WRONLY|os.O_CREATE), "create next to unveiled files")
	})
}

// A symlink inside an unveiled directory that points outside does not
// open the outside; unveiling a symlink grants its target (and the report
// says so).
func TestSymlinks(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		in := mkdir(base, "in")
		out := mkdir(base, "out")
		secret := mkfile("secret", out, "secret")
		target := mkdir(base, "target")
		mkfile("t", target, "t")
		ok(os.Symlink(secret, filepath.Join(in, "escape")), "symlink")
		ok(os.Symlink(target, filepath.Join(base, "link-to-target")), "symlink")
		mkfile("inside", in, "inside")
		ok(os.Symlink("inside", filepath.Join(in, "rel")), "relative symlink")

		r := New()
		ok(r.Unveil(in, "r"), "unveil in")
		ok(r.Unveil(filepath.Join(base, "link-to-target"), "r"), "unveil a symlink")
		rep := commitOK(r)
		it, _ := item(rep, filepath.Join(base, "link-to-target"))
		if it.Status != report.Enforced || !strings.Contains(it.Reason, "grants its target "+target) {
			fatalf("symlink rule: %+v\n%s", it, rep)
		}
		readDenied(filepath.Join(in, "escape"))
		readOK(filepath.Join(in, "rel"))
		_, err := os.Readlink(filepath.Join(in, "escape")) // metadata is not hidden
		ok(err, "readlink in an unveiled dir")
		readOK(filepath.Join(target, "t"))
		readOK(filepath.Join(base, "link-to-target", "t"))
	})
}

// OpenBSD accepts a path whose last component does not exist. Landlock
// cannot name it: nothing is granted, the report says so, and creating it
// is denied (no silent widening to the parent).
func TestMissingPaths(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		dir := mkdir(base, "d")
		missing := filepath.Join(dir, "later.txt")
		dangling := filepath.Join(base, "dangling")
		ok(os.Symlink(filepath.Join(base, "nowhere"), dangling), "symlink")
		other := mkdir(base, "other")
		mkfile("x", other, "x")

		r := New()
		err := r.Unveil(filepath.Join(base, "no", "such", "dir"), "r")
		if !errors.Is(err, os.ErrNotExist) || !errors.Is(err, syscall.ENOENT) {
			fatalf("missing parent: want ENOENT, got %v", err)
		}
		err = r.Unveil(filepath.Join(other, "x", "y"), "r")
		if !errors.Is(err, syscall.ENOTDIR) {
			fatalf("parent is a file: want ENOTDIR, got %v", err)
		}
		ok(r.Unveil(missing, "rwc"), "unveil a missing file")
		ok(r.Unveil(dangling, "r"), "unveil a dangling symlink")
		ok(r.Unveil(other, "r"), "unveil other")
		rep := commitOK(r)
		if it, _ := item(rep, missing); it.Status != report.Dropped || !strings.Contains(it.Reason, "does not exist") {
			fatalf("missing path: %+v\n%s", it, rep)
		}
		if it, _ := item(rep, dangling); it.Status != report.Dropped || !strings.Contains(it.Reason, "symlink to a missing target") {
			fatalf("dangling symlink: %+v\n%s", it, rep)
		}
		if rep.Summary() == "" {
			fatalf("dropped paths but empty summary")
		}
		denied(writeTo(missing, os.O_WRONLY|os.O_CREATE), "create the missing path")
		readOK(filepath.Join(other, "x"))
	})
}

// "" hides a path. With no unveiled directory above it, that is exactly a
// path without rule. Beneath a directory with permissions, Landlock cannot
// take access away: Commit refuses (ErrNotExpressible), enforcing nothing.
func TestHiddenPaths(t *testing.T) {
	needLandlock(t, 1)
	t.Run("alone", func(t *testing.T) {
		scenario(t, func(base string) {
			f := mkfile("x", base, "f")
			other := mkfile("x", filepath.Dir(base), "other-"+filepath.Base(base))
			r := New()
			ok(r.Unveil(base, ""), "hide")
			rep := commitOK(r)
			if it, _ := item(rep, base); it.Status != report.Enforced || !strings.Contains(it.Reason, "hidden") {
				fatalf("hidden item %+v", it)
			}
			readDenied(f)
			readDenied(other)
		})
	})
	t.Run("under a granted parent", func(t *testing.T) {
		scenario(t, func(base string) {
			secret := mkfile("x", base, "sub", "secret")
			r := New()
			ok(r.Unveil(base, "r"), "unveil parent")
			ok(r.Unveil(filepath.Dir(secret), ""), "hide child")
			rep, err := r.Commit()
			if !errors.Is(err, ErrNotExpressible) || rep.Landlock {
				fatalf("want ErrNotExpressible and nothing enforced, got %v (landlock %v)", err, rep.Landlock)
			}
			readOK(secret) // nothing was enforced
		})
	})
	t.Run("granted child under hidden parent", func(t *testing.T) {
		scenario(t, func(base string) {
			pub := mkfile("x", base, "pub", "f")
			priv := mkfile("x", base, "priv")
			r := New()
			ok(r.Unveil(base, ""), "hide parent")
			ok(r.Unveil(filepath.Dir(pub), "r"), "unveil child")
			commitOK(r)
			readOK(pub)
			readDenied(priv)
		})
	})
}

// OpenBSD applies the nearest unveil; Landlock grants the union of rules
// on the way. A narrower rule beneath a wider one is reported partial,
// with the permissions that really apply.
func TestOverlappingRulesUnion(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		inner := mkdir(base, "inner")
		f := mkfile("x", inner, "f")
		r := New()
		ok(r.Unveil(base, "rw"), "unveil outer rw")
		ok(r.Unveil(inner, "r"), "unveil inner r")
		rep := commitOK(r)
		it, _ := item(rep, inner)
		if it.Status != report.Partial || !strings.Contains(it.Reason, `effective permissions "rw"`) {
			fatalf("narrower rule beneath a wider one: %+v\n%s", it, rep)
		}
		ok(writeTo(f, os.O_WRONLY), "write beneath (union, as reported)")
	})
}
