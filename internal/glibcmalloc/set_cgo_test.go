//go:build cgo && linux

package glibcmalloc_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/glibcmalloc"
)

func TestSet(t *testing.T) {
	isGlibc(t)
	if !glibcmalloc.Set() {
		t.Fatal("cgo on glibc: mallopt(M_ARENA_MAX) should have been set")
	}
}

// The environment's own setting wins: the package then sets nothing.
func TestEnvironmentWins(t *testing.T) {
	isGlibc(t)
	if testing.Short() {
		t.Skip("re-runs the test binary; skipped with -short")
	}
	if os.Getenv("GLIBCMALLOC_CHILD") == "1" {
		if glibcmalloc.Set() {
			t.Fatal("MALLOC_ARENA_MAX is set, but the package set the limit too")
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestEnvironmentWins$", "-test.count=1")
	cmd.Env = append(os.Environ(), "GLIBCMALLOC_CHILD=1", "MALLOC_ARENA_MAX=2")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
