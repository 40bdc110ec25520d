//go:build linux

package glibcmalloc_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// build compiles testdata/arenas with cgo, with or without the import.
func build(t *testing.T, tags string) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		t.Skip("no go command to build the test program")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("no C compiler (apt-get install gcc)")
	}
	bin := filepath.Join(t.TempDir(), "arenas")
	cmd := exec.Command(goTool, "build", "-tags", tags, "-o", bin, "./testdata/arenas")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func run(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	// The test must not depend on the caller's malloc settings.
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "MALLOC_ARENA_") && !strings.HasPrefix(e, "GLIBC_TUNABLES=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func isGlibc(t *testing.T) {
	out, err := exec.Command("getconf", "GNU_LIBC_VERSION").Output()
	if err != nil || !strings.HasPrefix(string(out), "glibc") {
		t.Skip("the C library is not glibc")
	}
}

// Without the package (build tag pledgekit_nomallopt), C threads allocating
// after pledge("stdio") make glibc count CPUs and the pledge kills the
// process; with it (pledge's default) they allocate. Both ways run, so the
// second cannot pass vacuously.
func TestArenasAfterPledge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two cgo programs; skipped with -short")
	}
	isGlibc(t)
	out, err := run(build(t, "pledgekit_nomallopt"))
	if !killed(err) || !strings.Contains(out, `needs promise "rpath"`) {
		t.Fatalf("with the tag pledgekit_nomallopt: want the process killed for an open that needs rpath (glibc counting CPUs), got %v:\n%s", err, out)
	}
	fixed := build(t, "")
	out, err = run(fixed)
	if err != nil || out != "ok\n" {
		t.Fatalf("default build: want ok, got %v:\n%s", err, out)
	}
	// The pledge itself is unchanged: the program opening the file is
	// still a violation.
	out, err = run(fixed, "open")
	if !killed(err) || !strings.Contains(out, `needs promise "rpath"`) {
		t.Fatalf("default build, opening the file: want killed, got %v:\n%s", err, out)
	}
}
