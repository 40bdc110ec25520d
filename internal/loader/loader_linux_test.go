//go:build linux

package loader_test

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/loader"
	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
)

// marker is the errno the test filters answer getppid with: getppid never
// fails on its own, so this errno can only come from the filter.
const marker = unix.EOWNERDEAD

func auditArch() uint32 {
	switch runtime.GOARCH {
	case "amd64":
		return unix.AUDIT_ARCH_X86_64
	case "arm64":
		return unix.AUDIT_ARCH_AARCH64
	}
	return 0
}

// getppidFilter kills on a foreign architecture, answers getppid with ret
// and allows everything else.
func getppidFilter(ret uint32) []unix.SockFilter {
	return []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 4}, // arch
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 1, Jf: 0, K: auditArch()},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_KILL_PROCESS},
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_GETPPID},
		{Code: unix.BPF_RET | unix.BPF_K, K: ret},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
}

var (
	errnoFilter = getppidFilter(unix.SECCOMP_RET_ERRNO | uint32(marker))
	notifFilter = getppidFilter(unix.SECCOMP_RET_USER_NOTIF)
	allowAll    = []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
)

func need(t *testing.T, flags ...string) {
	t.Helper()
	pr := probe.Get()
	if !pr.Seccomp {
		t.Skipf("no seccomp here: %v", pr.SeccompErr)
	}
	if auditArch() == 0 {
		t.Skipf("no test filter for %s", runtime.GOARCH)
	}
	for _, f := range flags {
		if !pr.SeccompFlags[f] {
			t.Skipf("this kernel lacks seccomp flag %s", f)
		}
	}
}

// getppid reports how getppid fared on the calling thread: its errno, or
// nil and the value.
func getppid() (uintptr, error) {
	r, _, e := unix.Syscall(unix.SYS_GETPPID, 0, 0, 0)
	if e != 0 {
		return r, e
	}
	return r, nil
}

// threadStatus reads NoNewPrivs and Seccomp of the calling thread.
func threadStatus() (nnp, mode int) {
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		testproc.Fatalf("reading /proc/thread-self/status: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.Atoi(strings.TrimSpace(v))
		switch k {
		case "NoNewPrivs":
			nnp = n
		case "Seccomp":
			mode = n
		}
	}
	return nnp, mode
}

// thread is a goroutine locked to an OS thread of its own, started before
// the filter, that runs functions on request.
type thread struct {
	do   chan func()
	done chan struct{}
}

func newThread() *thread {
	th := &thread{do: make(chan func()), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread() // never unlocked
		for f := range th.do {
			f()
			th.done <- struct{}{}
		}
	}()
	th.run(func() {}) // started and locked
	return th
}

func (th *thread) run(f func()) { th.do <- f; <-th.done }

// check expects getppid to fail with the marker (filtered) or succeed, and
// the thread's status to match.
func check(who string, filtered bool) {
	_, err := getppid()
	nnp, mode := threadStatus()
	switch {
	case filtered && (!errors.Is(err, marker) || nnp != 1 || mode != 2):
		testproc.Fatalf("%s: want the filter in force (getppid %v, NoNewPrivs 1, Seccomp 2), got getppid %v, NoNewPrivs %d, Seccomp %d", who, marker, err, nnp, mode)
	case !filtered && (err != nil || mode != 0):
		testproc.Fatalf("%s: want no filter (getppid works, Seccomp 0), got getppid %v, Seccomp %d", who, err, mode)
	}
}

// With TSync the filter reaches every thread, those started before it
// (locked to goroutines) and those started after, and each has
// no_new_privs. Both ways of reporting a thread that cannot be synchronized
// are covered by TestThreadSyncFailure.
func TestTSyncAllThreads(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags loader.Flags
		need  []string
	}{
		{"tsync", loader.TSync, []string{probe.FlagTSync}},
		{"tsync-esrch", loader.TSync | loader.TSyncESRCH, []string{probe.FlagTSync, probe.FlagTSyncESRCH}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			need(t, tc.need...)
			r := testproc.Run(t, tc.name, func() {
				before := newThread()
				before.run(func() { check("a thread before the filter (unfiltered yet)", false) })
				fd, err := loader.Install(errnoFilter, tc.flags)
				if err != nil || fd != -1 {
					testproc.Fatalf("Install(%v): fd %d, %v", tc.flags, fd, err)
				}
				check("the installing goroutine", true)
				before.run(func() { check("a thread locked before the filter", true) })
				newThread().run(func() { check("a thread started after the filter", true) })
				// A goroutine that is not locked, on whatever thread.
				done := make(chan struct{})
				go func() { check("another goroutine", true); close(done) }()
				<-done
				fmt.Println("ok")
			})
			if !r.Exited(0) || !strings.Contains(r.Stdout, "ok") {
				t.Fatal(r)
			}
		})
	}
}

