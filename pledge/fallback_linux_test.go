//go:build linux

package pledge

import (
	"errors"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/report"
)

// fakeKernel makes kernel() answer a copy of the real probe, changed by f.
func fakeKernel(f func(*probe.Result)) {
	r := *probe.Get()
	r.SeccompFlags = map[string]bool{}
	for k, v := range probe.Get().SeccompFlags {
		r.SeccompFlags[k] = v
	}
	r.SeccompActions = map[string]bool{}
	for k, v := range probe.Get().SeccompActions {
		r.SeccompActions[k] = v
	}
	f(&r)
	kernel = func() *probe.Result { return &r }
}

// seccompMode is the calling thread's seccomp mode.
func seccompMode() string {
	b, _ := os.ReadFile("/proc/thread-self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Seccomp:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func has(rep *report.Report, what string, st report.Status) bool {
	for _, it := range rep.Items {
		if strings.Contains(it.What, what) && it.Status == st {
			return true
		}
	}
	return false
}

func TestNoSeccompFallback(t *testing.T) {
	r := testproc.Run(t, "noseccomp", func() {
		fakeKernel(func(r *probe.Result) { r.Seccomp, r.SeccompErr = false, errors.New("fake: no CONFIG_SECCOMP_FILTER") })
		_, err := Apply(Options{Promises: "stdio"})
		if !errors.Is(err, ErrUnsupported) || !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "FallbackNoSeccomp") {
			testproc.Fatalf("strict: want ErrUnsupported saying what to do, got %v", err)
		}
		if err := Pledge("stdio", ""); !errors.Is(err, ErrUnsupported) {
			testproc.Fatalf("Pledge must never succeed silently: %v", err)
		}
		rep, err := Apply(Options{Promises: "stdio rpath", Fallback: FallbackNoSeccomp})
		if err != nil || rep.Seccomp || !has(rep, "filter", report.Dropped) {
			testproc.Fatalf("fallback: want a report of a dropped filter, got %v\n%s", err, rep)
		}
		if m := seccompMode(); m != "0" {
			testproc.Fatalf("a filter was installed: Seccomp %s", m)
		}
		if _, err := Apply(Options{Promises: "stdio inet", Fallback: FallbackNoSeccomp}); !errors.Is(err, ErrWiden) {
			testproc.Fatalf("the bookkeeping still refuses widening: got %v", err)
		}
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
}

// Without TSYNC_ESRCH (Linux < 5.7) the filter still covers every thread
// (TSYNC, its return value checked) but no listener can be used.
func TestWithoutTsyncESRCH(t *testing.T) {
	r := testproc.Run(t, "noesrch", func() {
		fakeKernel(func(r *probe.Result) { r.SeccompFlags[probe.FlagTSyncESRCH] = false })
		locked := make(chan string)
		go func() {
			runtime.LockOSThread()
			locked <- ""
			<-locked
			locked <- seccompMode()
		}()
		<-locked
		rep, err := Apply(Options{Promises: "stdio rpath", Fallback: FallbackPenalty})
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		if !strings.Contains(rep.Summary(), "penalty trap instead: the kernel lacks SECCOMP_FILTER_FLAG_TSYNC_ESRCH") {
			testproc.Fatalf("fallback not reported: %s", rep.Summary())
		}
		locked <- ""
		if m := <-locked; m != "2" {
			testproc.Fatalf("a thread locked before the pledge has Seccomp %s", m)
		}
		os.Stdout.WriteString("pledged\n")
		syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	})
	if !r.Exited(2) || !strings.Contains(r.Stderr, "SIGSYS") || !strings.Contains(r.Stdout, "pledged") {
		t.Fatalf("want a trap after the pledge, got %s", r)
	}
}

// A thread that runs under a filter the others lack cannot be
// synchronized: the pledge fails and installs nothing, with or without
// TSYNC_ESRCH.
func TestThreadSyncFailure(t *testing.T) {
	for _, esrch := range []bool{true, false} {
		name := "esrch"
		if !esrch {
			name = "no-esrch"
		}
		t.Run(name, func(t *testing.T) {
			r := testproc.Run(t, name, func() {
				if !esrch {
					fakeKernel(func(r *probe.Result) { r.SeccompFlags[probe.FlagTSyncESRCH] = false })
				}
				done := make(chan error)
				go func() {
					runtime.LockOSThread() // never unlocked: the thread keeps its filter
					done <- allowAllFilter(0)
					select {}
				}()
				if err := <-done; err != nil {
					testproc.Fatalf("per-thread filter: %v", err)
				}
				_, err := Apply(Options{Promises: "stdio", Penalty: PenaltyEPERM})
				if !errors.Is(err, errThreadSync) {
					testproc.Fatalf("want errThreadSync, got %v", err)
				}
				if m := seccompMode(); m != "0" {
					testproc.Fatalf("the failed pledge filtered this thread: Seccomp %s", m)
				}
				if _, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0); err != nil {
					testproc.Fatalf("the failed pledge restricted something: %v", err)
				}
			})
			if !r.Exited(0) {
				t.Fatal(r)
			}
		})
	}
}

// allowAllFilter installs a filter that allows everything, with the given
// seccomp flags (0: on the calling thread only).
func allowAllFilter(flags uintptr) error {
	prog := []unix.SockFilter{{Code: 0x06, K: 0x7fff0000}} // ret ALLOW
	fprog := unix.SockFprog{Len: 1, Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	if e != 0 {
		return e
	}
	return nil
}

// PenaltyAbort with a notification listener already in the process's
// filter stack (as a container runtime may install): the supervisor's
// listener cannot be created. Without FallbackPenalty that is an error and
// nothing changes; with it, PenaltyTrap is used and reported.
func TestPenaltyAbortFallback(t *testing.T) {
	r := testproc.Run(t, "busy", func() {
		if err := allowAllFilter(unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER); err != nil {
			testproc.Fatalf("foreign listener: %v", err)
		}
		_, err := Apply(Options{Promises: "stdio"})
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "holds the process's one notification listener") {
			testproc.Fatalf("want penalty-unavailable error, got %v", err)
		}
		if _, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0); err != nil {
			testproc.Fatalf("the failed Apply restricted something: %v", err)
		}
		rep, err := Apply(Options{Promises: "stdio", Fallback: FallbackPenalty})
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		if d := rep.Summary(); !strings.Contains(d, "penalty abort partial (penalty trap instead") {
			testproc.Fatalf("report does not say trap: %q", d)
		}
		os.Stdout.WriteString("pledged\n")
		syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	})
	if !strings.Contains(r.Stdout, "pledged") || !r.Exited(2) || !strings.Contains(r.Stderr, "SIGSYS: bad system call") {
		t.Fatalf("want a SIGSYS crash after the pledge, got %s", r)
	}
}

