//go:build linux

package pledge_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// The program in testdata/threads, built with and without cgo, reports
// the seccomp mode of a thread created before the pledge and of one
// created after it. With cgo those are C pthreads: glibc's clone3 gets
// ENOSYS from the filter and falls back to clone.
func TestThreadsWithAndWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs; skipped with -short")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if _, err := os.Stat(goTool); err != nil {
		t.Skip("no go command to build the test program")
	}
	for _, cgo := range []string{"0", "1"} {
		t.Run("CGO_ENABLED="+cgo, func(t *testing.T) {
			if cgo == "1" {
				if _, err := exec.LookPath("gcc"); err != nil {
					t.Skip("no C compiler")
				}
			}
			bin := filepath.Join(t.TempDir(), "threads")
			build := exec.Command(goTool, "build", "-o", bin, "./testdata/threads")
			build.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			out, err := exec.Command(bin).CombinedOutput()
			if err != nil || string(out) != "early 2\nlate 2\n" {
				t.Fatalf("want both threads filtered (mode 2), got %v:\n%s", err, out)
			}
		})
	}
}
