package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
)

func TestMergedUsr(t *testing.T) {
	for in, want := range map[string]string{
		"bin/dash": "usr/bin/dash", "lib/x86_64-linux-gnu/libc.so.6": "usr/lib/x86_64-linux-gnu/libc.so.6",
		"lib64/ld-linux-x86-64.so.2": "usr/lib64/ld-linux-x86-64.so.2", "sbin": "usr/sbin",
		"usr/bin/env": "usr/bin/env", "etc/x": "etc/x", "binary/x": "binary/x", "library": "library",
	} {
		if got := mergedUsr(in); got != want {
			t.Errorf("mergedUsr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInstallUserland(t *testing.T) {
	pkgA, pkgB := t.TempDir(), t.TempDir()
	write := func(root, rel, content string) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o755)
		if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(pkgA, "bin/dash", "dash")
	write(pkgA, ".complete", "x")
	write(pkgB, "lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", "ld")
	write(pkgB, "usr/bin/env", "env")
	os.MkdirAll(filepath.Join(pkgB, "lib64"), 0o755)
	os.Symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2", filepath.Join(pkgB, "lib64", "ld-linux-x86-64.so.2"))

	root := t.TempDir()
	if err := installUserland(root, []string{pkgA, pkgB}); err != nil {
		t.Fatal(err)
	}
	// Every path a program uses resolves through the merged layout.
	for path, want := range map[string]string{
		"bin/dash": "dash", "bin/sh": "dash", "usr/bin/sh": "dash", "usr/bin/env": "env", "bin/env": "env",
		"lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": "ld",
	} {
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil || string(b) != want {
			t.Errorf("%s: %q, %v; want %q", path, b, err, want)
		}
	}
	// An absolute symlink (the ELF interpreter) is kept as is: it resolves
	// inside the guest, where / is root.
	if l, err := os.Readlink(filepath.Join(root, "lib64", "ld-linux-x86-64.so.2")); err != nil || l != "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" {
		t.Errorf("lib64 interpreter link = %q, %v", l, err)
	}
	if fileExists(filepath.Join(root, ".complete")) || fileExists(filepath.Join(root, "usr", ".complete")) {
		t.Error("the cache marker was copied into the guest")
	}
	if fi, err := os.Lstat(filepath.Join(root, "bin")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("/bin is not a symlink: %v %v", fi, err)
	}
}

// TestBuildReusesWorkDir: a second build into the same -work directory
// starts from an empty root (the merged-/usr links of the first one made
// the second fail with "file exists"; a stale file would reach the guest).
func TestBuildReusesWorkDir(t *testing.T) {
	pkg := t.TempDir()
	os.MkdirAll(filepath.Join(pkg, "usr", "bin"), 0o755)
	os.WriteFile(filepath.Join(pkg, "usr", "bin", "dash"), []byte("dash"), 0o755)
	dir := t.TempDir()
	b := &builder{root: t.TempDir(), log: io.Discard, goTool: "false"} // every go build fails
	for i := 0; i < 2; i++ {
		g := b.build(context.Background(), "amd64", dir, nil, proto.Config{}, []string{pkg})
		if g.InitErr == nil || !strings.Contains(g.InitErr.Error(), "building guestinit") {
			t.Fatalf("build %d: InitErr = %v, want the (fake) go build failure, after the userland", i+1, g.InitErr)
		}
		if i == 0 {
			os.WriteFile(filepath.Join(g.Root, "pledgekit", "stale"), nil, 0o644)
		} else if fileExists(filepath.Join(g.Root, "pledgekit", "stale")) {
			t.Error("a file of the first build survived the second")
		}
	}
}
