package security

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// kstate is what a kernel-surface attempt may use: set up before the
// pledge.
type kstate struct {
	dir     string
	sibling int // pid of an idle sibling process
	addr    uintptr
	nsFd    int // /proc/self/ns/uts
	rootFd  int // "/"
}

type kattempt struct {
	name string
	// sys names the syscall; an architecture without it skips the attempt.
	sys  string
	call func(s *kstate, nr uintptr) syscall.Errno
}

// kernelPromises are the promises an attempt runs under: allLinux, except
// for the Landlock calls, which the unveil promise allows (they only
// narrow).
func kernelPromises(a kattempt) string {
	if a.sys == "landlock_create_ruleset" {
		return strings.ReplaceAll(allLinux, " unveil", "")
	}
	return allLinux
}

func noArgs(s *kstate, nr uintptr) syscall.Errno { return raw(nr, true) }

// kernelAttempts are kernel interfaces with a long record of privilege
// escalations, or that reach other processes or the whole system. No
// promise allows any of them.
var kernelAttempts = []kattempt{
	{"io_uring_setup", "io_uring_setup", func(_ *kstate, nr uintptr) syscall.Errno {
		var params [120]byte
		return raw(nr, true, 4, uintptr(unsafe.Pointer(&params[0])))
	}},
	{"io_uring_register", "io_uring_register", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, ^uintptr(0), 0, 0, 0) }},
	{"userfaultfd", "userfaultfd", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, true, unix.O_CLOEXEC) }},
	{"bpf map create", "bpf", func(_ *kstate, nr uintptr) syscall.Errno {
		// union bpf_attr for BPF_MAP_CREATE: BPF_MAP_TYPE_ARRAY, key 4, value 4, 1 entry.
		attr := [128]byte{0: 2, 4: 4, 8: 4, 12: 1}
		return raw(nr, true, 0, uintptr(unsafe.Pointer(&attr[0])), uintptr(len(attr)))
	}},
	{"perf_event_open", "perf_event_open", func(_ *kstate, nr uintptr) syscall.Errno {
		attr := unix.PerfEventAttr{Type: unix.PERF_TYPE_SOFTWARE, Config: unix.PERF_COUNT_SW_CPU_CLOCK}
		attr.Size = uint32(unsafe.Sizeof(attr))
		return raw(nr, true, uintptr(unsafe.Pointer(&attr)), 0, ^uintptr(0), ^uintptr(0), 0)
	}},
	{"ptrace attach sibling", "ptrace", func(s *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, unix.PTRACE_ATTACH, uintptr(s.sibling))
	}},
	{"ptrace seize sibling", "ptrace", func(s *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, unix.PTRACE_SEIZE, uintptr(s.sibling), 0, 0)
	}},
	{"ptrace traceme", "ptrace", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, unix.PTRACE_TRACEME) }},
	{"process_vm_writev sibling", "process_vm_writev", func(s *kstate, nr uintptr) syscall.Errno {
		data := []byte("OVERWRITTEN-MARK")
		local := unix.Iovec{Base: &data[0], Len: uint64(len(data))}
		remote := unix.RemoteIovec{Base: s.addr, Len: len(data)}
		return raw(nr, false, uintptr(s.sibling), uintptr(unsafe.Pointer(&local)), 1, uintptr(unsafe.Pointer(&remote)), 1, 0)
	}},
	{"process_vm_readv sibling", "process_vm_readv", func(s *kstate, nr uintptr) syscall.Errno {
		data := make([]byte, 16)
		local := unix.Iovec{Base: &data[0], Len: uint64(len(data))}
		remote := unix.RemoteIovec{Base: s.addr, Len: len(data)}
		return raw(nr, false, uintptr(s.sibling), uintptr(unsafe.Pointer(&local)), 1, uintptr(unsafe.Pointer(&remote)), 1, 0)
	}},
	{"pidfd_getfd sibling", "pidfd_getfd", func(s *kstate, nr uintptr) syscall.Errno {
		// pidfd_open is part of proc; taking a descriptor from the process
		// is not.
		pidfd, err := unix.PidfdOpen(s.sibling, 0)
		if err != nil {
			testproc.Fatalf("pidfd_open under proc: %v", err)
		}
		return raw(nr, true, uintptr(pidfd), 1, 0)
	}},
	{"kcmp sibling", "kcmp", func(s *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, uintptr(os.Getpid()), uintptr(s.sibling), 0 /* KCMP_FILE */, 0, 0)
	}},
	{"name_to_handle_at", "name_to_handle_at", func(_ *kstate, nr uintptr) syscall.Errno {
		h := make([]byte, 128)
		*(*uint32)(unsafe.Pointer(&h[0])) = 120
		var mnt int32
		return raw(nr, false, atFdcwd, ptr("/"), uintptr(unsafe.Pointer(&h[0])), uintptr(unsafe.Pointer(&mnt)), 0)
	}},
	{"open_by_handle_at", "open_by_handle_at", func(s *kstate, nr uintptr) syscall.Errno {
		// A handle of the root inode of an ext4/tmpfs root: the classic
		// container escape; any handle will do to test the filter.
		h := [16]byte{0: 8, 4: 1, 8: 2}
		return raw(nr, true, uintptr(s.rootFd), uintptr(unsafe.Pointer(&h[0])), unix.O_RDONLY)
	}},
	{"keyctl", "keyctl", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, unix.KEYCTL_GET_KEYRING_ID, uintptr(0xfffffffd) /* KEY_SPEC_SESSION_KEYRING */, 0)
	}},
	{"add_key", "add_key", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, ptr("user"), ptr("pledgekit"), ptr("x"), 1, uintptr(0xfffffffe) /* KEY_SPEC_PROCESS_KEYRING */)
	}},
	{"request_key", "request_key", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, ptr("user"), ptr("pledgekit"), 0, 0)
	}},
	{"mount tmpfs", "mount", func(s *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, ptr("none"), ptr(s.dir), ptr("tmpfs"), 0, 0)
	}},
	{"umount2", "umount2", func(s *kstate, nr uintptr) syscall.Errno { return raw(nr, false, ptr(s.dir), unix.MNT_DETACH) }},
	{"fsopen", "fsopen", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, true, ptr("tmpfs"), 0) }},
	{"open_tree", "open_tree", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, true, atFdcwd, ptr("/"), unix.OPEN_TREE_CLONE)
	}},
	{"mount_setattr", "mount_setattr", func(s *kstate, nr uintptr) syscall.Errno {
		attr := unix.MountAttr{Attr_clr: unix.MOUNT_ATTR_RDONLY}
		return raw(nr, false, atFdcwd, ptr("/"), 0, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	}},
	{"pivot_root", "pivot_root", func(s *kstate, nr uintptr) syscall.Errno { return raw(nr, false, ptr(s.dir), ptr(s.dir)) }},
	{"chroot", "chroot", func(s *kstate, nr uintptr) syscall.Errno { return raw(nr, false, ptr(s.dir)) }},
	{"unshare user", "unshare", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, unix.CLONE_NEWUSER) }},
	{"unshare mount", "unshare", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, unix.CLONE_NEWNS) }},
	{"clone newnet", "clone", func(_ *kstate, nr uintptr) syscall.Errno {
		r, _, e := unix.RawSyscall6(nr, unix.CLONE_NEWNET|uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
		if e == 0 && r == 0 {
			unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
		}
		return e
	}},
	{"clone ptrace", "clone", func(_ *kstate, nr uintptr) syscall.Errno {
		r, _, e := unix.RawSyscall6(nr, unix.CLONE_PTRACE|uintptr(unix.SIGCHLD), 0, 0, 0, 0, 0)
		if e == 0 && r == 0 {
			unix.RawSyscall(unix.SYS_EXIT_GROUP, 0, 0, 0)
		}
		return e
	}},
	{"setns", "setns", func(s *kstate, nr uintptr) syscall.Errno { return raw(nr, false, uintptr(s.nsFd), 0) }},
	{"personality READ_IMPLIES_EXEC", "personality", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, 0x0400000)
	}},
	{"personality query", "personality", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, 0xffffffff) }},
	{"kexec_load", "kexec_load", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, 0, 0, 0, 0) }},
	{"kexec_file_load", "kexec_file_load", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, ^uintptr(0), ^uintptr(0), 0, 0, unix.KEXEC_FILE_NO_INITRAMFS)
	}},
	{"init_module", "init_module", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, 0, 0, ptr("")) }},
	{"finit_module", "finit_module", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, ^uintptr(0), ptr(""), 0) }},
	{"delete_module", "delete_module", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, ptr("pledgekit_nonexistent"), unix.O_NONBLOCK)
	}},
	{"reboot", "reboot", func(_ *kstate, nr uintptr) syscall.Errno {
		// Wrong magic numbers: the kernel would answer EINVAL.
		return raw(nr, false, 1, 2, unix.LINUX_REBOOT_CMD_CAD_OFF, 0)
	}},
	{"swapon", "swapon", func(s *kstate, nr uintptr) syscall.Errno { return raw(nr, false, ptr(filepath.Join(s.dir, "swap")), 0) }},
	{"acct", "acct", func(s *kstate, nr uintptr) syscall.Errno { return raw(nr, false, ptr(filepath.Join(s.dir, "acct"))) }},
	{"syslog read", "syslog", func(_ *kstate, nr uintptr) syscall.Errno {
		buf := make([]byte, 64)
		return raw(nr, false, 3 /* SYSLOG_ACTION_READ_ALL */, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	}},
	{"memfd_create", "memfd_create", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, true, ptr("x"), 0) }},
	{"memfd_secret", "memfd_secret", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, true, 0) }},
	{"fanotify_init", "fanotify_init", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, true, 0, unix.O_RDONLY) }},
	{"quotactl", "quotactl", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, 0x800001 /* Q_SYNC */, 0, 0, 0) }},
	{"vhangup", "vhangup", noArgs},
	{"iopl", "iopl", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, 3) }},
	{"ioperm", "ioperm", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, 0x80, 1, 1) }},
	{"modify_ldt", "modify_ldt", func(_ *kstate, nr uintptr) syscall.Errno {
		buf := make([]byte, 16)
		return raw(nr, false, 0, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	}},
	{"move_pages sibling", "move_pages", func(s *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, uintptr(s.sibling), 0, 0, 0, 0, 0)
	}},
	{"migrate_pages sibling", "migrate_pages", func(s *kstate, nr uintptr) syscall.Errno {
		var mask uint64 = 1
		return raw(nr, false, uintptr(s.sibling), 64, uintptr(unsafe.Pointer(&mask)), uintptr(unsafe.Pointer(&mask)))
	}},
	{"process_madvise sibling", "process_madvise", func(s *kstate, nr uintptr) syscall.Errno {
		pidfd, err := unix.PidfdOpen(s.sibling, 0)
		if err != nil {
			testproc.Fatalf("pidfd_open under proc: %v", err)
		}
		return raw(nr, false, uintptr(pidfd), 0, 0, unix.MADV_COLD, 0)
	}},
	{"prctl PR_SET_PTRACER", "prctl", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, unix.PR_SET_PTRACER, ^uintptr(0))
	}},
	{"prctl PR_SET_DUMPABLE", "prctl", func(_ *kstate, nr uintptr) syscall.Errno { return raw(nr, false, unix.PR_SET_DUMPABLE, 1) }},
	{"prctl PR_SET_MM", "prctl", func(_ *kstate, nr uintptr) syscall.Errno {
		return raw(nr, false, unix.PR_SET_MM, unix.PR_SET_MM_EXE_FILE, ^uintptr(0))
	}},
	// The Landlock calls are not a surface: they only narrow, and every
	// promise set has them (TestLandlockUnderPledge, issue #15).
}

