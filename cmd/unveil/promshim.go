package main

// TEMPORARY SHIM: the promise table (promises.Rules, promises.Baseline,
// promises.ImpliedPaths, promises.Allowing) is being written by the
// promises helper. Until it lands, this file holds a compact table with the
// same meaning, modelled on OpenBSD's and Cosmopolitan's lists, so the
// command can be built and tested end to end. When the real table lands,
// the functions at the bottom become thin calls into package promises and
// the table goes away.

import (
	"github.com/pledgekit/pledgekit/promises"
)

type impliedPath struct {
	Path string
	Perm string
}

func c32(arg uint8, mask, val uint64) promises.Cond {
	return promises.Cond{Arg: arg, Width: promises.W32, Mask: mask, Value: val}
}
func c64(arg uint8, mask, val uint64) promises.Cond {
	return promises.Cond{Arg: arg, Width: promises.W64, Mask: mask, Value: val}
}

func plain(names ...string) []promises.Rule {
	out := make([]promises.Rule, len(names))
	for i, n := range names {
		out[i] = promises.Rule{Syscall: n}
	}
	return out
}

const (
	oAccmode = 3
	oCreat   = 0o100
	oTrunc   = 0o1000
	oTmpfile = 0o20000000
)

var shimBase = append(plain("exit", "exit_group", "rt_sigreturn", "restart_syscall", "arch_prctl"),
	promises.Rule{Syscall: "clone3", Action: promises.Errno, Errno: 38},
	promises.Rule{Syscall: "openat2", Action: promises.Errno, Errno: 38},
	promises.Rule{Syscall: "socket", Action: promises.Errno, Errno: 93, Args: []promises.Cond{c32(2, 0, 262)}}, // IPPROTO_MPTCP → EPROTONOSUPPORT
)

