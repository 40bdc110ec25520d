// Package security is pledgekit's adversarial test suite. It has no API:
// everything is in its tests, which attack the sandbox the way a
// compromised program would and check that each attempt is denied and leaves
// the process and the system as they were.
//
// Every attempt runs in a fresh process (internal/testproc), because a
// pledge or an unveil cannot be undone. The attempts are grouped by file:
//
//	arch_linux_amd64_test.go   x32 syscall numbers, i386 calls through int 0x80,
//	                           uretprobe/uprobe (exempt from seccomp by the kernel)
//	args_linux_test.go         high bits on int arguments, flags hidden in
//	                           structs (clone3, openat2), TIOCSTI/TIOCLINUX,
//	                           setuid/setgid/sticky bits through every chmod
//	kernel_linux_test.go       io_uring, userfaultfd, bpf, perf, ptrace,
//	                           process_vm_writev, pidfd_getfd, handles,
//	                           keys, mount/unshare/setns, personality,
//	                           kexec, memfd_create, modules, ...; a second
//	                           filter cannot widen; killing the abort
//	                           penalty's supervisor fails calls closed
//	net_linux_test.go          MPTCP against Landlock TCP rules, AF_PACKET and
//	                           raw sockets under inet, netlink under unix
//	fs_linux_test.go           escapes from unveil: "..", symlinks, hard
//	                           links, renames, truncation, pre-opened
//	                           descriptors, device nodes, FIFOs, sockets,
//	                           /proc/self/mem, memfd execution
//	priv_linux_test.go         no_new_privs on every thread, set-user-ID
//	                           programs, capabilities and the CLI's -u/-g,
//	                           the CLI's supervisor out of the program's reach
//	threads_linux_test.go      threads created before and after the pledge,
//	                           SIGSYS handlers (Go and C)
//	promises_linux_test.go     promise semantics both ways: signals to
//	                           itself and to others (library, pledge.Command,
//	                           the CLI), the abort supervisor out of a stdio
//	                           tgkill's reach, fstat without rpath, Landlock
//	                           under a pledge, socket options and prctl,
//	                           RENAME_WHITEOUT, execpromises with error
//	differential_linux_test.go every filter against the real kernel: the
//	                           kernel's verdicts, the BPF interpreter and the
//	                           reference model must agree on every syscall
//	                           number and on argument vectors derived from
//	                           the promise table
//
// Attempts that need Landlock check the kernel's Landlock ABI (and, under
// the CI kernel matrix, PLEDGEKIT_EXPECT_LANDLOCK_ABI): where the kernel
// cannot deny an attempt, the test asserts that the report says so instead.
// Attempts that only exist on amd64 skip elsewhere with the reason. Helper
// programs written in C (testdata/*.c) are compiled at test time with the
// machine's gcc; without gcc those attempts skip and say so. Tests that need
// root (a set-user-ID helper, the CLI's uid switch) skip for other users.
//
// SECURITY.md at the repository root lists every attempt with its result on
// each kernel of the matrix, and what pledgekit does not protect against.
package security
