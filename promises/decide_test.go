package promises

import (
	"slices"
	"testing"
)

func a(vals ...uint64) (out [6]uint64) {
	copy(out[:], vals)
	return out
}

// example is one Decide question with its expected answer.
type example struct {
	set   string
	arch  string // "" means both arches
	sys   string
	args  [6]uint64
	ok    bool
	errno uint16 // expected Errno answer, 0 for Allow
	pid   int    // the caller's pid (DecideFor); 0: unknown
}

// allowedAndDenied has, for every promise that grants system calls, at
// least one call it allows and one it does not (TestExamplesCoverPromises
// checks that). A denied example usually shows the same call under a
// narrower set or with a forbidden argument.
var allowedAndDenied = []example{
	// Baseline, even for "".
	{set: "", sys: "exit_group", ok: true},
	{set: "", sys: "exit", ok: true},
	{set: "", sys: "rt_sigreturn", ok: true},
	{set: "", sys: "read", args: a(0, 0, 1)},
	{set: "", sys: "clone3", ok: true, errno: eNOSYS},
	{set: "stdio proc", sys: "clone3", ok: true, errno: eNOSYS},
	{set: "stdio rpath", sys: "openat2", ok: true, errno: eNOSYS},
	{set: "stdio inet", sys: "socket", args: a(afInet, sockStream, ipprotoMPTCP), ok: true, errno: ePROTONOSUPPORT},
	{set: "", sys: "socket", args: a(afInet6, sockStream|sockCloexec, ipprotoMPTCP), ok: true, errno: ePROTONOSUPPORT},

	// stdio.
	{set: "stdio", sys: "read", ok: true},
	{set: "stdio", sys: "write", ok: true},
	{set: "rpath", sys: "write"},
	{set: "stdio", sys: "mmap", args: a(0, 4096, protReadWrite, 0x22, ^uint64(0), 0), ok: true},
	{set: "stdio", sys: "mmap", args: a(0, 4096, 0, 0x22, ^uint64(0), 0), ok: true}, // PROT_NONE reservation
	{set: "stdio", sys: "mmap", args: a(0, 4096, protRead|protExec, 0x22, ^uint64(0), 0)},
	{set: "stdio", sys: "mmap", args: a(0, 4096, protRead|0x01000000, 0x22, ^uint64(0), 0)}, // PROT_GROWSDOWN
	{set: "stdio", sys: "mprotect", args: a(0, 4096, protRead), ok: true},
	{set: "stdio", sys: "mprotect", args: a(0, 4096, protRead|protExec)},
	{set: "stdio", sys: "clone", args: a(0x50f00), ok: true},      // Go threads, arm64
	{set: "stdio", sys: "clone", args: a(0xd0f00), ok: true},      // Go threads, amd64 (CLONE_SETTLS)
	{set: "stdio", sys: "clone", args: a(0x3d0f00), ok: true},     // glibc pthread_create fallback
	{set: "stdio", sys: "clone", args: a(0x5111)},                 // os/exec: a process
	{set: "stdio", sys: "clone", args: a(0x11)},                   // fork
	{set: "stdio", sys: "clone", args: a(0x50f00 &^ cloneVM)},     // thread without shared memory
	{set: "stdio", sys: "clone", args: a(0x50f00 | cloneNewUser)}, // namespaces
	{set: "stdio", sys: "clone", args: a(0x50f00 | clonePtrace)},  // traced
	{set: "stdio", sys: "prlimit64", args: a(0, 7, 0, 0x1000), ok: true},
	{set: "stdio", sys: "prlimit64", args: a(0, 7, 0x1000, 0)},
	{set: "stdio", sys: "prlimit64", args: a(0, 7, 1<<32, 0)}, // W64: high bits count
	// Signals: the caller itself and its process group under stdio (as on
	// OpenBSD), any other process with proc.
	{set: "stdio", sys: "kill", args: a(0, 15), ok: true},
	{set: "stdio", sys: "kill", args: a(1234, 15)}, // pid unknown: never "self"
	{set: "stdio", sys: "kill", args: a(1234, 15), pid: 1234, ok: true},
	{set: "stdio", sys: "kill", args: a(1234|1<<32, 15), pid: 1234, ok: true}, // pid_t: the kernel reads 32 bits
	{set: "stdio", sys: "kill", args: a(1235, 15), pid: 1234},
	{set: "stdio", sys: "kill", args: a(^uint64(0), 9), pid: 1234},                      // kill(-1): everyone
	{set: "stdio", sys: "kill", args: a(uint64(uint32(0xffffffff-1233)), 9), pid: 1234}, // kill(-1234): a process group
	{set: "stdio", sys: "tgkill", args: a(1234, 1235, 23), pid: 1234, ok: true},
	{set: "stdio", sys: "tgkill", args: a(1234, 1235, 23)},
	{set: "stdio", sys: "tgkill", args: a(1, 1, 15), pid: 1234},
	{set: "stdio", sys: "tkill", args: a(1234, 6), pid: 1234, ok: true}, // musl's raise on the main thread
	{set: "stdio", sys: "tkill", args: a(1235, 6), pid: 1234},
	{set: "stdio", sys: "tkill", args: a(1235, 33), pid: 1234, ok: true}, // libpsx: the documented hole
	{set: "stdio", sys: "tkill", args: a(1235, 33|1<<32), pid: 1234, ok: true},
	{set: "stdio", sys: "tkill", args: a(1235, 34), pid: 1234},
	{set: "stdio proc", sys: "tgkill", args: a(1, 1, 15), pid: 1234, ok: true},
	{set: "stdio proc", sys: "tkill", args: a(1235, 6), pid: 1234, ok: true},
	// fstat as C libraries make it: a descriptor with AT_EMPTY_PATH.
	{set: "stdio", sys: "newfstatat", args: a(3, 0, 0, atEmptyPath), ok: true},
	{set: "stdio", sys: "newfstatat", args: a(3, 0, 0, atEmptyPath|0x100 /* AT_SYMLINK_NOFOLLOW */), ok: true},
	{set: "stdio", sys: "newfstatat", args: a(0xffffff9c, 0, 0, atEmptyPath)},       // AT_FDCWD
	{set: "stdio", sys: "newfstatat", args: a(1<<32|0xffffff9c, 0, 0, atEmptyPath)}, // int: 32 bits
	{set: "stdio", sys: "newfstatat", args: a(3, 0, 0, 0)},                          // a path
	{set: "stdio", sys: "statx", args: a(3, 0, atEmptyPath, 0x7ff), ok: true},
	{set: "stdio", sys: "statx", args: a(0xffffff9c, 0, atEmptyPath, 0x7ff)},
	{set: "stdio", sys: "statx", args: a(3, 0, 0, 0x7ff)},
	// prctl(PR_SET_DUMPABLE): only giving it up.
	{set: "stdio", sys: "prctl", args: a(prSetDumpable, 0), ok: true},
	{set: "stdio", sys: "prctl", args: a(prSetDumpable, 1)},
	{set: "stdio", sys: "prctl", args: a(prSetDumpable, 1<<32)}, // unsigned long: 64 bits
	// F_SETPIPE_SZ and the FORCE buffer options answer EPERM.
	{set: "stdio", sys: "fcntl", args: a(3, fSetpipeSz, 1<<20), ok: true, errno: ePERM},
	{set: "stdio", sys: "fcntl", args: a(3, fGetpipeSz), ok: true},
	{set: "stdio", sys: "setsockopt", args: a(3, solSocket, soRcvbufforce), ok: true, errno: ePERM},
	{set: "stdio inet", sys: "setsockopt", args: a(3, solSocket, soSndbufforce), ok: true, errno: ePERM},
	{set: "stdio", sys: "getsockopt", args: a(3, solSocket, soRcvbufforce)},
	{set: "stdio", sys: "sendto", args: a(3, 0, 10, 0, 0, 0), ok: true},
	{set: "stdio", sys: "sendto", args: a(3, 0, 10, 0, 0x7fff0000, 16)},
	{set: "stdio", sys: "sendto", args: a(3, 0, 10, 0, 1<<32, 16)}, // W64: a pointer
	{set: "stdio", sys: "socketpair", args: a(afUnix, sockStream, 0), ok: true},
	{set: "stdio", sys: "socketpair", args: a(afInet, sockStream, 0)},
	{set: "stdio", sys: "socket", args: a(afUnix, sockStream, 0)},
	{set: "stdio", sys: "fcntl", args: a(3, fSetfl, 0x800), ok: true},
	{set: "stdio", sys: "fcntl", args: a(3, fDupfdCloexec, 10), ok: true},
	{set: "stdio", sys: "fcntl", args: a(3, fSetlk, 0)},
	{set: "stdio", sys: "fcntl", args: a(3, fSetown, 1)},
	{set: "stdio", sys: "ioctl", args: a(0, fionread, 0), ok: true},
	{set: "stdio", sys: "ioctl", args: a(0, tcgets, 0), ok: true},
	{set: "stdio", sys: "ioctl", args: a(0, tcsets, 0)},
	{set: "stdio", sys: "ioctl", args: a(0, tiocgwinsz, 0)},
	{set: "stdio", sys: "prctl", args: a(prSetVMA, 0, 0x1000, 0x1000, 0), ok: true},
	{set: "stdio", sys: "prctl", args: a(prSetNoNewPrivs, 1), ok: true},
	{set: "stdio", sys: "prctl", args: a(prSetName, 0x1000), ok: true},
	{set: "stdio", sys: "prctl", args: a(4 /* PR_SET_DUMPABLE */, 1)},
	{set: "stdio", sys: "prctl", args: a(35 /* PR_SET_MM */, 1)},
	{set: "stdio", sys: "setsockopt", args: a(3, solSocket, 8 /* SO_RCVBUF */), ok: true},
	{set: "stdio", sys: "setsockopt", args: a(3, solSocket, 2 /* SO_REUSEADDR */)},
	{set: "stdio", sys: "getsockopt", args: a(3, solSocket, 3 /* SO_TYPE */), ok: true},
	{set: "stdio", sys: "openat", args: a(0, 0, oRdonly)},
	{set: "stdio", sys: "sendmsg"},
	{set: "stdio", sys: "recvmsg"},
	{set: "stdio", sys: "arch_prctl", arch: "amd64", args: a(0x1002, 0), ok: true},
	{set: "stdio", sys: "seccomp", args: a(1, 0, 0), ok: true},
	{set: "stdio", sys: "ptrace"},
	{set: "stdio", sys: "unshare"},
	{set: "stdio", sys: "io_uring_setup"},
	{set: "stdio", sys: "bpf"},

	// rpath / wpath / cpath / dpath (the whole open matrix is in TestOpenMatrix).
	{set: "stdio rpath", sys: "openat", args: a(0xffffff9c, 0, 0x80000), ok: true}, // O_CLOEXEC
	{set: "stdio rpath", sys: "openat", args: a(0xffffff9c, 0, oWronly)},
	{set: "stdio rpath", sys: "newfstatat", args: a(3, 0, 0, 0), ok: true},
	{set: "stdio rpath", sys: "getdents64", ok: true},
	{set: "stdio wpath", sys: "openat", args: a(0xffffff9c, 0, oWronly|oTrunc), ok: true},
	{set: "stdio wpath", sys: "openat", args: a(0xffffff9c, 0, oRdwr)},
	{set: "stdio wpath", sys: "truncate", ok: true},
	{set: "stdio wpath", sys: "unlinkat"},
	{set: "stdio cpath", sys: "unlinkat", ok: true},
	{set: "stdio cpath", sys: "mkdirat", ok: true},
	{set: "stdio cpath", sys: "openat", args: a(0xffffff9c, 0, oRdwr)},
	{set: "stdio cpath", sys: "openat", args: a(0xffffff9c, 0, oCreat|oRdwr, 0o644)},
	{set: "stdio wpath cpath", sys: "openat", args: a(0xffffff9c, 0, oCreat|oWronly, 0o644), ok: true},
	{set: "stdio wpath cpath", sys: "openat", args: a(0xffffff9c, 0, oCreat|oWronly, 0o4755)},
	{set: "stdio wpath cpath", sys: "creat", arch: "amd64", args: a(0, 0o644), ok: true},
	{set: "stdio cpath", sys: "creat", arch: "amd64", args: a(0, 0o644)},
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o10644, 0), ok: true}, // S_IFIFO
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o14644, 0)},           // setgid
	{set: "stdio cpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o10644, 0)},
	// dpath: FIFOs, sockets and regular files (type 0 is regular), never
	// device nodes, directories or undefined types; the kernel reads 16
	// bits of the mode, so bits above do not disguise a type.
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o644, 0), ok: true},
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o100644, 0), ok: true},
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o140755, 0), ok: true},
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o20600, 0x0103)},  // S_IFCHR (tty)
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o60600, 0x0800)},  // S_IFBLK (sda)
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o40755, 0)},       // S_IFDIR
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o30644, 0)},       // no such type
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o170644, 0)},      // S_IFMT
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o1020600, 0x103)}, // S_IFCHR | 1<<18
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o20600|1<<32, 0)}, // high half
	{set: "stdio dpath", sys: "mknodat", args: a(0xffffff9c, 0, 0o10644|1<<32, 0), ok: true},
	{set: "stdio dpath", sys: "mknod", arch: "amd64", args: a(0, 0o10600, 0), ok: true},
	{set: "stdio dpath", sys: "mknod", arch: "amd64", args: a(0, 0o60600, 0x800)},
	{set: "stdio dpath", sys: "mknod", arch: "amd64", args: a(0, 0o10600|0o4000, 0)},
	{set: "stdio rpath wpath cpath dpath fattr", sys: "mknodat", args: a(0xffffff9c, 0, 0o20600, 0x0103)},

	// inet, anet, mcast, unix, dns, route.
	{set: "stdio inet", sys: "socket", args: a(afInet, sockStream|sockNonblock|sockCloexec, 0), ok: true},
	{set: "stdio inet", sys: "socket", args: a(afInet6, sockDgram, ipprotoUDP), ok: true},
	{set: "stdio inet", sys: "socket", args: a(afInet, sockDgram, ipprotoICMP), ok: true},
	{set: "stdio inet", sys: "socket", args: a(afInet6, sockDgram, ipprotoICMPv6), ok: true},
	{set: "stdio inet", sys: "socket", args: a(afInet, sockRaw, ipprotoICMP)},
	{set: "stdio inet", sys: "socket", args: a(afInet, sockStream, ipprotoUDP)},
	{set: "stdio inet", sys: "socket", args: a(afNetlink, sockRaw, netlinkRoute)},
	{set: "stdio inet", sys: "socket", args: a(afNetlink|1<<32, sockRaw, netlinkRoute)}, // W32: still AF_NETLINK
	{set: "stdio inet", sys: "socket", args: a(afUnix, sockStream, 0)},
	{set: "stdio inet", sys: "connect", ok: true},
	{set: "stdio inet", sys: "sendmsg", ok: true},
	{set: "stdio inet", sys: "setsockopt", args: a(3, ipprotoTCP, 4 /* TCP_KEEPIDLE */), ok: true},
	{set: "stdio inet", sys: "setsockopt", args: a(3, ipprotoIPv6, 26 /* IPV6_V6ONLY */), ok: true},
	{set: "stdio inet", sys: "setsockopt", args: a(3, ipprotoTCP, 19 /* TCP_REPAIR */)},
	{set: "stdio inet", sys: "getsockopt", args: a(3, ipprotoIP, 4 /* IP_OPTIONS */), ok: true}, // reading, as OpenBSD
	{set: "stdio inet", sys: "setsockopt", args: a(3, ipprotoIP, 4 /* IP_OPTIONS */)},
	{set: "stdio", sys: "getsockopt", args: a(3, ipprotoIP, 4 /* IP_OPTIONS */)},
	// renameat2 without RENAME_WHITEOUT (a 0:0 character device).
	{set: "stdio cpath", sys: "renameat2", args: a(3, 0, 3, 0, 1 /* RENAME_NOREPLACE */), ok: true},
	{set: "stdio cpath", sys: "renameat2", args: a(3, 0, 3, 0, renameWhiteout)},
	{set: "stdio cpath", sys: "renameat2", args: a(3, 0, 3, 0, renameWhiteout|1)},
	{set: "stdio inet", sys: "setsockopt", args: a(3, ipprotoIP, 19 /* IP_TRANSPARENT */)},
	{set: "stdio inet", sys: "setsockopt", args: a(3, solSocket, 26 /* SO_ATTACH_FILTER */)},
	{set: "stdio inet", sys: "setsockopt", args: a(3, ipprotoIP, 3 /* IP_HDRINCL */)},
	{set: "stdio inet", sys: "setsockopt", args: a(3, ipprotoIP, 35 /* IP_ADD_MEMBERSHIP */)},
	{set: "stdio inet", sys: "ioctl", args: a(3, siocatmark), ok: true},
	{set: "stdio inet mcast", sys: "setsockopt", args: a(3, ipprotoIP, 35), ok: true},
	{set: "stdio inet mcast", sys: "setsockopt", args: a(3, ipprotoIPv6, 20 /* IPV6_ADD_MEMBERSHIP */), ok: true},
	{set: "stdio mcast", sys: "setsockopt", args: a(3, ipprotoIP, 35)}, // mcast needs inet
	{set: "stdio anet", sys: "socket", args: a(afInet6, sockStream, 0), ok: true},
	{set: "stdio anet", sys: "accept4", ok: true},
	{set: "stdio anet", sys: "socket", args: a(afInet, sockDgram, 0)},
	{set: "stdio anet", sys: "connect"},
	{set: "stdio anet", sys: "sendto", args: a(3, 0, 1, 0x20000000 /* MSG_FASTOPEN */, 0x7fff0000, 16)},
	{set: "stdio unix", sys: "socket", args: a(afUnix, sockSeqpacket|sockCloexec, 0), ok: true},
	{set: "stdio unix", sys: "connect", ok: true},
	{set: "stdio unix", sys: "getsockopt", args: a(3, solSocket, 17 /* SO_PEERCRED */), ok: true},
	{set: "stdio unix", sys: "socket", args: a(afInet, sockStream, 0)},
	{set: "stdio unix", sys: "sendmsg"},
	{set: "stdio dns", sys: "socket", args: a(afInet, sockDgram|sockCloexec, 0), ok: true},
	{set: "stdio dns", sys: "connect", ok: true},
	{set: "stdio dns", sys: "sendmmsg", ok: true},
	{set: "stdio dns", sys: "listen"},
	{set: "stdio dns", sys: "socket", args: a(afInet, sockDgram, ipprotoICMP)},
	{set: "stdio dns", sys: "openat", args: a(0xffffff9c, 0, oRdonly)},
	{set: "stdio route", sys: "socket", args: a(afNetlink, sockRaw|sockCloexec, netlinkRoute), ok: true},
	{set: "stdio route", sys: "socket", args: a(afNetlink|1<<32, sockRaw, netlinkRoute), ok: true},
	{set: "stdio route", sys: "socket", args: a(afNetlink, sockRaw, 9 /* NETLINK_AUDIT */)},
	{set: "stdio route", sys: "ioctl", args: a(3, siocgifindex), ok: true},
	{set: "stdio route", sys: "ioctl", args: a(3, 0x8934 /* SIOCSIFFLAGS */)},

	// fattr, chown, flock.
	{set: "stdio fattr", sys: "fchmodat", args: a(0xffffff9c, 0, 0o644), ok: true},
	{set: "stdio fattr", sys: "fchmod", args: a(3, 0o755|1<<32), ok: true}, // W32
	{set: "stdio fattr", sys: "fchmod", args: a(3, 0o4755)},
	{set: "stdio fattr", sys: "fchmodat2", args: a(0xffffff9c, 0, 0o1777, 0)},
	{set: "stdio fattr", sys: "utimensat", ok: true},
	// xattrs: EOPNOTSUPP under fattr (the name, security.capability
	// included, cannot be read), denied without it, allowed by nothing.
	{set: "stdio fattr", sys: "setxattr", ok: true, errno: eOPNOTSUPP},
	{set: "stdio fattr", sys: "fsetxattr", ok: true, errno: eOPNOTSUPP},
	{set: "stdio fattr", sys: "lremovexattr", ok: true, errno: eOPNOTSUPP},
	{set: "stdio fattr", sys: "setxattrat", ok: true, errno: eOPNOTSUPP},
	{set: "stdio rpath wpath cpath fattr chown", sys: "fremovexattr", ok: true, errno: eOPNOTSUPP},
	{set: "stdio rpath wpath cpath", sys: "setxattr"},
	{set: "stdio rpath", sys: "fgetxattr", ok: true},
	{set: "stdio fattr", sys: "fchown", args: a(3, 1000, 1000)},
	{set: "stdio chown", sys: "fchownat", ok: true},
	{set: "stdio chown", sys: "fchmod", args: a(3, 0o644)},
	{set: "stdio flock", sys: "flock", ok: true},
	{set: "stdio flock", sys: "fcntl", args: a(3, fOFDSetlkw, 0), ok: true},
	{set: "stdio", sys: "flock"},
	{set: "stdio flock", sys: "fcntl", args: a(3, 1024 /* F_SETLEASE */, 1)},

	// sendfd, recvfd.
	{set: "stdio sendfd", sys: "sendmsg", ok: true},
	{set: "stdio sendfd", sys: "recvmsg"},
	{set: "stdio recvfd", sys: "recvmsg", ok: true},
	{set: "stdio recvfd", sys: "recvmmsg", ok: true},
	{set: "stdio recvfd", sys: "sendmsg"},

	// tty.
	{set: "stdio tty", sys: "ioctl", args: a(0, tcsetsw), ok: true},
	{set: "stdio tty", sys: "ioctl", args: a(0, tiocgwinsz), ok: true},
	{set: "stdio tty", sys: "ioctl", args: a(0, tiocsti)},
	{set: "stdio tty", sys: "ioctl", args: a(0, tioclinux)},
	{set: "stdio tty", sys: "ioctl", args: a(0, tiocspgrp)},
	{set: "stdio tty proc", sys: "ioctl", args: a(0, tiocspgrp), ok: true},

	// proc, exec, prot_exec.
	{set: "stdio proc", sys: "clone", args: a(0x5111), ok: true},
	{set: "stdio proc", sys: "clone", args: a(0x1000011), ok: true},
	{set: "stdio proc", sys: "clone", args: a(0x11 | cloneNewUser)},
	{set: "stdio proc", sys: "clone", args: a(0x11 | cloneNewNet)},
	{set: "stdio proc", sys: "fork", arch: "amd64", ok: true},
	{set: "stdio proc", sys: "kill", args: a(1234, 15), ok: true},
	{set: "stdio proc", sys: "prlimit64", args: a(0, 7, 0x1000, 0), ok: true},
	{set: "stdio proc", sys: "fcntl", args: a(3, fSetown, 1), ok: true},
	{set: "stdio proc", sys: "execve"},
	{set: "stdio proc", sys: "setuid"},
	{set: "stdio exec", sys: "execve", ok: true},
	{set: "stdio exec", sys: "mmap", args: a(0, 4096, protRead|protExec, 0x802 /* MAP_PRIVATE|MAP_DENYWRITE */, 3, 0), ok: true},
	{set: "stdio exec", sys: "mmap", args: a(0, 4096, protExec, 0x12 /* MAP_PRIVATE|MAP_FIXED */, 3, 0), ok: true},
	{set: "stdio exec", sys: "mmap", args: a(0, 4096, protRead|protWrite|protExec, 0x02, 3, 0)},
	{set: "stdio exec", sys: "mmap", args: a(0, 4096, protRead|protExec, 0x22 /* anonymous */, ^uint64(0), 0)},
	{set: "stdio exec", sys: "mprotect", args: a(0, 4096, protRead|protExec)},
	{set: "stdio prot_exec", sys: "mmap", args: a(0, 4096, 7, 0x22, ^uint64(0), 0), ok: true},
	{set: "stdio prot_exec", sys: "mprotect", args: a(0, 4096, protRead|protExec), ok: true},
	{set: "stdio prot_exec", sys: "execve"},

	// settime, id, unveil.
	{set: "stdio settime", sys: "clock_settime", ok: true},
	{set: "stdio settime", sys: "setuid"},
	{set: "stdio", sys: "settimeofday"},
	{set: "stdio id", sys: "setresuid", ok: true},
	{set: "stdio id", sys: "prctl", args: a(prCapAmbient, 2), ok: true},
	{set: "stdio id", sys: "clock_settime"},
	// Landlock only narrows: every set, the empty one too, may use it.
	{set: "", sys: "landlock_create_ruleset", args: a(0, 0, 1), ok: true},
	{set: "", sys: "landlock_add_rule", ok: true},
	{set: "stdio", sys: "landlock_restrict_self", ok: true},
	{set: "stdio unveil", sys: "openat", args: a(0xffffff9c, 0, 0o10000000 /* O_PATH */)},

	// Promises without system calls on Linux.
	{set: "stdio error getpw vminfo ps audio", sys: "openat", args: a(0xffffff9c, 0, oRdonly)},
	{set: "stdio error getpw vminfo ps audio", sys: "unlinkat"},
}

