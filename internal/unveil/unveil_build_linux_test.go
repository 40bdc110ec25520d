//go:build linux

package unveil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// goTool finds the go command that built this test, for building the
// test program; tests that need it skip without it (QEMU guests).
func goTool(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	t.Skip("no go command to build the test program")
	return ""
}

// An unveil reaches every thread with and without cgo. With cgo,
// go-landlock uses libpsx, which signals every thread including a C
// pthread started before the commit; without cgo it uses the runtime's
// AllThreadsSyscall. testdata/threadprog checks both from the inside.
func TestCgoAndPureGoBuilds(t *testing.T) {
	needLandlock(t, 1)
	if testing.Short() {
		t.Skip("builds two programs; skipped in -short")
	}
	gocmd := goTool(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "allowed")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	forbidden := filepath.Join(tmp, "forbidden")
	if err := os.WriteFile(forbidden, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cgo := range []string{"0", "1"} {
		t.Run("CGO_ENABLED="+cgo, func(t *testing.T) {
			if cgo == "1" {
				if _, err := exec.LookPath("gcc"); err != nil {
					t.Skip("no C compiler")
				}
			}
			bin := filepath.Join(tmp, "threadprog"+cgo)
			build := exec.Command(gocmd, "build", "-o", bin, "./testdata/threadprog")
			build.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			out, err := exec.Command(bin, dir, forbidden).CombinedOutput()
			if err != nil {
				t.Fatalf("threadprog: %v\n%s", err, out)
			}
			want := "OK cgo=" + map[string]string{"0": "false", "1": "true"}[cgo]
			if !strings.HasPrefix(string(out), want) {
				t.Fatalf("threadprog said %q, want %q", out, want)
			}
		})
	}
}

// no_new_privs comes before landlock_restrict_self, so an unprivileged
// process can unveil: drop to nobody first, then commit.
func TestUnprivilegedUser(t *testing.T) {
	needLandlock(t, 1)
	if os.Getuid() != 0 {
		// Already unprivileged: the other tests cover it.
		t.Skip("not root: every other test already runs unprivileged")
	}
	scenario(t, func(base string) {
		ok(os.Chmod(filepath.Dir(base), 0o711), "chmod")
		ok(os.Chmod(base, 0o755), "chmod")
		d := mkdir(base, "d")
		ok(os.Chown(d, 65534, 65534), "chown")
		out := mkfile("x", base, "out")
		ok(syscall.Setgroups(nil), "setgroups")
		ok(syscall.Setgid(65534), "setgid")
		ok(syscall.Setuid(65534), "setuid")
		b, err := os.ReadFile("/proc/self/status")
		ok(err, "status")
		if !strings.Contains(string(b), "CapEff:\t0000000000000000") || !strings.Contains(string(b), "NoNewPrivs:\t0") {
			fatalf("not unprivileged before the commit:\n%s", b)
		}
		r := New()
		ok(r.Unveil(d, "rwc"), "unveil")
		commitOK(r)
		ok(writeTo(filepath.Join(d, "new"), os.O_WRONLY|os.O_CREATE), "create as nobody in the unveiled dir")
		readDenied(out)
	})
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
