// Package pledge is OpenBSD's pledge(2) for Go programs on Linux, built on
// seccomp-bpf.
//
//	if err := pledge.Pledge("stdio rpath", ""); err != nil {
//		log.Fatal(err)
//	}
//	os.ReadFile("/etc/hostname")                  // allowed: rpath
//	net.Dial("tcp", "example.org:80")             // ends the process:
//	// pledge: denied socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 6) [syscall 41]
//	//   in app[4242]: needs promise "inet" (or "dns" or "anet") (pledged: "stdio rpath"); killing the process
//
// Pledge, PledgePromises and PledgeExecpromises have the signatures of
// golang.org/x/sys/unix's OpenBSD functions; on OpenBSD they call them, on
// other systems they fail with ErrUnsupported. Apply is the same request
// with options (penalty, allowed fallbacks) and returns a report.Report of
// what the kernel enforces. Program compiles a filter without installing it.
//
// # Semantics
//
// A promise string is parsed as OpenBSD does (package promises: words
// separated by spaces, unknown words are errors wrapping
// promises.ErrUnknown and syscall.EINVAL). Each promise allows a group of
// system calls, some only with certain arguments (see promises.Describe and
// the promise table); everything else is a violation. Only 64-bit native
// calls pass: x32 and 32-bit (int 0x80) calls end the process.
//
// The filter covers every thread of the process: no_new_privs is set and
// the filter installed with SECCOMP_FILTER_FLAG_TSYNC (and TSYNC_ESRCH), so
// threads locked to goroutines, idle runtime threads and threads started by
// C code are filtered as well as the calling one; a thread that cannot be
// synchronized makes the call fail with nothing installed.
//
// Promises can only be reduced. A later call that adds a promise fails with
// ErrWiden (which matches syscall.EPERM, OpenBSD's errno) and changes
// nothing, unless the current promises include "error": then the added
// promises are dropped silently and the call succeeds, as on OpenBSD (the
// report lists what was dropped). Execpromises can only be reduced too
// (ErrWiden, even with "error", as OpenBSD's code does), and they may never
// exceed the promises (ErrExecWider): see below. Each narrowing installs
// one more filter; the kernel runs all of them and the strictest answer
// wins, so nothing once denied is ever allowed again.
//
// # Penalties
//
// A violation ends the process by default (PenaltyAbort). A second process,
// the supervisor, prints one line on the process's standard error naming
// the call, its decoded arguments, and the promise that would allow it,
// then kills the process with SIGKILL (a shell reports exit status 137).
// The filter hands denied calls to the supervisor through seccomp user
// notification (SECCOMP_RET_USER_NOTIF); the supervisor is this program's
// own binary, re-executed before the filter is installed, and takes the
// filter's listener with pidfd_getfd(2), so the pledged process holds no
// listener it could misuse. The supervisor exits when no process uses the
// filter any more. If it cannot run (no user notification before Linux 5.7,
// no pidfd_getfd or ptrace access to the process, a listener already held
// by a container runtime's filter), Pledge falls back to PenaltyTrap and
// Apply does so only with FallbackPenalty; the report says which and why.
//
// Other penalties: PenaltyKill (SIGSYS, silent), PenaltyTrap (SIGSYS; a Go
// program crashes with a traceback naming the function that made the
// call), PenaltyEPERM and PenaltyENOSYS (the call fails without running)
// and PenaltyLog (the call runs and the kernel's audit log records it: use
// it to find the promises a program needs). The "error" promise selects
// PenaltyENOSYS, as on OpenBSD. SECCOMP_RET_KILL_THREAD is never used: it
// leaves a Go process wedged.
//
// The kernel allows one notification listener per process. When promises
// are narrowed after a first PenaltyAbort pledge, the new filter is layered
// over the earlier one: calls outside the first promises are still
// reported by the supervisor, calls that only the narrowing removed get
// PenaltyTrap. In general each layered filter applies its own penalty to
// what its narrowing removed and leaves the rest to the earlier filters.
//
// # Differences from OpenBSD
//
//   - Executed programs. A seccomp filter survives execve and cannot be
//     relaxed: every program this process executes runs under its filter,
//     so OpenBSD's unrestricted exec (execpromises never set) is impossible,
//     and execpromises are an upper bound no wider than the promises.
//     Execpromises are enforced for programs started with Command, which
//     re-executes this binary in a helper role that installs a filter for
//     them (plus "exec", needed for its own execve) and then executes the
//     program. Programs started otherwise (os/exec) run under this
//     process's promises; with PenaltyAbort their violations get EPERM
//     and a message rather than ending them. Starting programs needs "proc
//     exec"; loading a dynamically linked program's libraries needs
//     "rpath" (and "prot_exec" for some loaders) in the promises it runs
//     under.
//   - Unveils. Landlock rulesets also survive execve. A pledge whose
//     promises lack "unveil" first commits pending unveils (package unveil),
//     as OpenBSD locks unveil then; Landlock is enforced before the filter.
//   - Penalty. OpenBSD sends an uncatchable SIGABRT and writes the message
//     to the terminal; here the process is killed with SIGKILL and the
//     message goes to the standard error it had when it pledged.
//   - kill. "stdio" allows kill(2) only to the own process group (pid 0):
//     seccomp cannot compare an argument with the caller's pid, so
//     kill(getpid(), sig) needs "proc" (raise signals with tgkill, as the
//     Go runtime does). tgkill and tkill are allowed to any thread.
//   - OpenBSD-only promises (tape, pf, audio, bpf, ...; see
//     promises.Describe) are accepted and grant nothing.
//
// # Not covered
//
// Paths (use package unveil), network addresses and ports (Landlock, via
// unveil, restricts TCP ports), and the contents of memory a call points
// to (seccomp sees only register values): a sendmsg allowed by "sendfd" can
// send anything. Calls served by the vDSO (clock_gettime, gettimeofday,
// getcpu) never reach the filter.
//
// The supervisor and exec helper roles are recognized by an init function
// of this package, keyed on argv[0]; in those processes the init functions
// of packages initialized before this one run too, and main never runs.
// Set-user-ID programs never take a role. With PenaltyAbort, a process
// started by the pledged one (the supervisor) is visible in ps(1) as
// "pledgekit:supervisor".
package pledge
