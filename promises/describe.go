package promises

// Info describes a promise.
type Info struct {
	Name string
	// Linux is false for OpenBSD-only promises: they are accepted so that
	// promise strings written for OpenBSD parse, but grant nothing on Linux.
	Linux bool
	// Grants is true when the promise allows system calls of its own on
	// Linux (Rules(p) is not empty). A promise with Linux true and Grants
	// false acts through ImpliedPaths (files reachable under unveil) or
	// the penalty ("error") only.
	Grants bool
	// Summary says in one or two sentences what the promise allows on Linux
	// and how that differs from OpenBSD.
	Summary string
}

var infos = [numPromises]Info{
	Stdio: {Linux: true, Summary: "The basic runtime: memory without PROT_EXEC, threads, futexes, time, signals " +
		"to the caller itself and its own process group (other processes need proc), I/O on descriptors " +
		"already held, fstat (newfstatat/statx with AT_EMPTY_PATH on a descriptor, which also reaches the " +
		"metadata of absolute paths), pipes, polling, socketpair(AF_UNIX), sendto without an address, wait, " +
		"getrandom, and narrow fcntl/ioctl/prctl/sockopt subsets. Opening files is not part of it."},
	Rpath: {Linux: true, Summary: "Read-only path operations: open for reading (O_RDONLY without O_TRUNC or " +
		"O_CREAT), stat, access, readlink, getdents, getcwd, chdir, statfs, reading xattrs, inotify."},
	Wpath: {Linux: true, Summary: "Open for writing (O_WRONLY; O_RDWR also needs rpath; O_TRUNC needs wpath) " +
		"and truncate(2)."},
	Cpath: {Linux: true, Summary: "Create and remove names: O_CREAT and O_TMPFILE opens (together with rpath/wpath " +
		"for the access mode, and never with setuid/setgid/sticky mode bits), creat, mkdir, rmdir, unlink, " +
		"rename, link, symlink."},
	Dpath: {Linux: true, Summary: "mknod/mknodat of FIFOs (and sockets and regular files), without " +
		"setuid/setgid/sticky mode bits. Never device nodes (S_IFCHR, S_IFBLK), even for root."},
	Tmppath: {Linux: false, Summary: "Removed from OpenBSD in 2026 (EINVAL there); Parse refuses it. " +
		"Use \"rpath wpath cpath\" with unveil(os.TempDir(), \"rwc\") instead."},
	Inet: {Linux: true, Summary: "AF_INET/AF_INET6 TCP, UDP and ICMP-datagram sockets: socket, bind, listen, " +
		"accept, connect, addressed sendto, sendmsg/recvmsg, a list of SOL_SOCKET/TCP/IP/IPv6/UDP options, " +
		"SIOCATMARK. Addresses and ports cannot be restricted by seccomp (Landlock can restrict TCP ports)."},
	Mcast: {Linux: true, Summary: "Multicast socket options (IP_ADD_MEMBERSHIP, MCAST_JOIN_GROUP, ...); only " +
		"together with inet."},
	Fattr: {Linux: true, Summary: "Change file metadata: chmod family without setuid/setgid/sticky bits (denied " +
		"rather than silently dropped as on OpenBSD), utimes/utimensat. Setting and removing xattrs " +
		"fails with EOPNOTSUPP (seccomp cannot read the name, and security.capability is a file " +
		"capability); no promise allows it. chown to one's own uid and groups needs chown on Linux."},
	Chown: {Linux: true, Summary: "The chown family (chown, fchown, lchown, fchownat). The kernel still " +
		"limits unprivileged callers to their own uid and groups."},
	Flock: {Linux: true, Summary: "flock(2) and fcntl record locks (F_GETLK, F_SETLK, F_SETLKW and the " +
		"open-file-description variants)."},
	Unix: {Linux: true, Summary: "AF_UNIX stream, datagram and seqpacket sockets: socket, bind, listen, " +
		"accept, connect, addressed sendto, credential options. Passing descriptors needs sendfd/recvfd."},
	DNS: {Linux: true, Summary: "What a resolver needs: AF_INET/AF_INET6 UDP and TCP sockets, connect, bind, " +
		"sendto, sendmsg/sendmmsg. Linux has no SOCK_DNS, so dns cannot be limited to name servers or port " +
		"53, and reading /etc/resolv.conf and /etc/hosts needs rpath (see ImpliedPaths)."},
	Getpw: {Linux: true, Summary: "Grants no system calls on Linux: glibc and Go read /etc/passwd and " +
		"/etc/group with ordinary opens, which need rpath; with unveil in force the files in ImpliedPaths " +
		"are made readable."},
	Sendfd: {Linux: true, Summary: "sendmsg/sendmmsg, needed to pass descriptors (SCM_RIGHTS). seccomp cannot " +
		"inspect the message, so this allows any sendmsg; directory descriptors are not refused."},
	Recvfd: {Linux: true, Summary: "recvmsg/recvmmsg, needed to receive descriptors. seccomp cannot inspect " +
		"the message, so this allows any recvmsg."},
	Tape: {Linux: false, Summary: "OpenBSD-only (tape drive ioctls); accepted and ignored."},
	TTY: {Linux: true, Summary: "Terminal ioctls: get/set termios and window size, break, flush, process " +
		"group (TIOCSPGRP also needs proc), controlling terminal, pty allocation ioctls. Never TIOCSTI or " +
		"TIOCLINUX. Opening /dev/tty needs rpath/wpath (see ImpliedPaths)."},
	Proc: {Linux: true, Summary: "Create and control processes: fork, vfork, clone without CLONE_THREAD (no " +
		"namespaces, no tracing), kill, tgkill, tkill and sigqueue to any process, pidfds, setsid/setpgid, priorities, " +
		"scheduler settings, setrlimit/prlimit64, F_SETOWN, PR_SET_PDEATHSIG. os/exec needs \"proc exec\"."},
	Exec: {Linux: true, Summary: "execve/execveat, and file-backed PROT_EXEC mappings without PROT_WRITE so " +
		"exec'd dynamically linked programs can load their libraries. Unlike OpenBSD, the new program " +
		"stays under this process's filter (seccomp survives execve)."},
	ProtExec: {Linux: true, Summary: "mmap/mprotect/pkey_mprotect with any protection, PROT_EXEC included " +
		"(JIT compilers, executable anonymous memory)."},
	Settime: {Linux: true, Summary: "settimeofday, clock_settime, clock_adjtime, adjtimex (the kernel still " +
		"requires CAP_SYS_TIME to change the time)."},
	PS: {Linux: false, Summary: "OpenBSD-only (process-listing sysctls); accepted and ignored. On Linux " +
		"read /proc with rpath (and unveil /proc)."},
	Vminfo: {Linux: true, Summary: "Grants no system calls on Linux; with unveil in force it makes the /proc " +
		"and /sys statistics files in ImpliedPaths readable (opening them needs rpath)."},
	ID: {Linux: true, Summary: "Change credentials and limits: set*uid/set*gid, setgroups, capset, " +
		"setrlimit/prlimit64, priorities, PR_SET_KEEPCAPS, ambient capabilities, securebits."},
	PF: {Linux: false, Summary: "OpenBSD-only (pf(4) ioctls); accepted and ignored."},
	Route: {Linux: true, Summary: "Read network configuration: AF_NETLINK NETLINK_ROUTE sockets (Go's " +
		"net.Interfaces) and SIOCGIF* ioctls. Netlink cannot tell reads from writes: a process with " +
		"CAP_NET_ADMIN can also change routes."},
	Wroute: {Linux: false, Summary: "OpenBSD-only (changing interface addresses and routing tables); " +
		"accepted and ignored. On Linux this needs CAP_NET_ADMIN and route's netlink socket."},
	Audio: {Linux: false, Summary: "OpenBSD-only (audio(4) ioctls); accepted and ignored."},
	Video: {Linux: false, Summary: "OpenBSD-only (video(4) ioctls; Linux V4L2 numbers differ); accepted and " +
		"ignored."},
	BPF: {Linux: false, Summary: "OpenBSD-only (bpf(4) statistics ioctl, unrelated to Linux eBPF); accepted " +
		"and ignored."},
	Unveil: {Linux: true, Summary: "Allows unveil calls in package pledge. Grants no system calls: the " +
		"Landlock calls (landlock_create_ruleset, landlock_add_rule, landlock_restrict_self) only narrow, " +
		"so every promise set has them, as seccomp(2) is stdio's."},
	Error: {Linux: true, Summary: "Grants no system calls: it changes the penalty, so that a call no promise " +
		"allows fails with ENOSYS instead of killing the process."},
	Disklabel: {Linux: false, Summary: "OpenBSD-only (disklabel ioctls); accepted and ignored."},
	DRM:       {Linux: false, Summary: "OpenBSD-only (DRM ioctls); accepted and ignored."},
	VMM:       {Linux: false, Summary: "OpenBSD-only (vmm(4) ioctls); accepted and ignored."},
	Anet: {Linux: true, Summary: "Cosmopolitan's server-only network promise: AF_INET/AF_INET6 TCP sockets " +
		"with bind, listen and accept, but no connect, no UDP and no addressed sendto."},
}

// Describe returns what p means on Linux. An out-of-range p yields an Info
// with only Name set.
func Describe(p Promise) Info {
	if p >= numPromises {
		return Info{Name: p.String()}
	}
	i := infos[p]
	i.Name = p.String()
	i.Grants = len(table[p]) > 0
	return i
}
