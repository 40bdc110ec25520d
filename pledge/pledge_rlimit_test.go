//go:build linux

package pledge_test

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// When the soft RLIMIT_NOFILE is below the hard one, the Go runtime raises
// it at start-up and restores it right before every execve
// (prlimit64(0, RLIMIT_NOFILE, &orig, NULL)). "exec" allows exactly that:
// Command's helper (under "stdio rpath exec") survives it, while setting
// another limit is still refused.
func TestExecRestoresNofileLimit(t *testing.T) {
	needPrograms(t, "/bin/sh")
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Max < 64 {
		t.Skipf("RLIMIT_NOFILE %+v: %v", lim, err)
	}
	// The scenario process inherits soft < hard from this one.
	low := syscall.Rlimit{Cur: lim.Max / 2, Max: lim.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skipf("lowering RLIMIT_NOFILE: %v", err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	prlimit := func(resource int, l *syscall.Rlimit) error {
		_, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, uintptr(resource), uintptr(unsafe.Pointer(l)), 0, 0, 0)
		if e != 0 {
			return e
		}
		return nil
	}
	r := testproc.Run(t, "soft-below-hard", func() {
		cmd := pledge.Command("stdio rpath", "/bin/sh", "-c", "echo ran")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		report("command: %v %s", err, strings.TrimSpace(string(out)))
		if _, err := pledge.Apply(pledge.Options{Promises: "stdio rpath exec", Penalty: pledge.PenaltyEPERM}); err != nil {
			testproc.Fatalf("apply: %v", err)
		}
		var cur syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur)
		report("nofile: %v", prlimit(syscall.RLIMIT_NOFILE, &cur))
		syscall.Getrlimit(syscall.RLIMIT_STACK, &cur)
		report("stack: %v", prlimit(syscall.RLIMIT_STACK, &cur))
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "command: <nil> ran", "nofile: <nil>", "stack: operation not permitted")
}
