package security

import (
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

// int80 makes an i386 system call through int 0x80 and returns the raw
// result (a negative errno on failure). int80_linux_amd64.s.
//
//go:noescape
func int80(nr, a1, a2, a3 uintptr) uintptr

// low32 copies strings and words into a page below 4 GiB, where the i386
// ABI's 32-bit pointers can reach them, and returns their addresses.
type low32 struct {
	page []byte
	off  int
}

func newLow32() *low32 {
	b, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_32BIT)
	must("mmap(MAP_32BIT)", err)
	return &low32{page: b}
}

func (l *low32) str(s string) uintptr {
	a := uintptr(unsafe.Pointer(&l.page[l.off]))
	copy(l.page[l.off:], s)
	l.page[l.off+len(s)] = 0
	l.off += len(s) + 1
	l.off = (l.off + 7) &^ 7
	return a
}

func (l *low32) words(w ...uint32) uintptr {
	a := uintptr(unsafe.Pointer(&l.page[l.off]))
	for _, v := range w {
		*(*uint32)(unsafe.Pointer(&l.page[l.off])) = v
		l.off += 4
	}
	l.off = (l.off + 7) &^ 7
	return a
}

// i386 syscall numbers, each chosen because the same number is a harmless
// native call that stdio allows: a filter that forgot to check the
// architecture would let the i386 call through.
const (
	i386Open       = 5   // native 5 is fstat
	i386Creat      = 8   // native 8 is lseek
	i386Execve     = 11  // native 11 is munmap
	i386Getpid     = 20  // native 20 is writev
	i386Socketcall = 102 // native 102 is getuid
)

// ia32Works reports whether this kernel runs i386 calls at all (it may be
// built without IA32 emulation, or booted with ia32_emulation=0).
func ia32Works() (bool, string) {
	got := int(int80(i386Getpid, 0, 0, 0))
	if got == os.Getpid() {
		return true, ""
	}
	return false, errnoName(syscall.Errno(-got))
}

