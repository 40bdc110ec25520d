package security

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

const hi = 1 << 32 // a high bit the kernel drops from int arguments

func ptr(s string) uintptr {
	p, err := unix.BytePtrFromString(s)
	must("path", err)
	return uintptr(unsafe.Pointer(p))
}

// atFdcwd is AT_FDCWD as a register value.
var atFdcwd = func() uintptr { v := unix.AT_FDCWD; return uintptr(v) }()

// raw makes a system call and returns its errno (0 on success); a
// descriptor it returns is closed.
func raw(nr uintptr, closeFd bool, a ...uintptr) syscall.Errno {
	var v [6]uintptr
	copy(v[:], a)
	r, _, e := unix.Syscall6(nr, v[0], v[1], v[2], v[3], v[4], v[5])
	if e == 0 && closeFd {
		unix.Close(int(r))
	}
	return e
}

// An int argument is 32 bits wide in the kernel: the upper half of the
// register is ignored. A filter that compared 64 bits would take
// AF_NETLINK|1<<32 for something other than AF_NETLINK. Each attempt is
// first made unfiltered (the kernel's answer is printed: it accepts the
// call where the user may make it), then under promises that must refuse
// it, with the kill penalty so that the refusal is unambiguous.
func TestHighBitsOnIntArguments(t *testing.T) {
	dir := testDir(t)
	file := filepath.Join(dir, "file")
	parentOnly(t, func() error { return writeFile(file, "original\n", 0o666) })
	cases := []struct {
		name, promises string
		setup          func() []uintptr // values the call needs (descriptors)
		call           func(v []uintptr) syscall.Errno
	}{
		{"socket AF_NETLINK under unix", "stdio unix", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_SOCKET, true, unix.AF_NETLINK|hi, unix.SOCK_RAW, unix.NETLINK_ROUTE)
		}},
		{"socket AF_PACKET under inet", "stdio inet", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_SOCKET, true, unix.AF_PACKET|hi, unix.SOCK_RAW, 0x300)
		}},
		{"socket SOCK_RAW under inet", "stdio inet", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_SOCKET, true, unix.AF_INET, unix.SOCK_RAW|hi, unix.IPPROTO_RAW)
		}},
		{"socket protocol under inet", "stdio inet", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_SOCKET, true, unix.AF_INET, unix.SOCK_DGRAM, unix.IPPROTO_RAW|hi)
		}},
		{"openat O_WRONLY under rpath", "stdio rpath", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_OPENAT, true, atFdcwd, ptr(file), unix.O_WRONLY|hi)
		}},
		{"openat O_TRUNC under rpath", "stdio rpath", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_OPENAT, true, atFdcwd, ptr(file), unix.O_RDONLY|unix.O_TRUNC|hi)
		}},
		{"openat O_CREAT under rpath wpath", "stdio rpath wpath", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_OPENAT, true, atFdcwd, ptr(filepath.Join(dir, "new")), unix.O_WRONLY|unix.O_CREAT|hi, 0o644)
		}},
		{"openat setuid mode under cpath", "stdio rpath wpath cpath", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_OPENAT, true, atFdcwd, ptr(filepath.Join(dir, "suid")), unix.O_WRONLY|unix.O_CREAT, 0o4755|hi)
		}},
		{"fcntl F_SETLK under stdio", "stdio", openRO(file), func(v []uintptr) syscall.Errno {
			lk := unix.Flock_t{Type: unix.F_RDLCK}
			return raw(unix.SYS_FCNTL, false, v[0], unix.F_SETLK|hi, uintptr(unsafe.Pointer(&lk)))
		}},
		{"fcntl F_SETOWN under stdio", "stdio", openRO(file), func(v []uintptr) syscall.Errno {
			return raw(unix.SYS_FCNTL, false, v[0], unix.F_SETOWN|hi, uintptr(os.Getpid()))
		}},
		{"ioctl TIOCSTI under tty", "stdio tty", openPTY, func(v []uintptr) syscall.Errno {
			c := byte('x')
			return raw(unix.SYS_IOCTL, false, v[1], unix.TIOCSTI|hi, uintptr(unsafe.Pointer(&c)))
		}},
		{"ioctl TIOCSWINSZ under stdio", "stdio", openPTY, func(v []uintptr) syscall.Errno {
			ws := unix.Winsize{Row: 24, Col: 80}
			return raw(unix.SYS_IOCTL, false, v[0], unix.TIOCSWINSZ|hi, uintptr(unsafe.Pointer(&ws)))
		}},
		{"prctl PR_SET_DUMPABLE under stdio", "stdio", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_PRCTL, false, unix.PR_SET_DUMPABLE|hi, 1)
		}},
		{"clone CLONE_NEWUSER under proc", "stdio proc", nil, func([]uintptr) syscall.Errno {
			r, _, e := unix.RawSyscall6(unix.SYS_CLONE, unix.CLONE_NEWUSER|uintptr(unix.SIGCHLD)|hi, 0, 0, 0, 0, 0)
			if e == 0 && r == 0 {
				unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0) // the child
			}
			return e
		}},
		{"mmap PROT_EXEC under stdio", "stdio", nil, func([]uintptr) syscall.Errno {
			r, _, e := unix.Syscall6(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_EXEC|hi, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
			if e == 0 {
				unix.Syscall(unix.SYS_MUNMAP, r, 4096, 0)
			}
			return e
		}},
		{"chmod setuid under fattr", "stdio rpath fattr", nil, func([]uintptr) syscall.Errno {
			return raw(unix.SYS_FCHMODAT, false, atFdcwd, ptr(file), 0o4777|hi)
		}},
		{"chmod setuid above umode_t under fattr", "stdio rpath fattr", nil, func([]uintptr) syscall.Errno {
			// umode_t is 16 bits: 0x10000 is dropped as well.
			return raw(unix.SYS_FCHMODAT, false, atFdcwd, ptr(file), 0o4777|0x10000)
		}},
		{"setsockopt SO_BINDTODEVICE under inet", "stdio inet", inetSocket, func(v []uintptr) syscall.Errno {
			name := []byte("lo\x00")
			return raw(unix.SYS_SETSOCKOPT, false, v[0], unix.SOL_SOCKET|hi, unix.SO_BINDTODEVICE|hi, uintptr(unsafe.Pointer(&name[0])), 3)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testproc.Run(t, "highbits", func() {
				var v []uintptr
				if c.setup != nil {
					v = c.setup()
				}
				say("unfiltered: %s", errnoName(c.call(v)))
				// Undo what the unfiltered call did.
				must("restore", writeFile(file, "original\n", 0o666))
				os.Remove(filepath.Join(dir, "new"))
				os.Remove(filepath.Join(dir, "suid"))
				apply(c.promises, pledge.PenaltyKill)
				e := c.call(v)
				say("survived: %s", errnoName(e))
			}, inDir(dir))
			wantKilled(t, r)
			t.Logf("kernel without the filter: %s", strings.SplitN(r.Stdout, "\n", 2)[0])
			checkFileIntact(t, file)
			for _, n := range []string{"new", "suid"} {
				if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
					t.Fatalf("%s was created", n)
				}
			}
		})
	}
}

