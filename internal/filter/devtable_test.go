package filter

import (
	"github.com/pledgekit/pledgekit/promises"
)

// TEMPORARY: a small table shaped like the real one, used until
// promises.Rules lands.
func devTable() (base []promises.Rule, per map[promises.Promise][]promises.Rule) {
	u := func(names ...string) []promises.Rule {
		var out []promises.Rule
		for _, n := range names {
			out = append(out, promises.Rule{Syscall: n})
		}
		return out
	}
	w32 := func(arg uint8, mask, val uint64) promises.Cond {
		return promises.Cond{Arg: arg, Width: promises.W32, Mask: mask, Value: val}
	}
	w64 := func(arg uint8, mask, val uint64) promises.Cond {
		return promises.Cond{Arg: arg, Width: promises.W64, Mask: mask, Value: val}
	}
	base = u("exit_group", "rt_sigreturn", "futex", "sched_yield", "rt_sigprocmask", "sigaltstack", "gettid", "tgkill", "nanosleep", "sched_getaffinity")
	base = append(base, promises.Rule{Syscall: "clone3", Action: promises.Errno, Errno: 38})
	per = map[promises.Promise][]promises.Rule{}
	stdio := u("read", "write", "close", "readv", "writev", "pread64", "pwrite64", "lseek", "fstat", "newfstatat",
		"brk", "munmap", "madvise", "getpid", "getppid", "clock_gettime", "clock_nanosleep", "epoll_create1", "epoll_ctl",
		"epoll_pwait", "epoll_wait", "pipe2", "dup", "dup3", "getrandom", "exit", "getuid", "geteuid", "getgid", "getegid",
		"poll", "ppoll", "select", "pselect6", "recvfrom", "sendto", "recvmsg", "sendmsg", "shutdown", "getsockopt",
		"uname", "umask", "getrlimit", "prlimit64", "sysinfo", "wait4", "kill", "rseq", "set_robust_list")
	for _, c := range []uint64{0, 1, 2, 3, 4, 1030} {
		stdio = append(stdio, promises.Rule{Syscall: "fcntl", Args: []promises.Cond{w32(1, 0, c)}})
	}
	stdio = append(stdio,
		promises.Rule{Syscall: "mmap", Args: []promises.Cond{w32(2, 4, 0)}},
		promises.Rule{Syscall: "mprotect", Args: []promises.Cond{w32(2, 4, 0)}},
		promises.Rule{Syscall: "clone", Args: []promises.Cond{w64(0, 0x10000, 0x10000)}},
		promises.Rule{Syscall: "prctl", Args: []promises.Cond{w32(0, 0, 15)}},
		promises.Rule{Syscall: "prctl", Args: []promises.Cond{w32(0, 0, 16)}},
		promises.Rule{Syscall: "prctl", Args: []promises.Cond{w32(0, 0, 0x53564d41), w64(1, 0, 0)}},
		promises.Rule{Syscall: "prctl", Action: promises.Errno, Errno: 22, Args: []promises.Cond{w32(0, 0, 0x53564d41)}},
		promises.Rule{Syscall: "socket", Action: promises.Errno, Errno: 93, Args: []promises.Cond{w32(2, 0, 262)}},
		promises.Rule{Syscall: "ioctl", Args: []promises.Cond{w64(1, 0xffffffff, 0x5421)}},
		promises.Rule{Syscall: "madvise", Args: []promises.Cond{w64(2, 0, 4)}}, // shadowed by unconditional madvise
	)
	for _, c := range []uint64{0x5401, 0x5402, 0x5403, 0x5404, 0x540f, 0x5410, 0x5413, 0x5414} {
		stdio = append(stdio, promises.Rule{Syscall: "ioctl", Args: []promises.Cond{w32(1, 0, c)}, Also: promises.Of(promises.TTY)})
	}
	per[promises.Stdio] = stdio
	per[promises.Rpath] = []promises.Rule{
		{Syscall: "openat", Args: []promises.Cond{w32(2, 3|0x40|0x200, 0)}},
		{Syscall: "open", Args: []promises.Cond{w32(1, 3|0x40|0x200, 0)}},
		{Syscall: "getdents64"}, {Syscall: "readlinkat"}, {Syscall: "faccessat"}, {Syscall: "chdir"}, {Syscall: "getcwd"},
		{Syscall: "readlink"}, {Syscall: "stat"}, {Syscall: "lstat"},
	}
	per[promises.Wpath] = []promises.Rule{
		{Syscall: "openat", Args: []promises.Cond{w32(2, 3|0x40, 1)}},
		{Syscall: "openat", Args: []promises.Cond{w32(2, 3|0x40, 2)}},
	}
	per[promises.Cpath] = []promises.Rule{
		{Syscall: "openat", Args: []promises.Cond{w32(2, 3|0x40, 0x41)}},
		{Syscall: "openat", Args: []promises.Cond{w32(2, 3|0x40, 0x42)}, Also: promises.Of(promises.Wpath)},
		{Syscall: "mkdirat"}, {Syscall: "unlinkat"}, {Syscall: "renameat2"}, {Syscall: "mkdir"}, {Syscall: "rmdir"},
	}
	inet := u("connect", "bind", "listen", "accept4", "getsockname", "getpeername", "setsockopt")
	for _, d := range []uint64{2, 10} {
		for _, t := range []uint64{1, 2} {
			inet = append(inet, promises.Rule{Syscall: "socket", Args: []promises.Cond{w32(0, 0, d), w32(1, 0xf, t)}})
		}
	}
	per[promises.Inet] = inet
	per[promises.Unix] = []promises.Rule{
		{Syscall: "socket", Args: []promises.Cond{w32(0, 0, 1)}},
		{Syscall: "socketpair", Args: []promises.Cond{w32(0, 0, 1)}},
		{Syscall: "connect"}, {Syscall: "bind"}, {Syscall: "listen"}, {Syscall: "accept4"},
	}
	per[promises.DNS] = []promises.Rule{
		{Syscall: "socket", Args: []promises.Cond{w32(0, 0, 2), w32(1, 0xf, 2)}},
		{Syscall: "socket", Args: []promises.Cond{w32(0, 0, 10), w32(1, 0xf, 2)}},
		{Syscall: "connect"}, {Syscall: "sendto"}, {Syscall: "recvfrom"},
	}
	per[promises.Proc] = append(u("fork", "vfork", "setpgid", "getpgid", "setsid", "getsid", "kill", "wait4", "sched_setaffinity"),
		promises.Rule{Syscall: "clone", Args: []promises.Cond{w64(0, 0x10000, 0)}},
		promises.Rule{Syscall: "arch_prctl", Arch: "amd64"})
	per[promises.Exec] = u("execve", "execveat", "access", "arch_prctl", "set_tid_address")
	per[promises.Settime] = u("settimeofday", "clock_settime", "adjtimex")
	per[promises.ID] = u("setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups")
	per[promises.Fattr] = u("fchmod", "fchmodat", "utimensat", "fchown", "chmod")
	per[promises.Chown] = append(u("fchownat", "lchown", "chown"), promises.Rule{Syscall: "fchown", Args: []promises.Cond{w32(1, 0, 0xffffffff)}, Also: promises.Of(promises.Fattr)})
	per[promises.Flock] = u("flock")
	per[promises.Error] = []promises.Rule{{Syscall: "ptrace", Action: promises.Errno, Errno: 1}}
	return base, per
}

// useDevTable installs the dev table in the shim.
func useDevTable() {
	base, per := devTable()
	baselineRules = func() []promises.Rule { return base }
	promiseRules = func(p promises.Promise) []promises.Rule { return per[p] }
}