func TestDecideExamples(t *testing.T) {
	for _, e := range allowedAndDenied {
		s := MustParse(e.set)
		arches := []string{"amd64", "arm64"}
		if e.arch != "" {
			arches = []string{e.arch}
		}
		for _, arch := range arches {
			r, ok := DecideFor(s, e.pid, arch, e.sys, e.args)
			if ok != e.ok {
				t.Errorf("Decide(%q, %s, %s%v) ok = %v, want %v (rule %+v)", e.set, arch, e.sys, e.args, ok, e.ok, r)
				continue
			}
			if !ok {
				if r.Syscall != "" {
					t.Errorf("Decide(%q, %s, %s) denied but returned rule %+v", e.set, arch, e.sys, r)
				}
				continue
			}
			if r.Syscall != e.sys || !r.MatchFor(e.args, e.pid) || !r.AppliesTo(arch) || !r.AppliesWith(s) {
				t.Errorf("Decide(%q, %s, %s%v) returned a rule that does not fit: %+v", e.set, arch, e.sys, e.args, r)
			}
			switch {
			case e.errno != 0 && (r.Action != Errno || r.Errno != e.errno):
				t.Errorf("Decide(%q, %s, %s) = %+v, want errno %d", e.set, arch, e.sys, r, e.errno)
			case e.errno == 0 && r.Action != Allow:
				t.Errorf("Decide(%q, %s, %s) = %+v, want Allow", e.set, arch, e.sys, r)
			}
		}
	}
}