// Without TSync only the calling thread is filtered, as the unveil command
// needs for the thread that execs; a thread that existed before is not.
func TestSingleThread(t *testing.T) {
	need(t)
	r := testproc.Run(t, "single", func() {
		other := newThread()
		runtime.LockOSThread()
		fd, err := loader.Install(errnoFilter, 0)
		if err != nil || fd != -1 {
			testproc.Fatalf("Install: fd %d, %v", fd, err)
		}
		check("the installing thread", true)
		other.run(func() { check("another thread", false) })
		fmt.Println("ok")
	})
	if !r.Exited(0) || !strings.Contains(r.Stdout, "ok") {
		t.Fatal(r)
	}
}

// NewListener returns a close-on-exec descriptor through which a held call
// is answered.
func TestNewListener(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags loader.Flags
		need  []string
	}{
		{"thread", loader.NewListener, []string{probe.FlagNewListener}},
		{"tsync", loader.TSync | loader.TSyncESRCH | loader.NewListener, []string{probe.FlagNewListener, probe.FlagTSyncESRCH}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			need(t, tc.need...)
			r := testproc.Run(t, tc.name, func() {
				caller := newThread()
				var fd int
				var err error
				// The caller thread installs (so that it is filtered in
				// both cases); this goroutine answers.
				caller.run(func() { fd, err = loader.Install(notifFilter, tc.flags) })
				if err != nil || fd < 0 {
					testproc.Fatalf("Install(%v): fd %d, %v", tc.flags, fd, err)
				}
				if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
					testproc.Fatalf("listener %d: F_GETFD %#x, %v; want close-on-exec", fd, fl, err)
				}
				l := notify.NewListener(fd)
				got := make(chan error, 1)
				go caller.run(func() {
					v, err := getppid()
					if err == nil && v != 4242 {
						err = fmt.Errorf("getppid returned %d, want the supervisor's 4242", v)
					}
					got <- err
				})
				n, err := l.Recv()
				if err != nil {
					testproc.Fatalf("Recv: %v", err)
				}
				if n.Nr != unix.SYS_GETPPID {
					testproc.Fatalf("notified of syscall %d, want getppid (%d)", n.Nr, unix.SYS_GETPPID)
				}
				if err := l.Return(n.ID, 4242); err != nil {
					testproc.Fatalf("Return: %v", err)
				}
				if err := <-got; err != nil {
					testproc.Fatalf("the held call: %v", err)
				}
				fmt.Println("ok")
			})
			if !r.Exited(0) || !strings.Contains(r.Stdout, "ok") {
				t.Fatal(r)
			}
		})
	}
}

// Requests that cannot be right are refused before anything changes.
func TestInvalid(t *testing.T) {
	need(t)
	r := testproc.Run(t, "invalid", func() {
		long := make([]unix.SockFilter, loader.MaxInstructions+1)
		for i := range long {
			long[i] = allowAll[0]
		}
		for _, tc := range []struct {
			name  string
			prog  []unix.SockFilter
			flags loader.Flags
		}{
			{"empty program", nil, 0},
			{"too long", long, loader.TSync},
			{"listener with tsync, no esrch", allowAll, loader.TSync | loader.NewListener},
			{"esrch without tsync", allowAll, loader.TSyncESRCH},
			{"unknown flag", allowAll, 1 << 20},
		} {
			fd, err := loader.Install(tc.prog, tc.flags)
			if !errors.Is(err, loader.ErrInvalid) || fd != -1 {
				testproc.Fatalf("%s: want ErrInvalid and -1, got %d, %v", tc.name, fd, err)
			}
		}
		runtime.LockOSThread()
		if nnp, mode := threadStatus(); nnp != 0 || mode != 0 {
			testproc.Fatalf("a refused request changed the thread: NoNewPrivs %d, Seccomp %d", nnp, mode)
		}
		fmt.Println("ok")
	})
	if !r.Exited(0) || !strings.Contains(r.Stdout, "ok") {
		t.Fatal(r)
	}
}