// The same, the other way: upper bits must not turn an allowed call into a
// denied one, since the kernel sees the same call (both ways tested).
func TestHighBitsStillAllowed(t *testing.T) {
	dir := testDir(t)
	r := testproc.Run(t, "allowed", func() {
		apply("stdio rpath wpath cpath unix inet", pledge.PenaltyEPERM)
		say("socket AF_UNIX: %s", errnoName(raw(unix.SYS_SOCKET, true, unix.AF_UNIX|hi, unix.SOCK_STREAM|hi, hi)))
		say("socket AF_INET: %s", errnoName(raw(unix.SYS_SOCKET, true, unix.AF_INET|hi, unix.SOCK_DGRAM, unix.IPPROTO_UDP|hi)))
		say("openat create: %s", errnoName(raw(unix.SYS_OPENAT, true, atFdcwd, ptr(filepath.Join(dir, "f")), unix.O_RDWR|unix.O_CREAT|hi, 0o600|hi)))
		say("fcntl F_GETFL: %s", errnoName(raw(unix.SYS_FCNTL, false, 1, unix.F_GETFL|hi)))
	}, inDir(dir))
	wantLines(t, r, "socket AF_UNIX: success", "socket AF_INET: success", "openat create: success", "fcntl F_GETFL: success")
}

func openRO(path string) func() []uintptr {
	return func() []uintptr {
		fd, err := unix.Open(path, unix.O_RDONLY, 0)
		must("open", err)
		return []uintptr{uintptr(fd)}
	}
}

// openPTY opens a pseudo-terminal pair: master, slave.
func openPTY() []uintptr {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY, 0)
	must("open /dev/ptmx", err)
	must("unlockpt", unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0))
	n, err := unix.IoctlGetInt(m, unix.TIOCGPTN)
	must("ptsname", err)
	s, err := unix.Open("/dev/pts/"+strconv.Itoa(n), unix.O_RDWR|unix.O_NOCTTY, 0)
	must("open pts", err)
	return []uintptr{uintptr(m), uintptr(s)}
}