// TestExamplesCoverPromises makes sure every promise that grants system
// calls has an allowed example that needs it (the call is denied without
// the promise) and a denied example under a set that holds it.
func TestExamplesCoverPromises(t *testing.T) {
	for _, p := range All() {
		if Rules(p) == nil {
			continue
		}
		var allowed, denied bool
		for _, e := range allowedAndDenied {
			s := MustParse(e.set)
			if !s.Has(p) {
				continue
			}
			arch := e.arch
			if arch == "" {
				arch = "amd64"
			}
			if !e.ok {
				denied = true
				continue
			}
			if e.errno == 0 {
				if _, ok := DecideFor(s.Without(p), e.pid, arch, e.sys, e.args); !ok {
					allowed = true
				}
			}
		}
		if !allowed || !denied {
			t.Errorf("%v: needs an allowed example that depends on it (%v) and a denied one (%v)", p, allowed, denied)
		}
	}
}

func TestBaseline(t *testing.T) {
	b := Baseline()
	var names []string
	for _, r := range b {
		names = append(names, r.Syscall)
		if r.Arch != "" || r.Also != 0 {
			t.Errorf("baseline rule %+v is arch- or set-dependent", r)
		}
	}
	for _, want := range []string{"exit", "exit_group", "rt_sigreturn", "clone3", "openat2", "socket"} {
		if !slices.Contains(names, want) {
			t.Errorf("baseline lacks %s", want)
		}
	}
	// Everything the empty set allows comes from the baseline.
	for _, sys := range []string{"read", "write", "mmap", "futex", "openat", "close"} {
		if _, ok := Decide(0, "amd64", sys, a()); ok {
			t.Errorf("empty set allows %s", sys)
		}
	}
	b[0].Syscall = "mutated"
	b[3].Args = append(b[3].Args, Cond{})
	if Baseline()[0].Syscall == "mutated" {
		t.Error("Baseline returns shared storage")
	}
}