// A program the kernel refuses is an error wrapping its errno, and nothing
// is installed.
func TestKernelRefuses(t *testing.T) {
	need(t)
	r := testproc.Run(t, "refused", func() {
		runtime.LockOSThread()
		// Falls off the end without a return: the kernel's checker refuses.
		bad := []unix.SockFilter{{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}}
		fd, err := loader.Install(bad, loader.TSync)
		if !errors.Is(err, unix.EINVAL) || fd != -1 {
			testproc.Fatalf("want EINVAL and -1, got %d, %v", fd, err)
		}
		if _, mode := threadStatus(); mode != 0 {
			testproc.Fatalf("a refused program left Seccomp %d", mode)
		}
		fmt.Println("ok")
	})
	if !r.Exited(0) || !strings.Contains(r.Stdout, "ok") {
		t.Fatal(r)
	}
}

// A thread under a filter of its own cannot be synchronized: with
// TSYNC_ESRCH the kernel says ESRCH, without it returns that thread's ID.
// Both are ErrThreadSync and install nothing.
func TestThreadSyncFailure(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags loader.Flags
		need  []string
	}{
		{"positive-return", loader.TSync, []string{probe.FlagTSync}},
		{"esrch", loader.TSync | loader.TSyncESRCH, []string{probe.FlagTSync, probe.FlagTSyncESRCH}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			need(t, tc.need...)
			r := testproc.Run(t, tc.name, func() {
				other := newThread()
				var tid int
				other.run(func() {
					if _, err := loader.Install(allowAll, 0); err != nil {
						testproc.Fatalf("per-thread filter: %v", err)
					}
					tid = unix.Gettid()
				})
				runtime.LockOSThread()
				fd, err := loader.Install(errnoFilter, tc.flags)
				if !errors.Is(err, loader.ErrThreadSync) || fd != -1 {
					testproc.Fatalf("want ErrThreadSync and -1, got %d, %v", fd, err)
				}
				if tc.flags&loader.TSyncESRCH != 0 && !errors.Is(err, unix.ESRCH) {
					testproc.Fatalf("want ESRCH wrapped too: %v", err)
				}
				if tc.flags&loader.TSyncESRCH == 0 && !strings.Contains(err.Error(), fmt.Sprintf("thread %d ", tid)) {
					testproc.Fatalf("the error does not name thread %d: %v", tid, err)
				}
				check("the calling thread after the failure", false)
				fmt.Println("ok")
			})
			if !r.Exited(0) || !strings.Contains(r.Stdout, "ok") {
				t.Fatal(r)
			}
		})
	}
}

// A process has one listener: a second is EBUSY, wrapped.
func TestSecondListener(t *testing.T) {
	need(t, probe.FlagNewListener)
	r := testproc.Run(t, "busy", func() {
		runtime.LockOSThread()
		if _, err := loader.Install(notifFilter, loader.NewListener); err != nil {
			testproc.Fatalf("first listener: %v", err)
		}
		fd, err := loader.Install(notifFilter, loader.NewListener)
		if !errors.Is(err, unix.EBUSY) || fd != -1 {
			testproc.Fatalf("second listener: want EBUSY and -1, got %d, %v", fd, err)
		}
		fmt.Println("ok")
	})
	if !r.Exited(0) || !strings.Contains(r.Stdout, "ok") {
		t.Fatal(r)
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[loader.Flags]string{
		0:                                  "0",
		loader.TSync | loader.TSyncESRCH:   "TSYNC|TSYNC_ESRCH",
		loader.NewListener | loader.Log:    "NEW_LISTENER|LOG",
		loader.TSync | loader.Flags(1<<20): "TSYNC|0x100000",
	} {
		if got := f.String(); got != want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint32(f), got, want)
		}
	}
}
