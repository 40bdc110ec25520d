//go:build linux

package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/filter"
	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/promises"
)

// stdioFilter compiles "stdio" plus extra for this process with deny.
func stdioFilter(deny Deny, extra ...promises.Rule) []unix.SockFilter {
	p, err := Compile(FilterSpec{Arch: runtime.GOARCH, Promises: promises.Of(promises.Stdio), Extra: extra, Deny: deny, Pid: os.Getpid()})
	if err != nil {
		testproc.Fatalf("compile: %v", err)
	}
	return p.SockFilters()
}

// openErr opens path for reading and closes it.
func openErr(path string) error {
	f, err := os.Open(path)
	if err == nil {
		f.Close()
	}
	return err
}

func seccompMode() string {
	b, _ := os.ReadFile("/proc/thread-self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Seccomp:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

func needLandlock(t *testing.T) {
	if probe.Get().LandlockABI < 1 {
		t.Skip("Landlock is unavailable")
	}
}

func TestDenyActions(t *testing.T) {
	for d, want := range map[Deny]uint32{
		DenyEPERM: filter.RetErrno | filter.EPERM, DenyENOSYS: filter.RetErrno | filter.ENOSYS,
		DenyKill: filter.RetKillProcess, DenyTrap: filter.RetTrap, DenyNotify: filter.RetUserNotif, DenyLog: filter.RetLog,
	} {
		if got := d.Action(); got != want {
			t.Errorf("Deny(%d).Action() = %#x, want %#x", d, got, want)
		}
	}
}

// The order: the layers, then BeforeFilter (which may still do what the
// filter will deny), then the filter.
func TestOrder(t *testing.T) {
	needLandlock(t)
	r := testproc.Run(t, "order", func() {
		dir, err := os.MkdirTemp("", "engine")
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		inside := filepath.Join(dir, "f")
		os.WriteFile(inside, nil, 0o600)
		var steps []string
		rs := &Ruleset{HandledFS: unix.LANDLOCK_ACCESS_FS_READ_FILE,
			Paths: []PathRule{{Path: dir, Rights: unix.LANDLOCK_ACCESS_FS_READ_FILE}}}
		res, err := Apply(&Plan{
			Scope:    Process,
			Landlock: []Layer{{Ruleset: rs}, {Commit: func() error { steps = append(steps, "commit"); return nil }}},
			BeforeFilter: func() error {
				steps = append(steps, "before")
				fmt.Println("before filter: inside", testproc.ErrnoName(openErr(inside)), "outside", testproc.ErrnoName(openErr("/etc/passwd")))
				return nil
			},
			Filter: &Filter{Prog: stdioFilter(DenyEPERM), ESRCH: true},
		})
		if err != nil || res.Failed != StepNone || res.Layers != 2 || res.ListenerFd != -1 {
			testproc.Fatalf("Apply: %+v, %v", res, err)
		}
		fmt.Println("steps", strings.Join(steps, ","))
		fmt.Println("after filter: inside", testproc.ErrnoName(openErr(inside)), "getpid", os.Getpid() > 0)
	})
	r.WantStdout(t, "before filter: inside success outside EACCES", "steps commit,before", "after filter: inside EPERM getpid true")
}

// A Thread plan restricts the calling thread: Landlock and the filter.
func TestThreadScope(t *testing.T) {
	needLandlock(t)
	r := testproc.Run(t, "thread", func() {
		dir, _ := os.MkdirTemp("", "engine")
		rs := &Ruleset{HandledFS: unix.LANDLOCK_ACCESS_FS_READ_FILE,
			Paths: []PathRule{{Path: dir, Rights: unix.LANDLOCK_ACCESS_FS_READ_FILE}}}
		if _, err := Apply(&Plan{Scope: Thread, NoNewPrivs: true, Landlock: []Layer{{Ruleset: rs}}}); err != nil {
			testproc.Fatalf("Apply: %v", err)
		}
		fmt.Println("outside", testproc.ErrnoName(openErr("/etc/passwd")))
		if _, err := Apply(&Plan{Scope: Thread, Filter: &Filter{Prog: stdioFilter(DenyEPERM)}}); err != nil {
			testproc.Fatalf("Apply: %v", err)
		}
		fmt.Println("after filter", testproc.ErrnoName(unix.Access("/", unix.F_OK)))
	})
	r.WantStdout(t, "outside EACCES", "after filter EPERM")
}

// ListenerKeep returns the listener; once it is closed, the calls the
// filter hands to it fail with ENOSYS (and allowed ones still work).
func TestListenerKeep(t *testing.T) {
	r := testproc.Run(t, "keep", func() {
		res, err := Apply(&Plan{Scope: Process, Filter: &Filter{Prog: stdioFilter(DenyNotify), ESRCH: true, Listener: ListenerKeep}})
		if err != nil || res.ListenerFd < 0 {
			testproc.Fatalf("Apply: %+v, %v", res, err)
		}
		unix.Close(res.ListenerFd)
		fmt.Println("denied", testproc.ErrnoName(openErr("/etc/passwd")), "allowed", os.Getpid() > 0)
	}, testproc.WithTimeout(20*time.Second))
	r.WantStdout(t, "denied ENOSYS allowed true")
}

// ListenerSend sends the listener and keeps no copy: once the receiver
// closes it, denied calls fail with ENOSYS instead of waiting for an
// answer forever.
func TestListenerSend(t *testing.T) {
	r := testproc.Run(t, "send", func() {
		sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			testproc.Fatalf("socketpair: %v", err)
		}
		// As the unveil command's filter: sendmsg on the socket alone
		// (and, for this test's receiving end, recvmsg on the other).
		send := promises.Rule{Syscall: "sendmsg", Args: []promises.Cond{{Arg: 0, Width: promises.W32, Mask: 0, Value: uint64(sp[0])}}}
		recv := promises.Rule{Syscall: "recvmsg", Args: []promises.Cond{{Arg: 0, Width: promises.W32, Mask: 0, Value: uint64(sp[1])}}}
		res, err := Apply(&Plan{Scope: Process, Filter: &Filter{Prog: stdioFilter(DenyNotify, send, recv), ESRCH: true, Listener: ListenerSend, SendTo: sp[0]}})
		if err != nil || res.ListenerFd != -1 {
			testproc.Fatalf("Apply: %+v, %v", res, err)
		}
		fd, err := notify.RecvFd(sp[1])
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		unix.Close(fd)
		fmt.Println("denied", testproc.ErrnoName(openErr("/etc/passwd")))
	}, testproc.WithTimeout(20*time.Second))
	r.WantStdout(t, "denied ENOSYS")
}

// A failing step stops the plan: nothing after it is done.
func TestFailedStep(t *testing.T) {
	t.Run("before", func(t *testing.T) {
		r := testproc.Run(t, "before", func() {
			boom := errors.New("boom")
			res, err := Apply(&Plan{Scope: Process, BeforeFilter: func() error { return boom }, Filter: &Filter{Prog: stdioFilter(DenyEPERM), ESRCH: true}})
			fmt.Println(res.Failed == StepBeforeFilter, err == boom, "seccomp", seccompMode())
		})
		r.WantStdout(t, "true true seccomp 0")
	})
	t.Run("layer", func(t *testing.T) {
		r := testproc.Run(t, "layer", func() {
			ran := false
			res, err := Apply(&Plan{Scope: Process, Landlock: []Layer{{Commit: func() error { return syscall.EINVAL }}},
				BeforeFilter: func() error { ran = true; return nil }})
			fmt.Println(res.Failed == StepLandlock, res.Layers, errors.Is(err, syscall.EINVAL), ran)
		})
		r.WantStdout(t, "true 0 true false")
	})
	t.Run("filter", func(t *testing.T) {
		r := testproc.Run(t, "filter", func() {
			res, err := Apply(&Plan{Scope: Process, Filter: &Filter{}})
			fmt.Println(res.Failed == StepFilter, err != nil, "seccomp", seccompMode())
		})
		r.WantStdout(t, "true true seccomp 0")
	})
}

// The supervisor is pre-started before a whole-process layer that
// handles what it needs, once, and never after the first pledge took it.
func TestPrestart(t *testing.T) {
	needLandlock(t)
	pr := probe.Seccomp()
	if !pr.SeccompActions[probe.ActionUserNotif] || !pr.SeccompFlags[probe.FlagTSyncESRCH] || pr.SeccompFilterInstalled {
		t.Skip("the kernel cannot supervise")
	}
	read := &Ruleset{HandledFS: unix.LANDLOCK_ACCESS_FS_READ_FILE, Paths: []PathRule{{Path: "/", Rights: unix.LANDLOCK_ACCESS_FS_READ_FILE}}}
	for _, c := range []struct {
		name  string
		scope Scope
		rs    *Ruleset
		want  string
	}{
		{"process-read", Process, read, "launches 1 taken sup-1 launches 1"},
		{"thread-read", Thread, read, "launches 0 taken <nil> launches 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := testproc.Run(t, c.name, func() {
				n := 0
				SetSupervisorLauncher(func() (any, error) { n++; return fmt.Sprintf("sup-%d", n), nil })
				for range 2 {
					if _, err := Apply(&Plan{Scope: c.scope, Landlock: []Layer{{Ruleset: c.rs}}}); err != nil {
						testproc.Fatalf("Apply: %v", err)
					}
				}
				fmt.Print("launches ", n)
				fmt.Print(" taken ", TakePrestarted())
				if _, err := Apply(&Plan{Scope: c.scope, Landlock: []Layer{{Ruleset: c.rs}}}); err != nil {
					testproc.Fatalf("Apply: %v", err)
				}
				fmt.Println(" launches", n)
			})
			r.WantStdout(t, c.want)
		})
	}
	// A layer that handles none of the supervisor's rights needs it only
	// below ABI 8 (sibling domains per thread).
	t.Run("network-only", func(t *testing.T) {
		if probe.Get().LandlockABI < 4 {
			t.Skip("needs Landlock ABI 4 (network)")
		}
		want := "launches 1"
		if probe.Get().LandlockTSync() {
			want = "launches 0"
		}
		r := testproc.Run(t, "net", func() {
			n := 0
			SetSupervisorLauncher(func() (any, error) { n++; return "sup", nil })
			rs := &Ruleset{HandledNet: unix.LANDLOCK_ACCESS_NET_CONNECT_TCP}
			if _, err := Apply(&Plan{Scope: Process, Landlock: []Layer{{Ruleset: rs}}}); err != nil {
				testproc.Fatalf("Apply: %v", err)
			}
			fmt.Println("launches", n)
		})
		r.WantStdout(t, want)
	})
}