func TestRulesCopy(t *testing.T) {
	r := Rules(Stdio)
	if len(r) == 0 {
		t.Fatal("stdio has no rules")
	}
	var withArgs int
	for i := range r {
		if len(r[i].Args) > 0 {
			withArgs = i
			r[i].Args[0].Value = 12345
			break
		}
	}
	r[0].Syscall = "mutated"
	again := Rules(Stdio)
	if again[0].Syscall == "mutated" || again[withArgs].Args[0].Value == 12345 {
		t.Error("Rules returns shared storage")
	}
	if Rules(Promise(200)) != nil || Syscalls(Promise(200)) != nil {
		t.Error("out-of-range promise has rules")
	}
}

func TestAllowing(t *testing.T) {
	cases := []struct {
		sys  string
		args [6]uint64
		want string
	}{
		{"read", a(), "stdio"},
		{"connect", a(), "inet unix dns"},
		{"sendmsg", a(), "inet dns sendfd"},
		{"openat", a(0, 0, oRdonly), "rpath"},
		{"openat", a(0, 0, oRdwr), "wpath"},               // owner; Also rpath
		{"openat", a(0, 0, oRdwr|oCreat, 0o600), "cpath"}, // owner; Also rpath wpath
		{"openat", a(0, 0, oRdwr|oCreat, 0o6600), ""},     // setuid never
		{"openat", a(0, 0, oAccmode), ""},                 // O_ACCMODE 3
		{"clone", a(0x5111), "proc"},
		{"clone", a(0xd0f00), "stdio proc"},
		{"clone", a(0x11 | cloneNewPID), ""},
		{"mmap", a(0, 1, protRead|protExec, 0x22), "prot_exec"},
		{"mmap", a(0, 1, protRead|protExec, 0x02, 3), "exec prot_exec"},
		{"mmap", a(0, 1, protRead, 0x22), "stdio prot_exec"},
		{"ioctl", a(0, tiocsti), ""},
		{"ioctl", a(0, tcgets), "stdio tty"},
		{"ioctl", a(0, tiocspgrp), "tty"},
		{"setsockopt", a(3, ipprotoIP, 35), "mcast"},
		{"socket", a(afInet, sockStream, ipprotoMPTCP), ""}, // an Errno rule, not an Allow
		{"clone3", a(), ""},
		{"ptrace", a(), ""},
		{"landlock_add_rule", a(), ""}, // the baseline's, no promise's
	}
	for _, c := range cases {
		for _, arch := range []string{"amd64", "arm64"} {
			got := Of(Allowing(arch, c.sys, c.args)...).String()
			if got != c.want {
				t.Errorf("Allowing(%s, %s%v) = %q, want %q", arch, c.sys, c.args, got, c.want)
			}
		}
	}
	// pledgenames order.
	ps := Allowing("amd64", "bind", a())
	if !slices.IsSorted(ps) || len(ps) < 3 {
		t.Errorf("Allowing(bind) = %v", ps)
	}
}