// Kernel surfaces: under the widest sandbox there is (every Linux promise
// but "error"), each attempt must end the process. Each runs in its own
// process with PenaltyKill, so that the death (SIGSYS) is the filter's doing
// and not an errno the kernel would have returned anyway (unprivileged users
// get EPERM from many of these calls without any filter).
func TestKernelSurfaces(t *testing.T) {
	dir := testDir(t)
	var sibling int
	var addr uintptr
	if !testproc.InChild() {
		cmd, a := startSibling(t)
		sibling, addr = cmd.Process.Pid, a
	} else {
		sibling, _ = strconv.Atoi(os.Getenv("PLEDGEKIT_SECURITY_SIBLING"))
		a, _ := strconv.ParseUint(os.Getenv("PLEDGEKIT_SECURITY_ADDR"), 0, 64)
		addr = uintptr(a)
	}
	env := testproc.WithEnv("PLEDGEKIT_SECURITY_SIBLING="+strconv.Itoa(sibling), "PLEDGEKIT_SECURITY_ADDR="+strconv.FormatUint(uint64(addr), 10))
	mountsBefore := mountinfo(t)
	for _, a := range kernelAttempts {
		t.Run(a.name, func(t *testing.T) {
			nr, ok := legacySyscall(a.sys)
			if !ok {
				t.Skipf("%s does not exist on this architecture", a.sys)
			}
			r := testproc.Run(t, "surface", func() {
				s := &kstate{dir: dir, sibling: sibling, addr: addr}
				var err error
				s.nsFd, err = unix.Open("/proc/self/ns/uts", unix.O_RDONLY, 0)
				must("open ns", err)
				s.rootFd, err = unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY, 0)
				must("open /", err)
				apply(kernelPromises(a), pledge.PenaltyKill)
				say("survived: %s", errnoName(a.call(s, nr)))
			}, inDir(dir), env)
			wantKilled(t, r)
		})
	}
	// Nothing happened to the sibling or to the mount table.
	if tracer := statusField("/proc/"+strconv.Itoa(sibling)+"/status", "TracerPid"); tracer != "0" {
		t.Errorf("sibling %d is traced: TracerPid %q", sibling, tracer)
	}
	if m, err := notify.ReadMem(sibling, uint64(addr), len(marker)); err != nil {
		t.Logf("cannot read the sibling's marker to check it (%v)", err)
	} else if string(m) != string(marker[:]) {
		t.Errorf("sibling's marker changed: %q", m)
	}
	if after := mountinfo(t); after != mountsBefore {
		t.Errorf("the mount table changed:\n%s\n---\n%s", mountsBefore, after)
	}
}

