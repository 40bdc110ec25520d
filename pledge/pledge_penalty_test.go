//go:build linux

package pledge_test

import (
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// socketAfterPledge pledges "stdio" with the penalty and opens an AF_INET
// socket, which needs "inet".
func socketAfterPledge(p pledge.Penalty) func() {
	return func() {
		mustApply(pledge.Options{Promises: "stdio", Penalty: p})
		report("pledged")
		_, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		report("socket: %v", err)
	}
}

func TestPenaltyAbortPrintsAndKills(t *testing.T) {
	r := testproc.Run(t, "abort", socketAfterPledge(pledge.PenaltyDefault))
	wantAbort(t, r, `pledge: denied socket(AF_INET, SOCK_STREAM, 0) [syscall `,
		`needs promise "inet"`, `(pledged: "stdio")`, "killing the process")
	wantStdout(t, r, "pledged")
	if strings.Contains(r.Stdout, "socket:") {
		t.Fatalf("the socket call returned\n%s", r)
	}
	if n := strings.Count(r.Stderr, "pledge: denied"); n != 1 {
		t.Fatalf("want one message, got %d\n%s", n, r)
	}
	// The message names the process like OpenBSD's does: comm[pid].
	if !regexp.MustCompile(`in [^ ]+\[\d+\]: needs`).MatchString(r.Stderr) {
		t.Fatalf("message lacks the process\n%s", r)
	}
}

// A violation in another goroutine, on a thread locked before the pledge,
// ends the whole process the same way.
func TestPenaltyAbortFromLockedThread(t *testing.T) {
	r := testproc.Run(t, "thread", func() {
		start, done := make(chan struct{}), make(chan struct{})
		go func() {
			runtime.LockOSThread()
			<-start
			syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
			close(done)
		}()
		mustApply(pledge.Options{Promises: "stdio"})
		close(start)
		<-done
		report("survived")
	})
	wantAbort(t, r, `denied socket(AF_UNIX, SOCK_STREAM, 0)`, `needs promise "unix"`)
}

func TestPenaltyKill(t *testing.T) {
	r := testproc.Run(t, "kill", socketAfterPledge(pledge.PenaltyKill))
	if !r.Signaled(syscall.SIGSYS) {
		t.Fatalf("want death by SIGSYS, got %s", r)
	}
	wantStdout(t, r, "pledged")
	if strings.Contains(r.Stdout, "socket:") || strings.Contains(r.Stderr, "pledge: denied") {
		t.Fatalf("want a silent kill\n%s", r)
	}
}

func TestPenaltyTrap(t *testing.T) {
	r := testproc.Run(t, "trap", socketAfterPledge(pledge.PenaltyTrap))
	// The Go runtime crashes with a traceback naming the call's function.
	if !r.Exited(2) || !strings.Contains(r.Stderr, "SIGSYS: bad system call") || !strings.Contains(r.Stderr, "syscall.Socket") {
		t.Fatalf("want a SIGSYS crash naming syscall.Socket, got %s", r)
	}
}

func TestPenaltyErrnos(t *testing.T) {
	for _, c := range []struct {
		p    pledge.Penalty
		want string
	}{
		{pledge.PenaltyEPERM, "socket: operation not permitted"},
		{pledge.PenaltyENOSYS, "socket: function not implemented"},
		{pledge.PenaltyLog, "socket: <nil>"},
	} {
		t.Run(c.p.String(), func(t *testing.T) {
			r := testproc.Run(t, c.p.String(), socketAfterPledge(c.p))
			if !r.Exited(0) {
				t.Fatalf("want exit 0, got %s", r)
			}
			wantStdout(t, r, "pledged", c.want)
		})
	}
}

// The "error" promise selects ENOSYS, as on OpenBSD, and conflicts with
// an explicit other penalty.
func TestErrorPromise(t *testing.T) {
	r := testproc.Run(t, "error", func() {
		_, err := pledge.Apply(pledge.Options{Promises: "stdio error", Penalty: pledge.PenaltyKill})
		wantErrno("conflicting penalty", err, syscall.EINVAL)
		if err := pledge.Pledge("stdio error", ""); err != nil {
			testproc.Fatalf("%v", err)
		}
		_, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		wantErrno("socket", err, syscall.ENOSYS)
		report("ok")
	})
	wantStdout(t, r, "ok")
}

// PenaltyAbort with a notification listener already in the process's
// filter stack (as a container runtime may install): the supervisor's
// listener cannot be created. Without FallbackPenalty that is an error and
// nothing changes; with it, PenaltyTrap is used and reported.
func TestPenaltyAbortFallback(t *testing.T) {
	r := testproc.Run(t, "busy", func() {
		if err := installForeignListener(); err != nil {
			testproc.Fatalf("foreign listener: %v", err)
		}
		_, err := pledge.Apply(pledge.Options{Promises: "stdio"})
		if !strings.Contains(errString(err), "not available") {
			testproc.Fatalf("want penalty-unavailable error, got %v", err)
		}
		if _, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0); err != nil {
			testproc.Fatalf("the failed Apply restricted something: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio", Fallback: pledge.FallbackPenalty})
		if err != nil {
			testproc.Fatalf("%v", err)
		}
		if d := rep.Summary(); !strings.Contains(d, "penalty abort partial (penalty trap instead") {
			testproc.Fatalf("report does not say trap: %q", d)
		}
		report("pledged")
		syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	})
	wantStdout(t, r, "pledged")
	if !r.Exited(2) || !strings.Contains(r.Stderr, "SIGSYS: bad system call") {
		t.Fatalf("want a SIGSYS crash, got %s", r)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// installForeignListener installs an allow-all filter that holds a
// notification listener, on every thread (TSYNC|TSYNC_ESRCH).
func installForeignListener() error {
	prog := []unix.SockFilter{{Code: 0x06, K: 0x7fff0000}} // ret ALLOW
	fprog := unix.SockFprog{Len: 1, Filter: &prog[0]}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	flags := unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafePointer(&fprog)))
	if e != 0 {
		return e
	}
	return nil
}

// pledge("") allows nothing but exiting: the Go runtime's next call is a
// violation that names "stdio".
func TestEmptyPromises(t *testing.T) {
	r := testproc.Run(t, "empty", func() {
		mustApply(pledge.Options{Promises: ""})
		os.Stdout.WriteString("written\n")
	})
	wantAbort(t, r, `needs promise "stdio"`, `(pledged: "")`)
	if strings.Contains(r.Stdout, "written") {
		t.Fatalf("write succeeded under no promises\n%s", r)
	}
}