var shimTable = func() map[promises.Promise][]promises.Rule {
	t := map[promises.Promise][]promises.Rule{}
	stdio := plain("getpid", "gettid", "getppid", "getuid", "getgid", "geteuid", "getegid", "getresuid", "getresgid",
		"getgroups", "getpgid", "getpgrp", "getsid", "getrlimit", "getrusage", "times", "umask", "uname", "sysinfo",
		"getcpu", "rseq", "set_tid_address", "membarrier", "sched_yield", "sched_getaffinity", "clock_getres",
		"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "getitimer", "setitimer", "alarm", "pause",
		"timerfd_create", "timerfd_settime", "timerfd_gettime", "read", "readv", "pread64", "preadv", "preadv2",
		"write", "writev", "pwrite64", "pwritev", "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3",
		"fchdir", "fstat", "fsync", "fdatasync", "ftruncate", "sync_file_range", "copy_file_range", "sendfile",
		"splice", "tee", "vmsplice", "getrandom", "brk", "msync", "munlock", "mremap", "munmap", "mincore", "madvise",
		"fadvise64", "pipe", "pipe2", "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1",
		"epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd", "signalfd4",
		"rt_sigaction", "sigaltstack", "rt_sigprocmask", "rt_sigsuspend", "rt_sigpending", "rt_sigtimedwait",
		"tkill", "recvfrom", "shutdown", "socketpair", "wait4", "waitid", "futex", "set_robust_list", "get_robust_list",
		"getdents64", "statfs", "fstatfs")
	stdio = append(stdio,
		promises.Rule{Syscall: "newfstatat", Args: []promises.Cond{c32(3, 0x1000, 0x1000)}}, // AT_EMPTY_PATH: fstat
		promises.Rule{Syscall: "statx", Args: []promises.Cond{c32(2, 0x1000, 0x1000)}},
		promises.Rule{Syscall: "mmap", Args: []promises.Cond{c32(2, ^uint64(3), 0)}},
		promises.Rule{Syscall: "mprotect", Args: []promises.Cond{c32(2, ^uint64(3), 0)}},
		promises.Rule{Syscall: "sendto", Args: []promises.Cond{c64(4, 0, 0)}},
		promises.Rule{Syscall: "sendmsg", Args: []promises.Cond{}, Also: promises.Of(promises.Sendfd)},
		promises.Rule{Syscall: "prlimit64", Args: []promises.Cond{c64(2, 0, 0)}},
		promises.Rule{Syscall: "clone", Args: []promises.Cond{c64(0, 0x10f00, 0x10f00)}},
	)
	for _, cmd := range []uint64{0, 1, 2, 3, 4, 1030} {
		stdio = append(stdio, promises.Rule{Syscall: "fcntl", Args: []promises.Cond{c32(1, 0, cmd)}})
	}
	for _, req := range []uint64{0x541b, 0x5421, 0x5451, 0x5450, 0x5401, 0x5413} { // FIONREAD FIONBIO FIOCLEX FIONCLEX TCGETS TIOCGWINSZ
		stdio = append(stdio, promises.Rule{Syscall: "ioctl", Args: []promises.Cond{c32(1, 0, req)}})
	}
	for _, opt := range []uint64{15, 16, 21, 22, 23, 38, 39} {
		stdio = append(stdio, promises.Rule{Syscall: "prctl", Args: []promises.Cond{c32(0, 0, opt)}})
	}
	t[promises.Stdio] = stdio
	ro := []promises.Cond{c32(2, oAccmode|oCreat|oTrunc|oTmpfile, 0)}
	roOpen := []promises.Cond{c32(1, oAccmode|oCreat|oTrunc|oTmpfile, 0)}
	t[promises.Rpath] = append(plain("chdir", "getcwd", "stat", "lstat", "newfstatat", "statx", "access", "faccessat",
		"faccessat2", "readlink", "readlinkat", "getdents"),
		promises.Rule{Syscall: "openat", Args: ro}, promises.Rule{Syscall: "open", Args: roOpen})
	wr := func(arg uint8) []promises.Rule {
		return []promises.Rule{
			{Syscall: map[uint8]string{1: "open", 2: "openat"}[arg], Args: []promises.Cond{c32(arg, oAccmode|oCreat|oTmpfile, 1)}},
			{Syscall: map[uint8]string{1: "open", 2: "openat"}[arg], Args: []promises.Cond{c32(arg, oAccmode|oCreat|oTmpfile, 2)}},
		}
	}
	t[promises.Wpath] = append(append(plain("getcwd", "stat", "lstat", "newfstatat", "statx", "access", "faccessat",
		"faccessat2", "readlinkat", "truncate", "fchmod", "fchmodat", "chmod"), wr(1)...), wr(2)...)
	cr := func(arg uint8, name string) []promises.Rule {
		var out []promises.Rule
		for _, acc := range []uint64{0, 1, 2} {
			also := promises.Of(promises.Wpath)
			if acc == 0 {
				also = promises.Of(promises.Rpath)
			}
			out = append(out, promises.Rule{Syscall: name, Args: []promises.Cond{c32(arg, oAccmode|oCreat, oCreat|acc)}, Also: also})
		}
		return out
	}
	t[promises.Cpath] = append(append(plain("rename", "renameat", "renameat2", "link", "linkat", "symlink",
		"symlinkat", "rmdir", "unlink", "unlinkat", "mkdir", "mkdirat", "creat"), cr(1, "open")...), cr(2, "openat")...)
	t[promises.Tmppath] = plain("lstat", "unlink", "unlinkat")
	t[promises.Dpath] = plain("mknod", "mknodat")
	t[promises.Flock] = append(plain("flock"), func() []promises.Rule {
		var out []promises.Rule
		for _, cmd := range []uint64{5, 6, 7, 36, 37, 38} {
			out = append(out, promises.Rule{Syscall: "fcntl", Args: []promises.Cond{c32(1, 0, cmd)}})
		}
		return out
	}()...)
	t[promises.Fattr] = plain("utime", "utimes", "futimesat", "utimensat", "chmod", "fchmod", "fchmodat")
	t[promises.Chown] = plain("chown", "fchown", "lchown", "fchownat")
	sockets := func(domains ...uint64) []promises.Rule {
		out := plain("listen", "bind", "connect", "accept", "accept4", "getpeername", "getsockname", "setsockopt",
			"getsockopt", "sendto", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg")
		for _, d := range domains {
			out = append(out, promises.Rule{Syscall: "socket", Args: []promises.Cond{c32(0, 0, d)}})
		}
		return out
	}
	t[promises.Inet] = sockets(2, 10)
	t[promises.Unix] = sockets(1)
	t[promises.DNS] = sockets(2, 10)
	t[promises.Recvfd] = plain("recvmsg", "recvmmsg")
	t[promises.Sendfd] = plain("sendmsg", "sendmmsg")
	t[promises.TTY] = func() []promises.Rule {
		var out []promises.Rule
		for _, req := range []uint64{0x5401, 0x5402, 0x5403, 0x5404, 0x5413, 0x5410, 0x540f, 0x5414, 0x540b, 0x540a, 0x5409, 0x5427} {
			out = append(out, promises.Rule{Syscall: "ioctl", Args: []promises.Cond{c32(1, 0, req)}})
		}
		return out
	}()
	t[promises.Proc] = append(plain("fork", "vfork", "kill", "tgkill", "setsid", "setpgid", "prlimit64", "setrlimit",
		"getpriority", "setpriority", "sched_setscheduler", "sched_getscheduler", "sched_setaffinity",
		"pidfd_open", "pidfd_send_signal"), promises.Rule{Syscall: "clone"})
	t[promises.Exec] = plain("execve", "execveat")
	t[promises.ID] = plain("setuid", "setreuid", "setresuid", "setgid", "setregid", "setresgid", "setgroups",
		"setfsuid", "setfsgid", "prlimit64", "setrlimit")
	t[promises.Unveil] = plain("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self")
	t[promises.Settime] = plain("settimeofday", "clock_adjtime", "clock_settime")
	t[promises.ProtExec] = append(plain("mprotect", "pkey_mprotect"), promises.Rule{Syscall: "mmap"})
	t[promises.Vminfo] = plain("sched_yield")
	t[promises.Getpw] = nil
	return t
}()

var shimImplied = map[promises.Promise][]impliedPath{
	promises.Stdio: {
		{"/dev/null", "rw"}, {"/dev/full", "rw"}, {"/dev/zero", "r"}, {"/dev/urandom", "r"}, {"/dev/random", "r"},
		{"/etc/localtime", "r"}, {"/usr/share/zoneinfo", "r"}, {"/proc/self/fd", "rw"}, {"/dev/fd", "rw"},
		{"/proc/self/stat", "r"}, {"/proc/self/status", "r"}, {"/proc/self/cmdline", "r"},
		{"/proc/sys/kernel/ngroups_max", "r"}, {"/proc/sys/vm/overcommit_memory", "r"},
		{"/usr/lib/locale", "r"}, {"/usr/share/locale", "r"},
	},
	promises.Rpath: {{"/proc/filesystems", "r"}},
	promises.DNS: {{"/etc/resolv.conf", "r"}, {"/etc/hosts", "r"}, {"/etc/nsswitch.conf", "r"},
		{"/etc/services", "r"}, {"/etc/protocols", "r"}, {"/etc/host.conf", "r"}, {"/etc/gai.conf", "r"}},
	promises.Inet:  {{"/etc/ssl/certs", "r"}, {"/usr/share/ca-certificates", "r"}, {"/etc/ssl/openssl.cnf", "r"}},
	promises.Getpw: {{"/etc/passwd", "r"}, {"/etc/group", "r"}, {"/etc/nsswitch.conf", "r"}},
	promises.TTY:   {{"/dev/tty", "rw"}, {"/etc/terminfo", "r"}, {"/usr/share/terminfo", "r"}, {"/lib/terminfo", "r"}},
	promises.Vminfo: {{"/proc/stat", "r"}, {"/proc/meminfo", "r"}, {"/proc/cpuinfo", "r"},
		{"/proc/self/maps", "r"}, {"/sys/devices/system/cpu", "r"}},
	promises.Tmppath: {{"/tmp", "rwc"}},
}

// --- the functions the command uses; replace their bodies with calls into
// package promises when the real table lands.

func promBaseline() []promises.Rule                { return shimBase }
func promRules(p promises.Promise) []promises.Rule { return shimTable[p] }
func promImplied(p promises.Promise) []impliedPath { return shimImplied[p] }
