//go:build linux

package pledge_test

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
)

func filterCount() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Seccomp_filters:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func TestNarrowAndWiden(t *testing.T) {
	r := testproc.Run(t, "narrow", func() {
		mustApply(pledge.Options{Promises: "stdio rpath inet", Penalty: pledge.PenaltyEPERM})
		mustApply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyEPERM, KeepExecpromises: true})
		_, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		wantErrno("socket after narrowing", err, syscall.EPERM)

		err = pledge.PledgePromises("stdio rpath inet")
		if !errors.Is(err, pledge.ErrWiden) || !errors.Is(err, syscall.EPERM) {
			testproc.Fatalf("widening: want ErrWiden (EPERM), got %v", err)
		}
		report("widen: %v", err)
		if _, err := os.ReadFile("/proc/version"); err != nil {
			testproc.Fatalf("rpath lost: %v", err)
		}
		report("filters %s", filterCount())
		// The same promises and penalty again: nothing to add.
		mustApply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyEPERM, KeepExecpromises: true})
		report("filters again %s", filterCount())
	})
	wantStdout(t, r, `widen: pledge: promises can only be reduced (attempt to add promises): "stdio rpath inet" would add "inet" to the current promises "stdio rpath"`,
		"filters 2", "filters again 2")
}

// With "error" in the current promises, added promises are dropped
// silently (OpenBSD's behaviour) and the report lists them.
func TestErrorTrimsWidening(t *testing.T) {
	r := testproc.Run(t, "trim", func() {
		mustApply(pledge.Options{Promises: "stdio rpath error"})
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio inet error"})
		if err != nil {
			testproc.Fatalf("want silent trimming, got %v", err)
		}
		report("%s", rep.Summary())
		_, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		wantErrno("socket", err, syscall.ENOSYS)
		_, err = os.ReadFile("/proc/version")
		wantErrno("read after dropping rpath", err, syscall.ENOSYS)
		report("ok")
	})
	wantStdout(t, r, `sandbox degraded: inet dropped (not in the current promises; removed silently because they include "error", as on OpenBSD); `+
		"stat without rpath partial ("+promises.StatByPath.Reason()+")", "ok")
}

func TestExecpromisesRules(t *testing.T) {
	r := testproc.Run(t, "exec", func() {
		// Before any pledge, execpromises alone install nothing.
		if err := pledge.PledgeExecpromises("stdio rpath"); err != nil {
			testproc.Fatalf("%v", err)
		}
		if m, _ := seccompStatus("/proc/self/status"); m != "0" {
			testproc.Fatalf("PledgeExecpromises installed a filter (Seccomp %s)", m)
		}
		err := pledge.PledgeExecpromises("stdio rpath inet")
		if !errors.Is(err, pledge.ErrWiden) {
			testproc.Fatalf("widening execpromises: want ErrWiden, got %v", err)
		}
		err = pledge.Pledge("stdio proc exec", "stdio rpath")
		if !errors.Is(err, pledge.ErrExecWider) || !errors.Is(err, syscall.EINVAL) {
			testproc.Fatalf("execpromises beyond promises: want ErrExecWider (EINVAL), got %v", err)
		}
		report("wider: %v", err)
		if m, _ := seccompStatus("/proc/self/status"); m != "0" {
			testproc.Fatalf("a failed Pledge installed a filter")
		}
		if err := pledge.Pledge("stdio rpath proc exec", "stdio rpath"); err != nil {
			testproc.Fatalf("%v", err)
		}
		// Narrowing the promises below the execpromises trims them.
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio proc exec", KeepExecpromises: true, Fallback: pledge.FallbackPenalty})
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		report("%s", rep.Summary())
	})
	wantStdout(t, r, `wider: pledge: execpromises exceed promises: execpromises "stdio rpath" allow "rpath" beyond the promises "stdio proc exec"; on Linux a program started by this process stays under its filter, so it can never have more`)
	if !r.Exited(0) || !strings.Contains(r.Stdout, "execpromises rpath dropped (removed from the execpromises together with the promises)") {
		t.Fatalf("trimmed execpromises not reported\n%s", r)
	}
}