// i386 calls through int 0x80 arrive with AUDIT_ARCH_I386 and their own
// numbering. Every one must be refused, however the native call with the
// same number is treated: the filter checks the architecture first.
func TestInt80(t *testing.T) {
	dir := testDir(t)
	secret := filepath.Join(dir, "secret")
	parentOnly(t, func() error { return writeFile(secret, "secret\n", 0o644) })
	created := filepath.Join(dir, "created")
	cases := []struct {
		name, promises string
		pen            pledge.Penalty
		attempt        func(l *low32) uintptr
	}{
		// open(secret) as i386 call 5 (native fstat, allowed by stdio).
		{"open as fstat", "stdio", pledge.PenaltyEPERM, func(l *low32) uintptr {
			return int80(i386Open, l.str(secret), unix.O_RDONLY, 0)
		}},
		// creat(created) as i386 call 8 (native lseek).
		{"creat as lseek", "stdio", pledge.PenaltyEPERM, func(l *low32) uintptr {
			return int80(i386Creat, l.str(created), 0o644, 0)
		}},
		// execve as i386 call 11 (native munmap). The path does not exist,
		// so a missing check would show as ENOENT, not as a new program.
		{"execve as munmap", "stdio", pledge.PenaltyEPERM, func(l *low32) uintptr {
			argv := l.words(0)
			return int80(i386Execve, l.str("/nonexistent/pledgekit-sh"), argv, argv)
		}},
		// socketcall(SYS_SOCKET, {AF_NETLINK, SOCK_RAW, NETLINK_ROUTE}) as
		// i386 call 102 (native getuid), under "stdio unix" which allows
		// only AF_UNIX sockets natively.
		{"socketcall netlink as getuid", "stdio unix", pledge.PenaltyEPERM, func(l *low32) uintptr {
			return int80(i386Socketcall, 1, l.words(unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE), 0)
		}},
		// Even a call every promise set allows natively (getpid) is refused.
		{"getpid", "stdio", pledge.PenaltyEPERM, func(*low32) uintptr { return int80(i386Getpid, 0, 0, 0) }},
		// With the kill penalty the process dies.
		{"open kill", "stdio rpath", pledge.PenaltyKill, func(l *low32) uintptr {
			return int80(i386Open, l.str(secret), unix.O_RDONLY, 0)
		}},
		// PenaltyLog lets native calls run; a foreign call never: it would be
		// judged (and logged) under the native numbering.
		{"open under log", "stdio", pledge.PenaltyLog, func(l *low32) uintptr {
			return int80(i386Open, l.str(secret), unix.O_RDONLY, 0)
		}},
		// The default penalty hands native violations to a supervisor that
		// reads native numbers; foreign calls are killed outright.
		{"open under abort", "stdio", pledge.PenaltyAbort, func(l *low32) uintptr {
			return int80(i386Open, l.str(secret), unix.O_RDONLY, 0)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testproc.Run(t, "int80", func() {
				if ok, why := ia32Works(); !ok {
					say("no ia32: %s", why)
					return
				}
				l := newLow32()
				// Control: unfiltered, the i386 open works.
				fd := int(int32(int80(i386Open, l.str(secret), unix.O_RDONLY, 0)))
				if fd < 0 {
					testproc.Fatalf("unfiltered i386 open: %v", syscall.Errno(-fd))
				}
				unix.Close(fd)
				apply(c.promises, c.pen)
				ret := int(int32(c.attempt(l)))
				// The control's descriptor number is free again; a call that
				// got through would most likely have taken it.
				_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
				say("survived: ret %s", retString(ret))
				say("control descriptor: %s", errnoOf(err))
			}, inDir(dir))
			if strings.HasPrefix(r.Stdout, "no ia32: ") {
				t.Skipf("this kernel runs no i386 calls (%s): nothing to attack", strings.TrimSpace(r.Stdout))
			}
			switch c.pen {
			case pledge.PenaltyEPERM:
				wantLines(t, r, "survived: ret EPERM", "control descriptor: EBADF")
			default:
				wantKilled(t, r)
			}
			if _, err := os.Stat(created); err == nil {
				t.Fatalf("the i386 creat created %s", created)
			}
		})
	}
}

// retString names a raw syscall return: a negative errno by name.
func retString(ret int) string {
	if ret < 0 && ret > -4096 {
		return errnoName(syscall.Errno(-ret))
	}
	return "value " + strconv.Itoa(ret)
}