func mountinfo(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A pledged process may install more seccomp filters (to narrow further),
// but a filter that allows everything does not widen: the kernel runs every
// filter and the strictest answer wins. Neither does a filter that hands
// the call to a notification listener this process holds, which could
// otherwise answer "continue".
func TestNewFilterDoesNotWiden(t *testing.T) {
	for _, listener := range []bool{false, true} {
		name := "allow all"
		if listener {
			name = "user notification"
		}
		t.Run(name, func(t *testing.T) {
			r := testproc.Run(t, "widen", func() {
				apply("stdio", pledge.PenaltyKill)
				// ld [0]; ret ALLOW, or ret USER_NOTIF for everything but
				// what this thread needs to keep running.
				ret := uint32(unix.SECCOMP_RET_ALLOW)
				if listener {
					ret = unix.SECCOMP_RET_USER_NOTIF
				}
				prog := []unix.SockFilter{
					{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0},
					{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_GETPPID},
					{Code: unix.BPF_RET | unix.BPF_K, K: ret},
					{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
				}
				lfd, err := notify.Install(prog, listener)
				must("a second filter", err)
				if listener {
					// Answer "continue" to everything, from another thread.
					go func() {
						l := notify.NewListener(lfd)
						for {
							n, err := l.Recv()
							if err != nil {
								return
							}
							l.Continue(n.ID)
						}
					}()
				}
				say("installed")
				// getppid is allowed: the new filter lets it through.
				if _, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0); e != 0 {
					testproc.Fatalf("getppid: %v", e)
				}
				// memfd_create is not.
				say("survived: %s", errnoName(raw(unix.SYS_MEMFD_CREATE, true, ptr("x"), 0)))
			})
			wantLines(t, r, "installed")
			wantKilled(t, r)
		})
	}
}

// kill(-1, sig) signals every process the caller may signal; stdio allows
// kill only to the own process group (pid 0). Signal 0 only asks whether
// the targets exist, so a failing filter would not hurt anyone.
func TestKillEveryone(t *testing.T) {
	for _, pid := range []int{-1, 1} {
		t.Run(strconv.Itoa(pid), func(t *testing.T) {
			r := testproc.Run(t, "kill", func() {
				apply("stdio", pledge.PenaltyKill)
				say("own group: %s", errnoName(raw(unix.SYS_KILL, false, 0, 0)))
				p := pid
				say("survived: %s", errnoName(raw(unix.SYS_KILL, false, uintptr(p), 0)))
			})
			wantLines(t, r, "own group: success")
			wantKilled(t, r)
			if strings.Contains(r.Stdout, "survived") {
				t.Fatal(r)
			}
		})
	}
}

// With the default (abort) penalty a supervisor process answers the
// filter's notifications. A pledged process with "proc" can kill it; the
// kernel then answers every notified call with ENOSYS: refused, never run.
func TestAbortSupervisorKilled(t *testing.T) {
	r := testproc.Run(t, "supervisor", func() {
		apply("stdio rpath proc", pledge.PenaltyAbort)
		// The supervisor is a child of this process.
		killed := 0
		for _, pid := range abortSupervisors() {
			must("kill supervisor", unix.Kill(pid, unix.SIGKILL))
			var ws unix.WaitStatus
			unix.Wait4(pid, &ws, 0, nil)
			killed++
		}
		say("killed %d", killed)
		say("socket: %s", errnoName(raw(unix.SYS_SOCKET, true, unix.AF_INET, unix.SOCK_STREAM, 0)))
		say("memfd_create: %s", errnoName(raw(unix.SYS_MEMFD_CREATE, true, ptr("x"), 0)))
		time.Sleep(10 * time.Second) // the process's watch ends it meanwhile
		say("still alive")
	}, testproc.WithTimeout(30*time.Second))
	if lineOf(r.Stdout, "killed ") == "0" {
		t.Fatalf("no supervisor found to kill (did the abort penalty fall back?)\n%s", r)
	}
	// The pledged process watches its supervisor and ends with it; a
	// refused call made before that gets ENOSYS (the kernel's answer for a
	// notification nobody listens to), never success.
	if !r.Signaled(syscall.SIGKILL) || !strings.Contains(r.Stderr, "supervisor of this pledge has ended") || strings.Contains(r.Stdout, "still alive") {
		t.Fatalf("want the process killed after its supervisor\n%s", r)
	}
	for _, call := range []string{"socket: ", "memfd_create: "} {
		if got := lineOf(r.Stdout, call); got != "(none)" && got != "ENOSYS" {
			t.Fatalf("%s%s after the supervisor died\n%s", call, got, r)
		}
	}
}