// A ruleset naming rights the kernel's ABI lacks, or a port rule for a
// right it does not handle, is refused before any system call, with the
// names, and wrapping EINVAL; nothing is enforced.
func TestRulesetCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		rs   Ruleset
		abi  int
		want string
	}{
		{"fs-right-newer-than-abi", Ruleset{HandledFS: unix.LANDLOCK_ACCESS_FS_TRUNCATE}, 2, "fs {truncate} at ABI 2"},
		{"unknown-bit", Ruleset{HandledFS: 1 << 40}, 11, "at ABI 11"},
		{"net-without-abi-4", Ruleset{HandledNet: unix.LANDLOCK_ACCESS_NET_BIND_TCP}, 3, "net {bind_tcp} at ABI 3"},
		{"scope-without-abi-6", Ruleset{Scoped: unix.LANDLOCK_SCOPE_SIGNAL}, 5, "scope {signal} at ABI 5"},
		{"port-right-not-handled", Ruleset{HandledNet: unix.LANDLOCK_ACCESS_NET_BIND_TCP, Net: []NetRule{{Port: 80, Rights: unix.LANDLOCK_ACCESS_NET_CONNECT_TCP}}}, 4, "port 80: {connect_tcp} not all handled"},
		{"port-without-right", Ruleset{HandledNet: unix.LANDLOCK_ACCESS_NET_BIND_TCP, Net: []NetRule{{Port: 80}}}, 4, "port 80"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.rs.check(c.abi)
			if err == nil || !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("check = %v, want EINVAL with %q", err, c.want)
			}
		})
	}
	ok := Ruleset{HandledFS: unix.LANDLOCK_ACCESS_FS_TRUNCATE, HandledNet: unix.LANDLOCK_ACCESS_NET_BIND_TCP, Net: []NetRule{{Port: 80, Rights: unix.LANDLOCK_ACCESS_NET_BIND_TCP}}}
	if err := ok.check(4); err != nil {
		t.Fatalf("check of a valid ruleset: %v", err)
	}
}

