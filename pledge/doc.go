// Package pledge is OpenBSD's pledge(2) for Go programs on Linux, built on
// seccomp-bpf.
//
//	if err := pledge.Pledge("stdio rpath", ""); err != nil {
//		log.Fatal(err)
//	}
//	os.ReadFile("/etc/hostname")            // allowed by rpath
//	net.Dial("tcp", "192.0.2.1:80")         // ends the process:
//
//	pledge: denied socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 0) [syscall 41] in app[4242]:
//	needs promise "inet" (or "dns" or "anet") (pledged: "stdio rpath"); killing the process
//
// Pledge, PledgePromises and PledgeExecpromises have the signatures of
// golang.org/x/sys/unix's OpenBSD functions; on OpenBSD they call them, on
// other systems they fail with ErrUnsupported. Apply makes the same request
// with Options (the penalty, and which protections may be weakened on this
// kernel) and returns a report.Report of what the kernel enforces. Command
// starts a program under execpromises. Program compiles a filter without
// installing it.
//
// # Semantics
//
// Promise strings are parsed as OpenBSD parses them (package promises); an
// unknown word is an error wrapping promises.ErrUnknown and syscall.EINVAL.
// Each promise allows a group of system calls, some only with certain
// argument values (promises.Describe summarizes each; the table is in
// package promises); every other call is a violation. Only native 64-bit
// calls can be allowed: x32 calls and 32-bit calls (int 0x80) end the
// process.
//
// The filter covers every thread: no_new_privs is set, and the filter is
// installed with SECCOMP_FILTER_FLAG_TSYNC (with TSYNC_ESRCH where the
// kernel has it, and the return value checked where it does not), so
// threads locked to goroutines, idle runtime threads and threads started
// by C code are filtered like the calling one. A thread that cannot be
// synchronized (it runs under a filter other code installed on it alone)
// makes the call fail with nothing installed. A failure is always an error;
// Pledge never returns nil without a filter in force. Apply can be told
// to go on without seccomp (FallbackNoSeccomp), and then says so.
//
// Promises can only be reduced. A call that adds a promise fails with
// ErrWiden (which matches syscall.EPERM, OpenBSD's errno) and changes
// nothing, unless the current promises include "error": then the added
// promises are dropped silently and the call succeeds, as OpenBSD does (the
// report lists what was dropped). Execpromises can only be reduced as well
// (ErrWiden, even with "error", as in OpenBSD's code), and never exceed the
// promises (ErrExecWider, see below). Each narrowing installs one more
// filter; the kernel runs them all and the strictest answer wins, so
// nothing once denied is allowed again. The same promises again install
// nothing. The state is per process and needs no resetting.
//
// # Penalties
//
// A violation ends the process by default (PenaltyAbort). A supervisor
// process prints one line on the standard error the process had when it
// pledged, naming the call with its decoded arguments, the process, and
// the promises that would allow the call, then kills the process with
// SIGKILL (a shell reports status 137). The filter hands denied calls to
// the supervisor through seccomp user notification
// (SECCOMP_RET_USER_NOTIF). The supervisor is this program's binary,
// re-executed before the filter is installed (so it runs unfiltered and
// non-dumpable), and it takes the filter's listener from the process with
// pidfd_getfd(2): the pledged process keeps no listener, whose "continue"
// answer could otherwise run any denied call. The supervisor exits when no
// process uses the filter any more. It has a process group of its own and
// ignores every catchable signal; a pledged process that ends it anyway
// (SIGKILL, with "proc") is ended right after it with a message, because
// the kernel fails calls nobody listens to with ENOSYS and the process
// would otherwise go on (a refused call in that moment fails with ENOSYS
// and does not run). Where it cannot run (a kernel before
// 5.7, no ptrace access for pidfd_getfd, a notification listener already
// held by a container runtime's filter), Pledge uses PenaltyTrap instead;
// Apply does so only with FallbackPenalty, and the report says which and
// why.
//
// Because the supervisor is this program's binary, it must start before a
// Landlock domain that may not grant executing the binary. A pledge starts
// it before committing pending unveils; and when the program commits
// unveils itself first (UnveilBlock, unveil.Ruleset.Commit — OpenBSD's
// usual order) while no filter is installed, the supervisor is started
// just before Landlock is enforced and kept for the first pledge (from
// Landlock ABI 8 only for a layer that may hide the binary or /proc: with
// TSYNC the process has one domain, so a supervisor started later from
// inside a layer of port rules, scopes or create rights works). A pledge
// with another penalty sends it away; a program that never pledges keeps
// one idle supervisor process until it exits. A layer passed to Apply in
// Options.Unveil is committed by the pledge itself, which knows its
// penalty: nothing is started ahead of time (a fork and exec saved when
// the penalty is not PenaltyAbort).
//
// Other penalties: PenaltyKill (SIGSYS, nothing printed; the kernel's
// audit log records the call), PenaltyTrap (SIGSYS: a Go program crashes
// with a traceback naming the function that made the call), PenaltyEPERM
// and PenaltyENOSYS (the call fails without running), and PenaltyLog (the
// call runs and the audit log records it: use it to find the promises a
// program needs). The "error" promise selects PenaltyENOSYS, as on
// OpenBSD. SECCOMP_RET_KILL_THREAD is never used: it leaves a Go process
// wedged.
//
// A filter installed over earlier ones is layered: its penalty applies to
// what its narrowing removed, and calls the earlier promises already
// denied are left to the earlier filters. A PenaltyAbort narrowing of a
// PenaltyAbort pledge is not layered: the kernel allows one notification
// listener per filter stack, so the supervisor closes the earlier filter's
// listener and takes the new filter's, which refuses every call outside
// the narrowed promises itself; every violation is then reported with its
// call and missing promise. While the listener moves, calls the earlier
// filters refuse fail with ENOSYS without running.
//
// A program started by a pledged one (with Command, executed after
// pledging, or run under the unveil command) can pledge again, narrower.
// Its first PenaltyAbort pledge cannot have a supervisor: the filter it
// inherited holds the listener (the kernel is asked: a filter with a
// listener is tried on a thread of its own, which then ends), or it was
// installed by Command's helper and refuses pidfd_getfd, which the
// supervisor needs (the helper marks the program's environment with
// PLEDGEKIT_STARTED_BY_COMMAND, honoured only while a filter is in
// force). Starting one anyway would fork and execute under that filter,
// whose penalty could end the program inside Pledge. So nothing is
// started, PenaltyTrap stands in (with FallbackPenalty; Pledge allows it)
// and the report says why: abort asks that the process stop at a
// violation, which SIGSYS does, while the inherited filter's own answer
// (EPERM, the unveil command's default) would let it go on. That filter
// is not layered (the promises inherited are not known in the new
// program), so every call outside its promises gets SIGSYS, those the
// inherited filter refuses as well; calls inside them that the inherited
// filter refuses still get its answer (from its supervisor, a message and
// EPERM, or the end of a process executed after pledging). Under an
// inherited filter with no listener (a container runtime's) the
// supervisor is started as usual; if the filter refuses that, the report
// names the error, but a filter that refuses the fork with a penalty that
// ends the process (the unveil command's -k without "proc") ends the
// program inside Pledge: pledge with PenaltyTrap or PenaltyKill there.
//
// # Differences from OpenBSD
//
//   - Executed programs. A seccomp filter survives execve and cannot be
//     relaxed: every program this process executes runs under its filter.
//     OpenBSD's unrestricted exec (execpromises never set) is impossible,
//     and execpromises are bounded by the promises. They are enforced for
//     programs started with Command, which re-executes this binary in a
//     helper role that installs a filter for them (plus "exec", which its
//     own execve needs) and then executes the program. Programs started
//     otherwise (os/exec) run under this process's promises; with
//     PenaltyAbort their violations fail with EPERM and a message, they are
//     not killed. Forked children inherit the filter the same way. Starting
//     programs needs "proc exec"; a dynamically linked program needs
//     "rpath" to load its libraries.
//   - Unveils. A pledge first commits the pending unveils of package unveil
//     (Landlock is enforced before the filter) when its promises lack
//     "unveil", which locks unveil as OpenBSD does. With "unveil" among the
//     promises it commits nothing: unveils take effect only at UnveilBlock
//     or at a later pledge without "unveil" (never, if neither comes), and
//     the pledge's report says that pending unveils are not in force yet.
//     Landlock rulesets survive execve too.
//   - dns without inet. OpenBSD pins the sockets of such a pledge to port
//     53; the filter cannot see ports, so the pledge commits a Landlock
//     layer of port rules of its own, once per process (unveil.Ruleset.OnlyDNS:
//     TCP connects to 53 and no TCP bind from Landlock ABI 4, UDP sends to
//     53 and UDP binds to a kernel-chosen port from ABI 10). The report item
//     "dns without inet: port 53 only" says what was pinned; it is dropped
//     under PenaltyLog and after an earlier pledge without "unveil".
//   - Penalty. OpenBSD sends an uncatchable SIGABRT and writes to the
//     terminal; here the process is killed with SIGKILL and the message
//     goes to standard error.
//   - kill. "stdio" signals the process itself and its process group, as on
//     OpenBSD; the filter is built for the pid of the process that installs
//     it. Other processes need "proc" (see package promises for tkill).
//   - OpenBSD-only promises (tape, pf, audio, bpf, ...) are accepted and
//     grant nothing; the report marks them no-effect.
//   - Files every pledged process may open. OpenBSD answers opens of
//     /dev/null (read and write), /etc/localtime and /usr/share/zoneinfo
//     without rpath, /dev/tty with "tty", and the resolver and password
//     files with "dns" and "getpw". A seccomp filter sees no paths, so here
//     they need rpath (wpath to write) like any file. Pledge loads Go's
//     local time zone (time.Local) before installing the filter, so a
//     timestamp after it needs nothing; the first pledge of a process no
//     filter restricts yet also has package net read
//     /proc/sys/net/core/somaxconn, which it reads at the first listen (a
//     program started under a filter that pledges rpath away should listen
//     once before). os/exec opens /dev/null for every
//     standard stream a Cmd leaves unset, for reading or writing: under
//     promises without rpath or wpath, set the Cmd's Stdin, Stdout and
//     Stderr (for example to a /dev/null file opened before pledging). The
//     resolver's files need rpath with "dns" (Go reads them lazily). Under
//     unveil the paths promises.ImpliedPaths lists for these promises are
//     added to the veil (/dev/null read-write with "stdio").
//   - Promises without "stdio" are refused with ErrNoStdio (unless the
//     penalty is PenaltyLog): OpenBSD's pledge("", NULL) returns and the
//     next system call ends the process, but a Go program makes system
//     calls of its own (the runtime's futex and nanosleep, the hand-over
//     of the filter) before the caller's next one, so it would die inside
//     Pledge. "stdio" is the smallest set that works.
//
// # Not covered
//
// Paths (use package unveil), network addresses and ports (unveil can
// restrict TCP ports), and memory a call points to: seccomp sees only
// register values, so for example a sendmsg allowed by "sendfd" may send
// anything. Calls served by the vDSO (clock_gettime, gettimeofday, getcpu)
// never reach the filter.
//
// A process with "rpath wpath" can open /proc/PID/mem of processes it may
// ptrace: seccomp cannot see paths. The supervisor is made non-dumpable,
// which shuts out processes without CAP_SYS_PTRACE; a pledged root process
// needs unveil (Landlock denies access to the memory of processes outside
// its domain).
//
// The supervisor and the exec helper are recognized by an init function of
// this package, from argv[0] ("pledgekit:supervisor", "pledgekit:exec"):
// in those processes the init functions of packages initialized before
// this one run too, and main never runs. Set-user-ID and file-capability
// programs never take a role. The supervisor is a child process of the
// pledged one, visible in ps(1), and needs the binary to be executable
// again (/proc/self/exe); so does Command.
package pledge
