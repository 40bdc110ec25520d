//go:build linux

package pledge_test

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/pledge/internal/abi32"
)

// The kernel reads int arguments as 32 bits and ignores the upper half; a
// filter comparing all 64 bits would let these through. Each call is
// first made unfiltered (the kernel accepts it), then under a pledge that
// must refuse it.
func TestUpperBitsDoNotBypass(t *testing.T) {
	const hi = 1 << 32
	cases := []struct {
		name, promises string
		setup          func() int
		call           func(fd int) error
	}{
		{"socket AF_NETLINK|1<<32", "stdio inet", func() int { return -1 }, func(int) error {
			fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, unix.AF_NETLINK|hi, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
			return closeOnSuccess(int(fd), errnoErr(e))
		}},
		{"fcntl F_SETLK|1<<32", "stdio", func() int { return openFd("/proc/self/exe", unix.O_RDONLY).(int) }, func(fd int) error {
			lk := unix.Flock_t{Type: unix.F_RDLCK}
			_, _, e := unix.Syscall(unix.SYS_FCNTL, uintptr(fd), unix.F_SETLK|hi, uintptr(unsafe.Pointer(&lk)))
			return errnoErr(e)
		}},
		{"ioctl TIOCSWINSZ|1<<32", "stdio", func() int { return openFd("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY).(int) }, func(fd int) error {
			ws := unix.Winsize{Row: 24, Col: 80}
			_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TIOCSWINSZ|hi, uintptr(unsafe.Pointer(&ws)))
			return errnoErr(e)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testproc.Run(t, c.name, func() {
				fd := c.setup()
				if err := c.call(fd); err != nil {
					testproc.Fatalf("unfiltered: the kernel refused the call: %v", err)
				}
				mustApply(pledge.Options{Promises: c.promises, Penalty: pledge.PenaltyEPERM})
				wantErrno("filtered", c.call(fd), syscall.EPERM)
				report("ok")
			})
			wantStdout(t, r, "ok")
		})
	}
}

// Upper bits do not cause false denials either: the kernel ignores them,
// and so does the filter.
func TestUpperBitsStillAllowed(t *testing.T) {
	r := testproc.Run(t, "tcgets", func() {
		fd := openFd("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY).(int)
		mustApply(pledge.Options{Promises: "stdio", Penalty: pledge.PenaltyEPERM})
		var tio unix.Termios
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.TCGETS|1<<32, uintptr(unsafe.Pointer(&tio)))
		if e != 0 {
			testproc.Fatalf("TCGETS|1<<32 under stdio: %v", e)
		}
		report("ok")
	})
	wantStdout(t, r, "ok")
}

func errnoErr(e syscall.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// clone3's flags are in memory a filter cannot read: it always gets
// ENOSYS, so that glibc falls back to clone, whose flags are checked.
func TestClone3ENOSYS(t *testing.T) {
	r := testproc.Run(t, "clone3", func() {
		_, _, e := unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)
		report("unfiltered: %v", e)
		mustApply(pledge.Options{Promises: "stdio proc"})
		_, _, e = unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)
		report("filtered: %v", e)
	})
	wantStdout(t, r, "unfiltered: invalid argument", "filtered: function not implemented")
}

// A new process (clone without CLONE_THREAD) needs "proc".
func TestForkNeedsProc(t *testing.T) {
	r := testproc.Run(t, "fork", func() {
		mustApply(pledge.Options{Promises: "stdio"})
		pid, _, _ := unix.RawSyscall6(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
		if pid == 0 {
			unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0) // the child, if the filter failed
		}
		report("fork returned %d", pid)
	})
	wantAbort(t, r, "denied clone(", `needs promise "proc"`)
}

// Calls of other ABIs end the process: x32 calls (same audit arch, the
// x32 bit in the number) and i386 calls through int 0x80.
func TestForeignABIs(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("x32 and int 0x80 exist only on amd64")
	}
	t.Run("x32", func(t *testing.T) {
		r := testproc.Run(t, "x32", func() {
			const x32Getpid = 0x40000000 + 39
			_, _, e := unix.RawSyscall(x32Getpid, 0, 0, 0)
			report("unfiltered: %v", e)
			mustApply(pledge.Options{Promises: "stdio"})
			unix.RawSyscall(x32Getpid, 0, 0, 0)
			report("survived")
		})
		if !r.Signaled(syscall.SIGSYS) || len(r.Stderr) > 0 {
			t.Fatalf("want a silent SIGSYS kill, got %s", r)
		}
	})
	t.Run("int 0x80", func(t *testing.T) {
		r := testproc.Run(t, "int80", func() {
			const i386Getpid = 20
			if got := abi32.Int80(i386Getpid, 0, 0, 0); int(got) != os.Getpid() {
				report("no ia32 emulation: %d", int(got))
				return
			}
			mustApply(pledge.Options{Promises: "stdio"})
			abi32.Int80(i386Getpid, 0, 0, 0)
			report("survived")
		})
		if r.Exited(0) && len(r.Stdout) > 0 && r.Stdout[:3] == "no " {
			t.Skipf("the kernel runs no 32-bit calls: %s", r.Stdout)
		}
		if !r.Signaled(syscall.SIGSYS) {
			t.Fatalf("want a SIGSYS kill, got %s", r)
		}
	})
}