// Bad input changes nothing and is reported as the promises package's
// error, matching EINVAL like OpenBSD's errno.
func TestBadRequests(t *testing.T) {
	err := pledge.Pledge("stdio bogus", "")
	if !errors.Is(err, promises.ErrUnknown) || !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), `"bogus"`) {
		t.Fatalf("unknown promise: got %v", err)
	}
	err = pledge.Pledge("stdio", " stdio")
	if !errors.Is(err, promises.ErrEmptyWord) || !strings.Contains(err.Error(), "execpromises") {
		t.Fatalf("leading space in execpromises: got %v", err)
	}
	_, err = pledge.Apply(pledge.Options{Promises: "stdio", Penalty: 99})
	if !errors.Is(err, pledge.ErrInvalid) {
		t.Fatalf("bad penalty: got %v", err)
	}
	if m, _ := seccompStatus("/proc/self/status"); m != "0" {
		t.Fatalf("a failed request installed a filter (Seccomp %s)", m)
	}
}

// After a first PenaltyAbort pledge, a narrowing keeps the abort penalty:
// the supervisor moves to the narrowing filter's listener, so a call
// outside the first promises and a call only a narrowing removed are both
// reported with the call and the missing promise (issue #15; before, the
// narrowing fell back to PenaltyTrap, a bare SIGSYS traceback). Programs
// narrow several times (wireproxy three times).
func TestNarrowingAfterAbort(t *testing.T) {
	narrowed := func(fallback pledge.Fallback) {
		mustApply(pledge.Options{Promises: "stdio rpath inet"})
		mustApply(pledge.Options{Promises: "stdio rpath", Fallback: fallback})
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio", Fallback: fallback})
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		report("%s", rep.Summary())
	}
	noFallback := func(t *testing.T, r *testproc.Result) {
		t.Helper()
		if strings.Contains(r.Stdout, "penalty trap instead") || strings.Contains(r.Stderr, "SIGSYS") {
			t.Fatalf("the narrowing fell back to the trap penalty\n%s", r)
		}
	}
	t.Run("outside first", func(t *testing.T) {
		r := testproc.Run(t, "socket", func() {
			narrowed(pledge.FallbackPenalty)
			syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		})
		wantAbort(t, r, `denied socket(AF_UNIX`, `(pledged: "stdio")`)
		noFallback(t, r)
	})
	t.Run("removed by narrowing", func(t *testing.T) {
		r := testproc.Run(t, "open", func() {
			narrowed(pledge.FallbackPenalty)
			os.ReadFile("/proc/version")
		})
		wantAbort(t, r, `denied openat(`, `needs promise "rpath"`, `(pledged: "stdio")`)
		noFallback(t, r)
	})
	t.Run("removed by the first narrowing", func(t *testing.T) {
		r := testproc.Run(t, "inet", func() {
			narrowed(pledge.FallbackPenalty)
			syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		})
		wantAbort(t, r, `denied socket(AF_INET`, `needs promise "inet"`, `(pledged: "stdio")`)
		noFallback(t, r)
	})
	t.Run("strict", func(t *testing.T) {
		r := testproc.Run(t, "strict", func() {
			narrowed(0) // no FallbackPenalty: nothing needs one
			os.ReadFile("/proc/version")
		})
		wantAbort(t, r, `denied openat(`, `needs promise "rpath"`)
		noFallback(t, r)
	})
}

// Each layered filter applies its own penalty to what its narrowing
// removed; the earlier filter keeps answering the rest.
func TestLayeredPenalties(t *testing.T) {
	r := testproc.Run(t, "layers", func() {
		mustApply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyEPERM})
		mustApply(pledge.Options{Promises: "stdio", Penalty: pledge.PenaltyKill})
		_, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		wantErrno("socket (outside the first promises)", err, syscall.EPERM)
		report("socket EPERM")
		os.ReadFile("/proc/version")
		report("read survived")
	})
	wantStdout(t, r, "socket EPERM")
	if !r.Signaled(syscall.SIGSYS) || strings.Contains(r.Stdout, "read survived") {
		t.Fatalf("want SIGSYS for the read the narrowing removed, got %s", r)
	}
}

// PenaltyLog enforces nothing, so the same promises again with an
// enforcing penalty install a filter that does; another enforcing penalty
// for the same promises adds nothing.
func TestLogThenEnforce(t *testing.T) {
	r := testproc.Run(t, "log", func() {
		mustApply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyLog})
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		if err != nil {
			testproc.Fatalf("PenaltyLog denied: %v", err)
		}
		syscall.Close(fd)
		mustApply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyEPERM})
		_, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		wantErrno("socket after the enforcing pledge", err, syscall.EPERM)
		report("filters %s", filterCount())
		mustApply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyKill})
		report("filters again %s", filterCount())
		_, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		wantErrno("socket", err, syscall.EPERM)
		report("ok")
	})
	wantStdout(t, r, "filters 2", "filters again 2", "ok")
}