func TestEffectivePenalty(t *testing.T) {
	full := func() *probe.Result {
		return &probe.Result{Seccomp: true,
			SeccompFlags:   map[string]bool{probe.FlagNewListener: true, probe.FlagTSyncESRCH: true},
			SeccompActions: map[string]bool{probe.ActionUserNotif: true, probe.ActionKillProcess: true}}
	}
	for _, c := range []struct {
		name  string
		st    *process
		pr    func(*probe.Result)
		pen   Penalty
		want  Penalty
		cause string
	}{
		{"abort", &process{}, nil, PenaltyAbort, PenaltyAbort, ""},
		{"no user_notif", &process{}, func(r *probe.Result) { r.SeccompActions[probe.ActionUserNotif] = false }, PenaltyAbort, PenaltyTrap, "user notification"},
		{"listener held", &process{listener: true}, nil, PenaltyAbort, PenaltyTrap, "one notification listener"},
		{"after a filter", &process{filters: 1}, nil, PenaltyAbort, PenaltyTrap, "before the first filter"},
		{"no kill_process", &process{}, func(r *probe.Result) { r.SeccompActions[probe.ActionKillProcess] = false }, PenaltyKill, PenaltyTrap, "KILL_PROCESS"},
		{"kill", &process{}, nil, PenaltyKill, PenaltyKill, ""},
		{"eperm", &process{listener: true}, nil, PenaltyEPERM, PenaltyEPERM, ""},
	} {
		pr := full()
		if c.pr != nil {
			c.pr(pr)
		}
		got, why := c.st.effectivePenalty(c.pen, pr, pr.SeccompFlags[probe.FlagTSyncESRCH])
		if got != c.want || !strings.Contains(why, c.cause) {
			t.Errorf("%s: got %v (%q), want %v (%q)", c.name, got, why, c.want, c.cause)
		}
	}
}

// Under a filter this program inherited, PenaltyAbort stays when the
// kernel says no listener is held, and becomes PenaltyTrap, with the
// reason, when one is held or when Command started the program (its
// filter refuses pidfd_getfd); nothing is asked once this package has
// installed a filter itself.
func TestEffectivePenaltyInherited(t *testing.T) {
	saved := heldListener
	defer func() { heldListener = saved }()
	pr := &probe.Result{Seccomp: true, SeccompFilterInstalled: true,
		SeccompFlags:   map[string]bool{probe.FlagNewListener: true, probe.FlagTSyncESRCH: true},
		SeccompActions: map[string]bool{probe.ActionUserNotif: true}}
	for _, c := range []struct {
		name      string
		env       string
		held, ok  bool
		want      Penalty
		cause     string
		wantAsked bool
	}{
		{"no listener", "", false, true, PenaltyAbort, "", true},
		{"cannot tell", "", false, false, PenaltyAbort, "", true},
		{"listener held", "", true, true, PenaltyTrap, "inherited (pledge.Command, an exec after pledging, the unveil command) holds", true},
		{"started by Command", "1", true, true, PenaltyTrap, "started by pledge.Command", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envStarted, c.env)
			if c.env == "" {
				os.Unsetenv(envStarted)
			}
			asked := false
			heldListener = func() (bool, bool) { asked = true; return c.held, c.ok }
			got, why := (&process{}).effectivePenalty(PenaltyAbort, pr, true)
			if got != c.want || !strings.Contains(why, c.cause) || asked != c.wantAsked {
				t.Errorf("got %v (%q), asked the kernel %v; want %v (%q), asked %v", got, why, asked, c.want, c.cause, c.wantAsked)
			}
			asked = false
			if got, _ := (&process{filters: 1}).effectivePenalty(PenaltyAbort, pr, true); got != PenaltyTrap || asked {
				t.Errorf("after a filter of its own: got %v, asked the kernel %v", got, asked)
			}
		})
	}
}

// The report says what each promise means here.
func TestReportItems(t *testing.T) {
	r := testproc.Run(t, "report", func() {
		rep, err := Apply(Options{Promises: "stdio rpath audio getpw", Penalty: PenaltyEPERM})
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		for _, want := range []struct {
			what string
			st   report.Status
		}{
			{"stdio", report.Enforced}, {"rpath", report.Enforced}, {"audio", report.NoEffect},
			{"getpw", report.NoEffect}, {"no_new_privs", report.Enforced}, {`filter 1 for "stdio rpath getpw audio"`, report.Enforced},
		} {
			if !has(rep, want.what, want.st) {
				testproc.Fatalf("report lacks %s %s:\n%s", want.what, want.st, rep)
			}
		}
		if !rep.Seccomp || !rep.NoNewPrivs || rep.Summary() != "" {
			testproc.Fatalf("report:\n%s", rep)
		}
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
}
