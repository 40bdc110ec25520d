//go:build linux

package unveil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/report"
)

const baseEnv = "PLEDGEKIT_UNVEIL_TEST_BASE"

// scenario runs fn in a fresh process (an unveil cannot be undone). base
// is a directory the parent test owns and removes afterwards; the child
// builds its files there before restricting itself.
func scenario(t *testing.T, fn func(base string), opts ...testproc.Option) *testproc.Result {
	t.Helper()
	var base string
	if testproc.InChild() {
		base = os.Getenv(baseEnv)
	} else {
		base = t.TempDir()
	}
	r := testproc.Run(t, "scenario", func() { fn(base) }, append(opts, testproc.WithEnv(baseEnv+"="+base))...)
	if !r.Exited(0) {
		t.Fatal(r)
	}
	return r
}

// needLandlock skips tests that need Landlock ABI abi on this kernel.
func needLandlock(t *testing.T, abi int) {
	t.Helper()
	if got := probe.Get().LandlockABI; got < abi {
		t.Skipf("needs Landlock ABI %d, kernel has %d (%v)", abi, got, probe.Get().LandlockErr)
	}
}

var fatalf = testproc.Fatalf

func ok(err error, what string) {
	if err != nil {
		fatalf("%s: want success, got %v", what, err)
	}
}

// denied expects the errno Landlock answers with (EACCES unless given).
func denied(err error, what string, errno ...syscall.Errno) {
	want := syscall.EACCES
	if len(errno) > 0 {
		want = errno[0]
	}
	if !errors.Is(err, want) {
		fatalf("%s: want %v, got %v", what, want, err)
	}
}

func mkdir(parts ...string) string {
	p := filepath.Join(parts...)
	ok(os.MkdirAll(p, 0o755), "mkdir "+p)
	return p
}

func mkfile(content string, parts ...string) string {
	p := filepath.Join(parts...)
	ok(os.MkdirAll(filepath.Dir(p), 0o755), "mkdir "+filepath.Dir(p))
	ok(os.WriteFile(p, []byte(content), 0o644), "write "+p)
	return p
}

func readOK(path string) {
	_, err := os.ReadFile(path)
	ok(err, "read "+path)
}

func readDenied(path string) {
	_, err := os.ReadFile(path)
	denied(err, "read "+path)
}

func writeTo(path string, flag int) error {
	f, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString("x")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func commitOK(r *Ruleset) *report.Report {
	rep, err := r.Commit()
	ok(err, "Commit")
	if !rep.Landlock {
		fatalf("Commit: report says Landlock not enforced:\n%s", rep)
	}
	return rep
}

// item finds the report item whose What starts with prefix.
func item(rep *report.Report, prefix string) (report.Item, bool) {
	for _, it := range rep.Items {
		if strings.HasPrefix(it.What, prefix) {
			return it, true
		}
	}
	return report.Item{}, false
}

// fake returns a copy of this kernel's probe result claiming ABI abi
// (never above the real one: the kernel must accept what we send).
func fake(abi int) *probe.Result {
	r := *probe.Get()
	if abi > r.LandlockABI {
		panic("fake ABI above the kernel's")
	}
	r.LandlockABI = abi
	if abi == 0 {
		r.LandlockErr = fmt.Errorf("%w (fake probe result)", probe.ErrLandlockDisabled)
	}
	return &r
}

func errorsIs(err error, target error) bool { return errors.Is(err, target) }

func probeABI() int { return probe.Get().LandlockABI }

func probeResultForTest() *probe.Result { return probe.Get() }