// Port rules are enforced both ways: connecting to the allowed port
// reaches the listener, any other port is refused by Landlock (EACCES).
func TestNetRules(t *testing.T) {
	if probe.Get().LandlockABI < 4 {
		t.Skip("needs Landlock ABI 4 (network)")
	}
	for _, scope := range []Scope{Thread, Process} {
		t.Run(map[Scope]string{Thread: "thread", Process: "process"}[scope], func(t *testing.T) {
			r := testproc.Run(t, "net", func() {
				ports := [2]int{}
				for i := range ports {
					fd, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
					if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
						testproc.Fatalf("bind: %v", err)
					}
					unix.Listen(fd, 4)
					sa, _ := unix.Getsockname(fd)
					ports[i] = sa.(*unix.SockaddrInet4).Port
				}
				rs := &Ruleset{HandledNet: unix.LANDLOCK_ACCESS_NET_CONNECT_TCP, Net: []NetRule{{Port: uint16(ports[0]), Rights: unix.LANDLOCK_ACCESS_NET_CONNECT_TCP}}}
				if _, err := Apply(&Plan{Scope: scope, NoNewPrivs: true, Landlock: []Layer{{Ruleset: rs}}}); err != nil {
					testproc.Fatalf("Apply: %v", err)
				}
				for i, p := range ports {
					fd, _ := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
					err := unix.Connect(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}, Port: p})
					fmt.Println("port", i, testproc.ErrnoName(err))
				}
			})
			r.WantStdout(t, "port 0 success", "port 1 EACCES")
		})
	}
}