func inetSocket() []uintptr {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	must("socket", err)
	return []uintptr{uintptr(fd)}
}

func checkFileIntact(t *testing.T, file string) {
	t.Helper()
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky) != 0 {
		t.Fatalf("%s got special mode bits: %v", file, fi.Mode())
	}
	b, _ := os.ReadFile(file)
	if string(b) != "original\n" {
		t.Fatalf("%s was changed: %q", file, b)
	}
}

// clone3 and openat2 keep their flags in a struct in memory, which a
// seccomp filter cannot read: both always fail with ENOSYS, under every
// promise set, so that runtimes fall back to clone and openat, whose flags
// are checked. The struct's flags would otherwise ask for a new user
// namespace or create a file.
func TestFlagsHiddenInStructs(t *testing.T) {
	dir := testDir(t)
	created := filepath.Join(dir, "created")
	for _, ps := range []string{"stdio rpath", allLinux} {
		t.Run(strings.Fields(ps)[len(strings.Fields(ps))-1], func(t *testing.T) {
			r := testproc.Run(t, "hidden", func() {
				// struct clone_args: flags CLONE_NEWUSER, exit_signal SIGCHLD.
				cl := [11]uint64{unix.CLONE_NEWUSER, 0, 0, 0, uint64(unix.SIGCHLD)}
				// struct open_how: O_CREAT|O_WRONLY, mode 0644.
				how := [3]uint64{unix.O_CREAT | unix.O_WRONLY, 0o644, 0}
				probe := filepath.Join(dir, "probe")
				say("unfiltered openat2: %s", errnoName(raw(unix.SYS_OPENAT2, true, atFdcwd, ptr(probe), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how))))
				apply(ps, pledge.PenaltyKill)
				pid, _, e := unix.RawSyscall(unix.SYS_CLONE3, uintptr(unsafe.Pointer(&cl)), unsafe.Sizeof(cl), 0)
				if e == 0 && pid == 0 {
					unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
				}
				say("clone3: %s", errnoName(e))
				say("openat2: %s", errnoName(raw(unix.SYS_OPENAT2, true, atFdcwd, ptr(created), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how))))
			}, inDir(dir))
			wantLines(t, r, "clone3: ENOSYS", "openat2: ENOSYS")
			if _, err := os.Stat(created); err == nil {
				t.Fatalf("openat2 created %s", created)
			}
		})
	}
}

// TIOCSTI pushes bytes into a terminal's input queue, TIOCLINUX can paste
// the console selection: both inject commands into whatever reads the
// terminal next (the user's shell). No promise allows them, tty included.
func TestTerminalInjection(t *testing.T) {
	cases := []struct {
		name, promises string
		req            uintptr
		arg            func() uintptr
	}{
		{"TIOCSTI under tty", "stdio tty", unix.TIOCSTI, func() uintptr { c := byte('x'); return uintptr(unsafe.Pointer(&c)) }},
		{"TIOCSTI under everything", allLinux, unix.TIOCSTI, func() uintptr { c := byte('x'); return uintptr(unsafe.Pointer(&c)) }},
		// TIOCLINUX subcode 2 (TIOCL_SETSEL) / 3 (TIOCL_PASTESEL).
		{"TIOCLINUX under tty", "stdio tty", unix.TIOCLINUX, func() uintptr { c := byte(3); return uintptr(unsafe.Pointer(&c)) }},
		{"TIOCLINUX under everything", allLinux, unix.TIOCLINUX, func() uintptr { c := byte(3); return uintptr(unsafe.Pointer(&c)) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testproc.Run(t, "inject", func() {
				v := openPTY()
				say("unfiltered: %s", errnoName(raw(unix.SYS_IOCTL, false, v[1], c.req, c.arg())))
				apply(c.promises, pledge.PenaltyKill)
				// Allowed terminal ioctls still work (both ways).
				var ws unix.Winsize
				if e := raw(unix.SYS_IOCTL, false, v[1], unix.TIOCGWINSZ, uintptr(unsafe.Pointer(&ws))); e != 0 {
					testproc.Fatalf("TIOCGWINSZ under %q: %v", c.promises, e)
				}
				say("survived: %s", errnoName(raw(unix.SYS_IOCTL, false, v[1], c.req, c.arg())))
			})
			wantKilled(t, r)
			t.Logf("kernel without the filter: %s", strings.SplitN(r.Stdout, "\n", 2)[0])
		})
	}
}