// x32 calls carry the native AUDIT_ARCH_X86_64 and the x32 bit (0x40000000)
// in the number. The kernel may run them (CONFIG_X86_X32_ABI) or not; the
// filter must refuse them before the kernel decides.
func TestX32Syscalls(t *testing.T) {
	const x32 = 0x40000000
	dir := testDir(t)
	created := filepath.Join(dir, "created")
	cases := []struct {
		name, promises string
		pen            pledge.Penalty
		nr             uintptr
		args           func() [3]uintptr
		want           string // for errno penalties
	}{
		// getpid is allowed natively under every promise set.
		{"getpid", "stdio", pledge.PenaltyEPERM, x32 | unix.SYS_GETPID, func() [3]uintptr { return [3]uintptr{} }, "EPERM"},
		{"getpid enosys", "stdio", pledge.PenaltyENOSYS, x32 | unix.SYS_GETPID, func() [3]uintptr { return [3]uintptr{} }, "ENOSYS"},
		// An x32 openat with O_CREAT under promises that do not allow it
		// natively either.
		{"openat creat", "stdio rpath", pledge.PenaltyEPERM, x32 | unix.SYS_OPENAT, func() [3]uintptr {
			p, _ := unix.BytePtrFromString(created)
			atFdcwd := unix.AT_FDCWD
			return [3]uintptr{uintptr(atFdcwd), uintptr(unsafe.Pointer(p)), unix.O_CREAT | unix.O_WRONLY}
		}, "EPERM"},
		// An x32 netlink socket under "stdio unix".
		{"socket netlink", "stdio unix", pledge.PenaltyEPERM, x32 | unix.SYS_SOCKET, func() [3]uintptr {
			return [3]uintptr{unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE}
		}, "EPERM"},
		{"getpid kill", "stdio", pledge.PenaltyKill, x32 | unix.SYS_GETPID, func() [3]uintptr { return [3]uintptr{} }, ""},
		{"getpid log", "stdio", pledge.PenaltyLog, x32 | unix.SYS_GETPID, func() [3]uintptr { return [3]uintptr{} }, ""},
		{"getpid abort", "stdio", pledge.PenaltyAbort, x32 | unix.SYS_GETPID, func() [3]uintptr { return [3]uintptr{} }, ""},
		{"getpid trap", "stdio", pledge.PenaltyTrap, x32 | unix.SYS_GETPID, func() [3]uintptr { return [3]uintptr{} }, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testproc.Run(t, "x32", func() {
				_, _, e := unix.RawSyscall(x32|unix.SYS_GETPID, 0, 0, 0)
				say("unfiltered: %s", errnoName(e))
				a := c.args()
				apply(c.promises, c.pen)
				_, _, e = unix.RawSyscall(c.nr, a[0], a[1], a[2])
				say("survived: %s", errnoName(e))
			}, inDir(dir))
			switch c.pen {
			case pledge.PenaltyEPERM, pledge.PenaltyENOSYS:
				wantLines(t, r, "survived: "+c.want)
			case pledge.PenaltyTrap:
				// SIGSYS delivered to the thread; the Go runtime dies of it.
				if !strings.Contains(r.Stdout, "pledged\n") || strings.Contains(r.Stdout, "survived") || r.Exited(0) {
					t.Fatalf("want a SIGSYS crash, got\n%s", r)
				}
			default:
				wantKilled(t, r)
			}
			if _, err := os.Stat(created); err == nil {
				t.Fatalf("the x32 openat created %s", created)
			}
			t.Logf("kernel without the filter: %s", strings.SplitN(r.Stdout, "\n", 2)[0])
		})
	}
}

// uretprobe (335) and uprobe (336) are the one hole in seccomp by the
// kernel's own design: since Linux 6.13 (and in stable kernels that took
// the change) seccomp lets them through whatever a filter says, because
// only the kernel's uprobe trampolines may call them. Called from anywhere
// else, the kernel refuses them itself: uretprobe kills the caller with
// SIGILL, uprobe fails with ENXIO. Either way (the kernel's refusal, or
// SIGSYS from the filter on kernels without the exception) the call does
// nothing for the caller; it must never succeed.
func TestUprobeSyscalls(t *testing.T) {
	for _, c := range []struct {
		name string
		nr   uintptr
	}{{"uretprobe", 335}, {"uprobe", 336}} {
		t.Run(c.name, func(t *testing.T) {
			r := testproc.Run(t, "uprobe", func() {
				apply("stdio", pledge.PenaltyKill)
				_, _, e := unix.RawSyscall(c.nr, 0, 0, 0)
				say("survived: %s", errnoName(e))
			})
			if !strings.Contains(r.Stdout, "pledged\n") || strings.Contains(r.Stdout, "survived: success") {
				t.Fatalf("want a refusal by the kernel or death by SIGSYS (filter)\n%s", r)
			}
			switch {
			case strings.Contains(r.Stdout, "survived: "):
				t.Logf("%s: exempt from seccomp on this kernel; the kernel refused the call itself (%s)", c.name, strings.TrimSpace(lineOf(r.Stdout, "survived: ")))
			case r.Signaled(syscall.SIGSYS):
				t.Logf("%s: refused by the filter (this kernel does not exempt it)", c.name)
			case r.Signaled(syscall.SIGILL) || strings.Contains(r.Stderr, "SIGILL"):
				t.Logf("%s: exempt from seccomp on this kernel; the kernel killed the caller with SIGILL", c.name)
			default:
				t.Fatalf("want death by SIGILL or SIGSYS\n%s", r)
			}
		})
	}
}