// A Process-scope layer restricts every thread, also one that was
// started before it and never ran the commit: through TSYNC from ABI 8,
// through the all-threads call below (here the Go runtime's, as this
// test binary has no cgo and no registered libpsx).
func TestProcessScopeEveryThread(t *testing.T) {
	needLandlock(t)
	r := testproc.Run(t, "threads", func() {
		dir, _ := os.MkdirTemp("", "engine")
		ready, result := make(chan struct{}), make(chan error)
		go func() {
			runtime.LockOSThread() // a thread of its own, locked before the commit
			ready <- struct{}{}
			<-ready
			result <- openErr("/etc/passwd")
		}()
		<-ready
		rs := &Ruleset{HandledFS: unix.LANDLOCK_ACCESS_FS_READ_FILE, Paths: []PathRule{{Path: dir, Rights: unix.LANDLOCK_ACCESS_FS_READ_FILE}}}
		if _, err := Apply(&Plan{Scope: Process, Landlock: []Layer{{Ruleset: rs}}}); err != nil {
			testproc.Fatalf("Apply: %v", err)
		}
		ready <- struct{}{}
		fmt.Println("other thread", testproc.ErrnoName(<-result), "this thread", testproc.ErrnoName(openErr("/etc/passwd")))
	})
	r.WantStdout(t, "other thread EACCES this thread EACCES")
}

// Below ABI 8 a whole-process layer goes through the registered
// all-threads call; when it fails, Apply fails at the Landlock step with
// that error, and nothing is restricted.
func TestAllThreadsFailureSurfaces(t *testing.T) {
	needLandlock(t)
	if probe.Get().LandlockTSync() {
		t.Skip("Landlock ABI 8 enforces every thread with TSYNC, without the all-threads call")
	}
	r := testproc.Run(t, "fail", func() {
		var calls []uintptr
		SetAllThreads(func(trap, a1, a2, a3, a4, a5, a6 uintptr) error {
			calls = append(calls, trap)
			return unix.EPERM
		})
		rs := &Ruleset{HandledFS: unix.LANDLOCK_ACCESS_FS_READ_FILE}
		res, err := Apply(&Plan{Scope: Process, Landlock: []Layer{{Ruleset: rs}}})
		fmt.Println("failed at landlock", res.Failed == StepLandlock, "EPERM", errors.Is(err, unix.EPERM), "calls", len(calls), "prctl first", len(calls) > 0 && calls[0] == unix.SYS_PRCTL)
		fmt.Println("still reads", testproc.ErrnoName(openErr("/etc/passwd")))
	})
	r.WantStdout(t, "failed at landlock true EPERM true calls 1 prctl first true", "still reads success")
}