func TestRequirements(t *testing.T) {
	cases := []struct {
		sys  string
		args [6]uint64
		want []string
	}{
		{"openat", a(0, 0, oRdwr|oCreat, 0o600), []string{"rpath wpath cpath"}},
		{"openat", a(0, 0, oWronly|oCreat|oTrunc, 0o600), []string{"wpath cpath"}},
		{"openat", a(0, 0, oRdonly|oTrunc), []string{"rpath wpath"}},
		{"openat", a(0, 0, oWronly|oTmpfileB|0o200000, 0o600), []string{"wpath cpath"}},
		{"ioctl", a(0, tiocspgrp), []string{"tty proc"}},
		{"setsockopt", a(3, ipprotoIP, 35), []string{"inet mcast"}},
		{"connect", a(), []string{"inet", "unix", "dns"}},
		{"clone", a(0xd0f00), []string{"stdio", "proc"}},
		{"ptrace", a(), nil},
	}
	for _, c := range cases {
		var got []string
		for _, s := range Requirements("amd64", c.sys, c.args) {
			got = append(got, s.String())
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Requirements(%s%v) = %q, want %q", c.sys, c.args, got, c.want)
		}
		// Each requirement is sufficient.
		for _, s := range Requirements("amd64", c.sys, c.args) {
			if r, ok := Decide(s, "amd64", c.sys, c.args); !ok || r.Action != Allow {
				t.Errorf("Requirements(%s) gave %v, but Decide under it = %+v, %v", c.sys, s, r, ok)
			}
		}
	}
}

