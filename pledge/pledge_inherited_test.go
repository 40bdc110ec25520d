//go:build linux

package pledge_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/loader"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// phaseEnv marks the program a scenario executed after pledging: the
// test binary again, under the filter it inherited.
const phaseEnv = "PLEDGEKIT_PLEDGE_TEST_EXECUTED"

// inherited runs first in a fresh process, then executes the test binary
// again (the same scenario, under the filter first installed), which runs
// then: a program started by a pledged program.
func inherited(first, then func()) func() {
	return func() {
		if os.Getenv(phaseEnv) != "" {
			then()
			return
		}
		first()
		exe, err := os.Executable()
		if err != nil {
			testproc.Fatalf("executable: %v", err)
		}
		err = syscall.Exec(exe, os.Args, append(os.Environ(), phaseEnv+"=1"))
		testproc.Fatalf("exec: %v", err)
	}
}

// A program started in a sandbox whose seccomp filter refuses the Landlock
// calls (another tool's, or an older pledge without "unveil") unveils and
// pledges: nothing can be unveiled, and UnveilBlock and Pledge must say so
// instead of returning nil (issue #15).
func TestInheritedFilterRefusesLandlock(t *testing.T) {
	if os.Getenv(phaseEnv) == "" && probe.Get().LandlockABI == 0 {
		t.Skipf("needs Landlock, to tell a refused probe from a missing one (%v)", probe.Get().LandlockErr)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600)
	r := testproc.Run(t, "refused", inherited(func() {
		// A sandbox (another tool's, or an older pledge) that refuses
		// the Landlock calls with EPERM.
		prog := []unix.SockFilter{
			{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
			{Code: unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K, K: unix.SYS_LANDLOCK_CREATE_RULESET, Jt: 0, Jf: 2},
			{Code: unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K, K: unix.SYS_LANDLOCK_RESTRICT_SELF, Jt: 1, Jf: 0},
			{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
			{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
		}
		if _, err := loader.Install(prog, loader.TSync); err != nil {
			testproc.Fatalf("install: %v", err)
		}
	}, func() {
		if err := unveil.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("Unveil: %v", err)
		}
		err := unveil.UnveilBlock()
		if !errors.Is(err, probe.ErrLandlockRefused) || !errors.Is(err, unveil.ErrLandlockUnavailable) {
			testproc.Fatalf("UnveilBlock under a filter refusing Landlock: want ErrLandlockRefused, got %v", err)
		}
		report("block: refused")
		if err := unveil.Unveil(dir, "r"); err != nil {
			testproc.Fatalf("Unveil: %v", err)
		}
		err = pledge.Pledge("stdio rpath", "")
		if !errors.Is(err, probe.ErrLandlockRefused) {
			testproc.Fatalf("Pledge committing unveils under a filter refusing Landlock: want ErrLandlockRefused, got %v", err)
		}
		report("pledge: refused")
	}))
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "block: refused", "pledge: refused")
}

// A Go program started by a pledged program narrows the pledge it
// inherited (OpenBSD's execpromises pattern): its own probe must not be
// killed by the inherited filter, and a violation of the narrowed
// promises still stops the process (issue #15).
func TestPledgeInsideInheritedPledge(t *testing.T) {
	r := testproc.Run(t, "second", inherited(func() {
		if err := pledge.Pledge("stdio rpath inet exec", "stdio rpath inet"); err != nil {
			testproc.Fatalf("first pledge: %v", err)
		}
	}, func() {
		if err := pledge.Pledge("stdio rpath", ""); err != nil {
			testproc.Fatalf("second pledge: %v", err)
		}
		report("pledged again")
		if _, err := os.ReadFile("/proc/version"); err != nil {
			testproc.Fatalf("rpath lost: %v", err)
		}
		syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		report("socket without inet: not stopped")
	}))
	wantStdout(t, r, "pledged again")
	// PenaltyTrap (the inherited filter holds the listener): Go's SIGSYS
	// crash at the socket call; PenaltyAbort elsewhere: the message.
	trapped := r.Exited(2) && strings.Contains(r.Stderr, "SIGSYS") && strings.Contains(r.Stderr, "syscall.Socket")
	aborted := r.Signaled(syscall.SIGKILL) && strings.Contains(r.Stderr, "socket")
	if !trapped && !aborted || strings.Contains(r.Stdout, "not stopped") {
		t.Fatalf("want death at the socket call\n%s", r)
	}
}

// Promises without "stdio" would end a Go program inside Pledge (the
// runtime's futex, the supervisor hand-over's read): they are refused and
// nothing is installed; "stdio" alone returns, and the next forbidden call
// (not one the library makes) ends the process (issue #15).
func TestPledgeReturnsOrRefusesTinyPromises(t *testing.T) {
	for _, ps := range []string{"", "inet", "fattr", "stdio"} {
		t.Run("promises="+ps, func(t *testing.T) {
			r := testproc.Run(t, "tiny", func() {
				err := pledge.Pledge(ps, "")
				if ps != "stdio" {
					if !errors.Is(err, pledge.ErrNoStdio) || !errors.Is(err, syscall.EINVAL) {
						testproc.Fatalf("Pledge(%q): want ErrNoStdio, got %v", ps, err)
					}
					if m, _ := seccompStatus("/proc/self/status"); m != "0" {
						testproc.Fatalf("a refused pledge installed a filter (Seccomp %s)", m)
					}
					report("refused")
					return
				}
				report("returned: %v", err)
				// mkdirat is not in stdio: the message must name it.
				syscall.Mkdirat(-100, "/nonexistent/pledgekit", 0o700)
				testproc.Fatalf("mkdirat allowed")
			}, testproc.WithTimeout(20*time.Second))
			if ps != "stdio" {
				if !r.Exited(0) {
					t.Fatal(r)
				}
				wantStdout(t, r, "refused")
				return
			}
			wantStdout(t, r, "returned: <nil>")
			if !strings.Contains(r.Stderr, "mkdirat") || r.Exited(0) || r.Exited(1) {
				t.Fatalf("want death at mkdirat\n%s", r)
			}
		})
	}
}

// Go loads the local time zone at its first use: under a pledge without
// rpath that open would end the process (a timestamped log line, issue
// #15). Pledge loads it first.
func TestLocalTimeAfterPledge(t *testing.T) {
	r := testproc.Run(t, "localtime", func() {
		if err := pledge.Pledge("stdio", ""); err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		report("zone %s", time.Now().Format("MST"))
	}, testproc.WithEnv("TZ=Europe/Paris"))
	if !r.Exited(0) || !strings.Contains(r.Stdout, "zone CE") && !strings.Contains(r.Stdout, "zone UTC") {
		t.Fatalf("want the local zone after the pledge\n%s", r)
	}
}
