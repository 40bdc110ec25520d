//go:build linux

package pledge_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// promiseCase is one promise with a call it allows. The scenario pledges
// "stdio <with> <promise>", makes the call (which must succeed, or fail
// with want when the kernel itself refuses it), narrows to "stdio <with>"
// and makes it again: now the filter must answer EPERM.
type promiseCase struct {
	promise string
	with    string
	want    syscall.Errno // the kernel's own answer when allowed; 0 = success
	// asBefore: the kernel's answer depends on its configuration (Landlock
	// compiled out or left out of lsm=), so want is what the same call
	// returned in this process before any filter.
	asBefore bool
	setup    func(dir string) any
	call     func(state any) error
}

func raw(nr uintptr, a ...uintptr) error {
	var args [6]uintptr
	copy(args[:], a)
	_, _, e := unix.Syscall6(nr, args[0], args[1], args[2], args[3], args[4], args[5])
	if e != 0 {
		return e
	}
	return nil
}

func fileIn(dir string) any {
	f := filepath.Join(dir, "f")
	if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
		testproc.Fatalf("%v", err)
	}
	return f
}

func openFd(path string, flag int) any {
	fd, err := unix.Open(path, flag|unix.O_CLOEXEC, 0)
	if err != nil {
		testproc.Fatalf("open %s: %v", path, err)
	}
	return fd
}

func socketpair(typ int) [2]int {
	fds, err := unix.Socketpair(unix.AF_UNIX, typ|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		testproc.Fatalf("socketpair: %v", err)
	}
	return fds
}

func closeOnSuccess(fd int, err error) error {
	if err == nil {
		unix.Close(fd)
	}
	return err
}

var counter int

func fresh(dir string, prefix string) string {
	counter++
	return filepath.Join(dir, fmt.Sprintf("%s%d", prefix, counter))
}

var promiseCases = []promiseCase{
	{promise: "rpath", call: func(any) error { _, err := os.ReadFile("/proc/version"); return err }},
	{promise: "wpath", setup: fileIn, call: func(s any) error {
		return closeOnSuccess(unix.Open(s.(string), unix.O_WRONLY|unix.O_CLOEXEC, 0))
	}},
	{promise: "cpath", setup: func(dir string) any { return dir }, call: func(s any) error {
		return os.Mkdir(fresh(s.(string), "d"), 0o700)
	}},
	{promise: "dpath", setup: func(dir string) any { return dir }, call: func(s any) error {
		return unix.Mkfifo(fresh(s.(string), "fifo"), 0o600)
	}},
	{promise: "fattr", setup: fileIn, call: func(s any) error { return unix.Chmod(s.(string), 0o640) }},
	{promise: "chown", setup: fileIn, call: func(s any) error {
		return unix.Chown(s.(string), os.Getuid(), os.Getgid())
	}},
	{promise: "flock", setup: func(dir string) any { return openFd(fileIn(dir).(string), unix.O_RDONLY) }, call: func(s any) error {
		if err := unix.Flock(s.(int), unix.LOCK_EX); err != nil {
			return err
		}
		return unix.Flock(s.(int), unix.LOCK_UN)
	}},
	{promise: "tty", setup: func(string) any { return openFd("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY) }, call: func(s any) error {
		_, err := unix.IoctlGetWinsize(s.(int), unix.TIOCGWINSZ)
		return err
	}},
	{promise: "inet", call: func(any) error { return closeOnSuccess(unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)) }},
	{promise: "anet", call: func(any) error { return closeOnSuccess(unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)) }},
	{promise: "unix", call: func(any) error { return closeOnSuccess(unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)) }},
	{promise: "dns", call: func(any) error { return closeOnSuccess(unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)) }},
	{promise: "route", call: func(any) error {
		return closeOnSuccess(unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE))
	}},
	{promise: "mcast", with: "inet", setup: func(string) any {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM, 0)
		if err != nil {
			testproc.Fatalf("socket: %v", err)
		}
		return fd
	}, call: func(s any) error { return unix.SetsockoptInt(s.(int), unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, 2) }},
	// Signalling itself is stdio's (as on OpenBSD); another process is proc's.
	{promise: "proc", call: func(any) error { return unix.Kill(os.Getppid(), 0) }},
	{promise: "exec", with: "rpath proc", call: func(any) error {
		cmd := exec.Command("/bin/true")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
		return cmd.Run()
	}},
	{promise: "prot_exec", call: func(any) error {
		b, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err == nil {
			unix.Munmap(b)
		}
		return err
	}},
	{promise: "id", call: func(any) error {
		none := ^uintptr(0) // -1: leave unchanged
		return raw(unix.SYS_SETRESUID, none, none, none)
	}},
	{promise: "sendfd", setup: func(string) any { return socketpair(unix.SOCK_DGRAM) }, call: func(s any) error {
		return unix.Sendmsg(s.([2]int)[0], []byte("x"), nil, nil, 0)
	}},
	{promise: "recvfd", setup: func(string) any {
		fds := socketpair(unix.SOCK_DGRAM)
		for i := 0; i < 2; i++ {
			unix.Write(fds[0], []byte("x"))
		}
		return fds
	}, call: func(s any) error {
		_, _, _, _, err := unix.Recvmsg(s.([2]int)[1], make([]byte, 4), nil, unix.MSG_DONTWAIT)
		return err
	}},
	// CLOCK_MONOTONIC cannot be set: the kernel's EINVAL shows the filter
	// let the call through, without changing the time.
	{promise: "settime", want: unix.EINVAL, call: func(any) error {
		ts := unix.Timespec{Sec: 1}
		return raw(unix.SYS_CLOCK_SETTIME, unix.CLOCK_MONOTONIC, uintptr(unsafe.Pointer(&ts)))
	}},
}

func TestPromiseAllowsAndNarrowingDenies(t *testing.T) {
	for _, c := range promiseCases {
		t.Run(c.promise, func(t *testing.T) {
			if c.promise == "exec" {
				needPrograms(t, "/bin/true")
			}
			dir := t.TempDir()
			r := testproc.Run(t, c.promise, func() {
				var state any
				if c.setup != nil {
					state = c.setup(dir)
				}
				want := c.want
				if c.asBefore {
					before := c.call(state)
					if before == syscall.EPERM {
						testproc.Fatalf("%q: the call already fails with EPERM before any filter; the test could not tell the filter's answer apart", c.promise)
					}
					if before != nil {
						want = before.(syscall.Errno)
					}
				}
				base := "stdio " + c.with
				mustApply(pledge.Options{Promises: base + " " + c.promise, Penalty: pledge.PenaltyEPERM})
				err := c.call(state)
				if want == 0 && err != nil || want != 0 && err != want {
					testproc.Fatalf("with %q: want %v, got %v", c.promise, want, err)
				}
				mustApply(pledge.Options{Promises: base, Penalty: pledge.PenaltyEPERM})
				wantErrno("without "+c.promise, c.call(state), syscall.EPERM)
				report("ok")
			})
			wantStdout(t, r, "ok")
		})
	}
}