// Set-user-ID, set-group-ID and sticky bits through every chmod variant,
// and through the calls that create files with a mode: each is refused
// (EPERM penalty, so one process tries them all), while the same call
// without the special bits works. The file's mode is checked afterwards.
func TestSpecialModeBits(t *testing.T) {
	variants := []struct {
		name string
		call func(path string, fd uintptr, mode uintptr) syscall.Errno
	}{
		{"chmod", func(p string, _, m uintptr) syscall.Errno { return chmodCall(p, m) }},
		{"fchmod", func(_ string, fd, m uintptr) syscall.Errno { return raw(unix.SYS_FCHMOD, false, fd, m) }},
		{"fchmodat", func(p string, _, m uintptr) syscall.Errno { return raw(unix.SYS_FCHMODAT, false, atFdcwd, ptr(p), m) }},
		{"fchmodat2", func(p string, _, m uintptr) syscall.Errno {
			return raw(unix.SYS_FCHMODAT2, false, atFdcwd, ptr(p), m, 0)
		}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			dir := testDir(t)
			file := filepath.Join(dir, "file")
			parentOnly(t, func() error { return writeFile(file, "x", 0o644) })
			r := testproc.Run(t, "chmod", func() {
				fd, err := unix.Open(file, unix.O_RDONLY, 0)
				must("open", err)
				apply("stdio rpath wpath cpath fattr", pledge.PenaltyEPERM)
				for _, m := range specialModes {
					say("%s %#o: %s", v.name, m, errnoName(v.call(file, uintptr(fd), m)))
				}
				say("%s plain: %s", v.name, errnoName(v.call(file, uintptr(fd), 0o700)))
			}, inDir(dir))
			for _, m := range specialModes {
				wantLines(t, r, fmt.Sprintf("%s %#o: EPERM", v.name, m))
			}
			fi, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode()&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky) != 0 {
				t.Fatalf("%s: special bits set: %v\n%s", v.name, fi.Mode(), r)
			}
			if strings.Contains(r.Stdout, v.name+" plain: ENOSYS") && v.name == "fchmodat2" {
				t.Logf("fchmodat2 does not exist on this kernel (Linux 6.6+); its special-bit calls were still refused by the filter")
				return
			}
			wantLines(t, r, v.name+" plain: success")
			if fi.Mode().Perm() != 0o700 {
				t.Fatalf("%s plain did not apply: %v", v.name, fi.Mode())
			}
		})
	}
	t.Run("creating", func(t *testing.T) {
		dir := testDir(t)
		r := testproc.Run(t, "create", func() {
			apply("stdio rpath wpath cpath dpath", pledge.PenaltyEPERM)
			say("openat O_CREAT 04755: %s", errnoName(raw(unix.SYS_OPENAT, true, atFdcwd, ptr(filepath.Join(dir, "a")), unix.O_CREAT|unix.O_WRONLY, 0o4755)))
			say("openat O_TMPFILE 02755: %s", errnoName(raw(unix.SYS_OPENAT, true, atFdcwd, ptr(dir), unix.O_TMPFILE|unix.O_WRONLY, 0o2755)))
			say("mknodat FIFO 04644: %s", errnoName(raw(unix.SYS_MKNODAT, false, atFdcwd, ptr(filepath.Join(dir, "b")), unix.S_IFIFO|0o4644, 0)))
			say("openat O_CREAT 0644: %s", errnoName(raw(unix.SYS_OPENAT, true, atFdcwd, ptr(filepath.Join(dir, "c")), unix.O_CREAT|unix.O_WRONLY, 0o644)))
		}, inDir(dir))
		wantLines(t, r, "openat O_CREAT 04755: EPERM", "openat O_TMPFILE 02755: EPERM", "mknodat FIFO 04644: EPERM", "openat O_CREAT 0644: success")
		for _, n := range []string{"a", "b"} {
			if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
				t.Fatalf("%s was created", n)
			}
		}
	})
}

// specialModes have setuid, setgid or sticky bits, some with high bits the
// kernel drops (mode_t is 16 bits wide in the kernel, the register 64).
var specialModes = []uintptr{0o4755, 0o2755, 0o1755, 0o6755 | hi, 0o4755 | 0x10000}

// chmodCall is chmod(2) where the architecture has it, fchmodat elsewhere
// (arm64 has only the *at variants).
func chmodCall(p string, m uintptr) syscall.Errno {
	if nr, ok := legacySyscall("chmod"); ok {
		return raw(nr, false, ptr(p), m)
	}
	return raw(unix.SYS_FCHMODAT, false, atFdcwd, ptr(p), m)
}
