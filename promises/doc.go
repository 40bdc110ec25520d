// Package promises is pledgekit's vocabulary: the promise names OpenBSD's
// pledge(2) (and Cosmopolitan's Linux port) accept, a parser that reads
// promise strings exactly as OpenBSD does, and the declarative table that
// maps each promise to the Linux system calls, with argument conditions,
// that it allows.
//
// The package is pure data and lookup: it never calls the kernel and works
// the same on every host. Syscalls are named with the kernel's own names
// ("newfstatat", "pread64"); the table lists names of both amd64 and arm64,
// and a name an architecture lacks (open, stat, fork, dup2, epoll_wait on
// arm64) is simply skipped there by the filter compiler, which resolves names
// with package syscalls.
//
// # Parsing
//
// Parse follows OpenBSD: words are separated by spaces (runs of spaces and
// trailing spaces are fine), a leading space, a tab or any other unknown or
// differently cased word is an error naming the word, duplicates are
// harmless, "" is the empty set, and strings longer than MaxLen bytes are
// refused. Every name either system accepts parses, including promises that
// mean nothing on Linux (see below) and "tmppath", which OpenBSD removed in
// 2026.
//
// # The table and its semantics
//
// Rules(p) lists what promise p allows; Baseline() what every set allows,
// the empty set included. A Rule allows one syscall when all its Args
// conditions hold; several rules for the same syscall are alternatives. A
// rule whose Also is not empty applies only when those promises are pledged
// as well: that is how "requires all of" is written (an open with
// O_CREAT|O_RDWR is owned by cpath with Also = rpath wpath). Errno rules
// answer a call with an errno instead of allowing it; among the rules that
// apply to a call, Errno rules are considered before Allow rules. Decide is
// the reference implementation of these semantics, which the filter
// compiler must reproduce exactly; Allowing and Requirements answer the
// reverse question for violation messages and documentation.
//
// Conditions on int-typed arguments (flags, modes, domains, commands) look
// at the low 32 bits only (Width W32), as the kernel does: a filter that
// compared all 64 bits could be bypassed with socket(AF_NETLINK|1<<32, ...).
// Pointers and sizes are compared on all 64 bits (W64). Every constant the
// table examines has the same value on amd64 and arm64; the flags whose
// values differ (O_DIRECTORY, O_NOFOLLOW, O_DIRECT, O_LARGEFILE, hence
// O_TMPFILE) are never examined, so no rule needs Rule.Arch.
//
// Always, whatever the promises: exit, exit_group and rt_sigreturn are
// allowed; clone3 and openat2 fail with ENOSYS, because their flags are in
// user memory a seccomp filter cannot read and ENOSYS makes glibc and other
// runtimes fall back to clone and openat, which the table does check;
// socket(..., IPPROTO_MPTCP) fails with EPROTONOSUPPORT, because Landlock's
// TCP port rules do not see MPTCP and Go's net.Listen then falls back to
// plain TCP.
//
// # What each promise means on Linux
//
// Describe(p) summarises every promise. The file-opening rules are decided
// by the open flags alone: O_RDONLY needs rpath, O_WRONLY needs wpath,
// O_RDWR needs rpath and wpath (as on OpenBSD), O_TRUNC needs wpath, O_CREAT
// and O_TMPFILE need cpath together with what the access mode needs, so
// cpath alone never opens an existing file. Creating opens, the chmod family
// and mknod are refused when the mode has setuid, setgid or sticky bits.
// dpath's mknod makes FIFOs, sockets and regular files only: device nodes
// (S_IFCHR, S_IFBLK) are refused under every promise, so root with
// CAP_MKNOD cannot make a block device of a disk either. Setting and
// removing extended attributes is allowed by no promise: seccomp cannot
// read the attribute's name, and root could set security.capability (file
// capabilities an exec outside the sandbox would honour), security.* or
// trusted.*. OpenBSD has no extended attributes; on Linux fattr answers
// setxattr, removexattr and their variants with EOPNOTSUPP, as a file
// system without them would, so copying programs carry on. Reading them
// (getxattr, listxattr) is rpath.
//
// Everything the Go runtime needs once main runs is in stdio. This was
// measured, not guessed: promises/internal/inventory straces a program that
// runs goroutines, GC, timers, the network poller on a pipe, crypto/rand, a
// file read and os/exec, built with and without cgo, and checks every call
// after its pledge point against "stdio rpath proc exec".
//
// # Differences from OpenBSD, and holes
//
// seccomp sees numbers and registers, never paths or memory, so:
//
//   - Paths are not checked. rpath allows opening any file for reading; only
//     unveil (Landlock) narrows which. OpenBSD's whitelist of files stdio,
//     dns, getpw and tty may open without rpath (/dev/null, /etc/resolv.conf,
//     /etc/localtime, /etc/passwd, /dev/tty, ...) cannot exist: on Linux
//     opening them needs rpath (or wpath), and ImpliedPaths lists them so a
//     pledge combined with unveil keeps them reachable. In particular Go's
//     resolver reads /etc/resolv.conf and /etc/hosts, so "dns" programs
//     also need rpath, and getpw and vminfo grant no system calls at all.
//   - Go's standard library opens some files lazily, often after a program
//     has pledged: the first use of time.Local reads /etc/localtime (and
//     time.LoadLocation the zoneinfo database), crypto/x509 reads the
//     system roots at the first certificate verification, net the resolver
//     files at the first lookup, os/user /etc/passwd. These opens need rpath
//     on Linux; alternatively trigger them before pledging (for example
//     time.Local.String() loads the local zone).
//   - Landlock does not control metadata changes (chmod, chown, utimes)
//     or stat, so fattr, chown and rpath's stat are limited by DAC
//     only, even with unveil; nor inotify watches.
//   - Signals: stdio signals the caller itself and its own process group,
//     as on OpenBSD: kill(0, sig), kill(getpid(), sig), tgkill(getpid(),
//     any tid, sig) (the Go runtime's preemption, glibc's raise and
//     pthread_kill) and tkill(getpid(), sig) (the main thread; musl's
//     raise there). Another process needs proc. The pid is not in the
//     table: the rules say "the caller's pid" (Cond.Self) and a filter is
//     built for one pid (filter.Spec.Pid, DecideFor). A forked child keeps
//     its parent's filter, built for the parent's pid; that is harmless
//     because forking needs proc, which signals any pid, and a child that
//     pledges gets a layer built for its own pid (pledge.Command's helper
//     does). Two differences stay: tkill names a thread without its
//     process, so tkill of another thread of the caller needs proc (musl's
//     raise and abort on a thread other than the main one), except signal
//     33 (SIGRTMIN+1), which stdio allows to any thread because libpsx
//     (go-landlock in cgo builds, and so a commit of unveils under a
//     pledge) makes every thread run a system call that way: a process
//     that does not handle signal 33 (glibc and Go programs do) can be
//     killed with it. Landlock's signal scope (ABI 6) closes both.
//   - fstat: glibc 2.33+ and musl implement fstat as newfstatat(fd, "",
//     AT_EMPTY_PATH), statx likewise, so stdio allows both with
//     AT_EMPTY_PATH on a descriptor (dirfd >= 0; never AT_FDCWD). seccomp
//     cannot see that the path is empty: with an absolute path, or one
//     relative to a directory descriptor, the call reads the metadata
//     (never the contents) of any file the kernel lets it look up, without
//     rpath, and Landlock does not govern stat either. The Hole StatByPath
//     names the sets (Holes); package pledge reports them as partial.
//   - Landlock: landlock_create_ruleset, landlock_add_rule and
//     landlock_restrict_self are in the baseline, under every promise set:
//     like seccomp(2) they can only narrow what the process may do, and
//     programs that use Landlock themselves (go-landlock) must keep
//     working under a pledge. The unveil promise therefore adds no system
//     call on Linux.
//   - Device nodes: no promise makes them. renameat2 is cpath's only
//     without RENAME_WHITEOUT, which leaves a 0:0 character device (an
//     overlayfs whiteout, root only) in the old name's place.
//   - Socket options and fcntl: setsockopt SO_SNDBUFFORCE/SO_RCVBUFFORCE
//     (CAP_NET_ADMIN) and fcntl F_SETPIPE_SZ (no OpenBSD equivalent) fail
//     with EPERM under stdio instead of ending the process, as they would
//     for an unprivileged caller; inet and anet may read (not set)
//     IP_OPTIONS, IP_HDRINCL, SO_BINDTODEVICE, SO_MARK and SO_COOKIE.
//     prctl(PR_SET_DUMPABLE, 0) is stdio's (it only gives up rights).
//   - sendmsg/recvmsg cannot be inspected, so descriptor passing cannot be
//     told from ordinary messages. sendfd grants sendmsg/sendmmsg and recvfd
//     grants recvmsg/recvmmsg; inet grants all four (for UDP ancillary data)
//     and dns the send half (glibc's resolver uses sendmmsg), so a process
//     holding inet or dns and any AF_UNIX socket (socketpair is stdio) can
//     pass descriptors. Directory descriptors are not refused.
//   - Unix datagrams without "unix": socketpair(AF_UNIX, SOCK_DGRAM) is
//     stdio, and the addressed sendto of inet, dns and route (and sendfd's
//     sendmsg) works on such a socket too, so those promises reach any
//     unix datagram socket by path (/dev/log, notify sockets) that file
//     permissions allow. The Hole UnixDatagramsByPath tells which sets;
//     package pledge reports them as partial. Only Landlock ABI 9 (unveil)
//     closes it.
//   - Socket addresses cannot be checked: inet reaches every host and port,
//     and dns, which on OpenBSD only works on libc's SOCK_DNS sockets, is
//     TCP and UDP to any host (without listen/accept). Landlock can restrict
//     TCP ports. anet (from Cosmopolitan) is TCP serving only: no connect,
//     no UDP, no addressed sendto (TCP fast open would connect).
//   - glibc's getaddrinfo (Go's cgo resolver) opens a NETLINK_ROUTE socket
//     to sort addresses; that needs route, or it fails and glibc carries on
//     when the penalty is an errno. Go's own resolver does not.
//   - route allows NETLINK_ROUTE sockets and SIOCGIF* queries; netlink cannot
//     tell reads from writes, so a process with CAP_NET_ADMIN can change
//     routes too. wroute means nothing more on Linux.
//   - ioctl requests are checked, the device is not: tty's requests work on
//     any descriptor. TIOCSTI and TIOCLINUX are never allowed.
//   - Setuid, setgid and sticky bits are refused (the call is denied) rather
//     than silently dropped as on OpenBSD. chown to one's own uid and groups,
//     which OpenBSD's fattr allows, needs chown; the kernel already limits
//     unprivileged chown to exactly that.
//   - exec: seccomp filters survive execve, so unlike OpenBSD an exec'd
//     program runs under the same promises. It must be able to start: a
//     dynamically linked C program needs rpath (ld.so.cache, libraries) and
//     exec, which allows file-backed PROT_EXEC mappings without PROT_WRITE
//     so the loader can map libraries; a Go program reads
//     /sys/kernel/mm/transparent_hugepage and cgroup files at start-up
//     (rpath) and may raise RLIMIT_NOFILE (proc). os/exec itself creates
//     the child with clone without CLONE_THREAD, so it needs "proc exec".
//     With wpath or cpath, exec lets a process write a file and map it
//     executable, as it could write a file and exec it. mprotect cannot tell
//     file-backed from anonymous memory, so mprotect with PROT_EXEC always
//     needs prot_exec.
//   - arch_prctl (amd64) is in stdio for C runtimes' thread-local storage;
//     it only affects the calling thread. seccomp(2) and
//     prctl(PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS) are in stdio so a pledged
//     process can pledge again: a new filter can only narrow.
//   - vDSO calls (clock_gettime, gettimeofday, getcpu, getrandom's fast
//     path) never reach seccomp; they work under every promise set.
//   - Not covered by the table, and the compiler's job: the architecture
//     check (i386 calls on amd64 arrive with another AUDIT_ARCH) and x32
//     calls (numbers with X32SyscallBit) must be refused outright.
//
// # Promises that mean nothing on Linux
//
// audio, bpf, disklabel, drm, pf, ps, tape, video, vmm and wroute are
// accepted so that OpenBSD promise strings parse, grant nothing, and
// Describe reports Linux == false for them; a Report should list them as
// having no effect. tmppath was removed from OpenBSD in 2026 (its pledge(2)
// answers EINVAL) and Parse refuses it (ErrRemoved) with what to use
// instead: "rpath wpath cpath" and an unveil of the temporary directory
// with "rwc". Granting it silently would leave programs that rely on it
// to die at their first temporary file. ps would need all of /proc,
// including other processes' files, so it is not mapped. error grants no
// system calls but changes the penalty: a call no promise allows fails with
// ENOSYS instead of killing the process; the pledge package implements it.
// Since it grants nothing, an execpromises with error is never wider than
// promises without it (Set.Beyond).
package promises
