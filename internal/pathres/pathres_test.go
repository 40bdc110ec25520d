package pathres

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// A Cache answers as filepath.EvalSymlinks and os.Stat do,
// in any order of questions, through relative and absolute symlinks, ".."
// in targets and in directories, dangling links, loops, and a file used
// as a directory; and for system paths (/lib64 and /proc/self are links).
func TestCacheAgrees(t *testing.T) {
	base, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	j := func(p ...string) string { return filepath.Join(append([]string{base}, p...)...) }
	os.MkdirAll(j("d", "e"), 0o755)
	os.WriteFile(j("d", "f"), []byte("f"), 0o644)
	for link, target := range map[string]string{
		"l1":     "d",
		"l2":     j("d"),
		"l3":     "l1/f",
		"l4":     "../" + filepath.Base(base) + "/d/f",
		"dang":   "nowhere",
		"loop1":  "loop2",
		"loop2":  "loop1",
		"self":   "self",
		"chain":  "l3",
		"d/up":   "..",
		"d/e/up": "../../l1",
		"tofile": "d/f/x",
	} {
		if err := os.Symlink(target, j(link)); err != nil {
			t.Fatal(err)
		}
	}
	paths := []string{base, j("d"), j("d", "f"), j("l1"), j("l1", "f"), j("l2", "f"), j("l3"), j("l4"), j("dang"),
		j("loop1"), j("loop2", "x"), j("self"), j("chain"), j("d", "up", "l2", "f"), j("d", "e", "up", "f"),
		j("d", "e", "up", "up", "d", "f"), j("tofile"), j("d", "f", "x"), j("missing", "x"), j("l1", "..", "l3"),
		"/", "/usr/bin/true", "/bin/sh", "/lib64/ld-linux-x86-64.so.2", "/etc/localtime", "/dev/null", "/proc/self",
		"/proc/self/exe", "/proc/self/fd/0", "/usr/../etc/./hostname", "relative/x", ".", "//usr//bin/", "/usr/bin/.",
		"/..", "/../usr", j("d") + "/", j("d", "e") + "/../f", j("l1") + "/./f"}
	check := func(c *Cache, p string) {
		t.Helper()
		want, werr := filepath.EvalSymlinks(p)
		got, gerr := c.EvalSymlinks(p)
		if got != want || (werr == nil) != (gerr == nil) {
			t.Errorf("EvalSymlinks(%s) = %s, %v, want %s, %v", p, got, gerr, want, werr)
		}
		wfi, werr := os.Stat(p)
		gfi, gerr := c.Stat(p)
		switch {
		case (werr == nil) != (gerr == nil):
			t.Errorf("stat(%s): error %v, want %v", p, gerr, werr)
		case werr == nil && (gfi.Mode() != wfi.Mode() || gfi.Sys().(*syscall.Stat_t).Ino != wfi.Sys().(*syscall.Stat_t).Ino):
			t.Errorf("stat(%s): %v, want %v", p, gfi.Mode(), wfi.Mode())
		}
	}
	c := New()
	for _, p := range paths {
		check(c, p)
	}
	for _, p := range paths { // again, from the cache
		check(c, p)
	}
	c = New()
	for _, p := range slices.Backward(paths) {
		check(c, p)
	}
	var none *Cache
	for _, p := range paths {
		check(none, p)
	}
}

// isClean agrees with filepath.Clean.
func TestIsClean(t *testing.T) {
	for _, p := range []string{"/", "//", "/a", "/a/", "/a//b", "/a/./b", "/a/../b", "/.", "/..", "/a/b.c", "/a/.b", "/a/..b",
		"/a/b/", "/ab/c", "/a/b/..", "/a/b/.", "/...", "/a/.../b"} {
		if got, want := isClean(p), filepath.Clean(p) == p; got != want {
			t.Errorf("isClean(%q) = %v, want %v", p, got, want)
		}
	}
}
