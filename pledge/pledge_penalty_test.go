//go:build linux

package pledge_test

import (
	"errors"
	"os"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"

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

// pledge("") would allow nothing but exiting, so the Go runtime's next
// call (inside Pledge) would end the process: it is refused with
// ErrNoStdio, nothing is installed, and the process can still write
// (TestPledgeReturnsOrRefusesTinyPromises has the other sets).
func TestEmptyPromises(t *testing.T) {
	r := testproc.Run(t, "empty", func() {
		_, err := pledge.Apply(pledge.Options{Promises: ""})
		if !errors.Is(err, pledge.ErrNoStdio) {
			testproc.Fatalf("want ErrNoStdio, got %v", err)
		}
		os.Stdout.WriteString("written\n")
	})
	if !r.Exited(0) || !strings.Contains(r.Stdout, "written") {
		t.Fatalf("want a refused pledge and a write\n%s", r)
	}
}
