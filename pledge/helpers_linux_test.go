//go:build linux

package pledge_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// mustApply pledges in a scenario and fails the scenario on error.
func mustApply(o pledge.Options) {
	if _, err := pledge.Apply(o); err != nil {
		testproc.Fatalf("Apply(%+v): %v", o, err)
	}
}

// report prints a line the parent checks.
func report(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// wantErrno fails the scenario unless err is errno.
func wantErrno(what string, err error, errno syscall.Errno) {
	if !errors.Is(err, errno) {
		testproc.Fatalf("%s: want %v, got %v", what, errno, err)
	}
}

// wantLibpsxRefusal fails the scenario unless err is the EPERM a commit
// under a pledge without rpath gets in a cgo build below Landlock ABI 8
// (libpsx lists /proc/PID/task): an error, not a death.
func wantLibpsxRefusal(what string, err error) {
	if !errors.Is(err, syscall.EPERM) || !strings.Contains(err.Error(), "libpsx") {
		testproc.Fatalf("%s in a cgo build below ABI 8: want the libpsx error, got %v", what, err)
	}
}

// wantStdout fails the test unless the result's stdout holds every line.
func wantStdout(t *testing.T, r *testproc.Result, lines ...string) {
	t.Helper()
	r.WantStdout(t, lines...)
}

// wantAbort checks a PenaltyAbort death: killed by SIGKILL after one
// message line containing every part.
func wantAbort(t *testing.T, r *testproc.Result, parts ...string) {
	t.Helper()
	r.WantKilled(t, parts...)
}

// seccompStatus returns the Seccomp and NoNewPrivs fields of a
// /proc/.../status file.
func seccompStatus(path string) (mode, nnp string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "err:" + err.Error(), ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Seccomp:"); ok {
			mode = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "NoNewPrivs:"); ok {
			nnp = strings.TrimSpace(v)
		}
	}
	return mode, nnp
}

// needPrograms skips the test when a program it runs is missing (minimal
// test systems).
func needPrograms(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s is missing", p)
		}
	}
}