func TestSyscalls(t *testing.T) {
	for _, p := range All() {
		names := Syscalls(p)
		if !slices.IsSorted(names) || len(slices.Compact(slices.Clone(names))) != len(names) {
			t.Errorf("%v: Syscalls not sorted and unique: %v", p, names)
		}
		if (len(names) == 0) != (Rules(p) == nil) {
			t.Errorf("%v: %d syscalls but rules %v", p, len(names), Rules(p) != nil)
		}
	}
	for p, want := range map[Promise][]string{
		Stdio: {"read", "write", "mmap", "futex", "clone", "tgkill", "epoll_pwait", "getrandom"},
		Rpath: {"openat", "newfstatat", "getdents64", "readlinkat"},
		Proc:  {"clone", "kill", "fork", "pidfd_open"},
		Exec:  {"execve", "execveat", "mmap"},
	} {
		for _, w := range want {
			if !slices.Contains(Syscalls(p), w) {
				t.Errorf("Syscalls(%v) lacks %s", p, w)
			}
		}
	}
}

func TestRuleString(t *testing.T) {
	for _, c := range []struct {
		r    Rule
		want string
	}{
		{Rule{Syscall: "read"}, "read"},
		{errnoRule("clone3", eNOSYS), "clone3 -> errno 38"},
		{Rule{Syscall: "openat", Args: []Cond{masked(2, openMask, oRdwr)}, Also: Of(Rpath)}, "openat(arg2 & 0x400243 == 0x2) [also rpath]"},
		{Rule{Syscall: "sendto", Args: []Cond{eq64(4, 0)}, Arch: "arm64"}, "sendto(arg4 == 0x0) on arm64"},
		{rule("setsockopt", eq(1, 6), eq(2, 1)), "setsockopt(arg1 == 0x6 && arg2 == 0x1)"},
	} {
		if got := c.r.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}
