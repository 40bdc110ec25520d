// Package filter is pledgekit's pure seccomp compiler: it turns a promise
// set and an architecture into a classic-BPF seccomp program. It never calls
// the kernel, so every program can be built and tested for amd64 and arm64
// on any host. It also holds the tools that test it: Check (the kernel's
// load-time checks), Run (an interpreter of exactly what seccomp accepts,
// counting executed instructions), Reference (the verdict computed from the
// promise table with no BPF at all) and Disassemble.
//
// # Semantics
//
// The rules of a Spec are promises.Baseline(), promises.Rules(p) for every
// pledged p (in pledgenames order) and Spec.Extra, each kept only if it is
// for Spec.Arch and its Also set is pledged. For one syscall, the first
// matching Errno rule wins; failing that, any matching Allow rule allows;
// failing that, the call gets Spec.Deny. This is promises.DecideFor with
// Spec.Pid, extended by the extra rules (Reference spells it out). Rules
// naming a syscall the architecture lacks are dropped and listed in
// Program.Skipped.
//
// A condition on the caller's own pid (promises.Cond.Self: stdio's signals
// to itself) becomes a 32-bit compare with Spec.Pid, a constant of the
// program; with Spec.Pid 0 (unknown) its rule is dropped. The program is
// therefore right for that process only: a forked child runs it with
// another pid (forking needs proc, whose rules signal any pid), and a
// process that pledges builds its own.
//
// A condition is masked equality, (arg & mask) == value. An int-typed
// argument (promises.W32) is compared on its low 32 bits only: the program
// loads just the low word, at offset 16+8*i of seccomp_data (both supported
// architectures are little-endian). The kernel ignores the upper half of an
// int, so socket(AF_INET|1<<32) IS socket(AF_INET) and a rule for AF_INET
// allows it, and socket(AF_NETLINK|1<<32) IS socket(AF_NETLINK) and a rule
// that only allows AF_UNIX denies it, whatever the upper half holds. A
// 64-bit compare refuses the first (wrongly, but safely) and lets the
// second through any rule phrased as "domain == AF_NETLINK" (a bypass
// verified on the real kernel against go-seccomp-bpf). A promises.W64
// condition compares both halves (a half whose mask is zero is not loaded).
//
// # Foreign architectures and x32
//
// The program loads and checks seccomp_data.arch first. A call of another
// architecture (i386 through int 0x80 on amd64, arm32 compat on arm64,
// anything else) never reaches the rules, because its numbers mean other
// syscalls. On amd64, x32 calls (number with bit 0x40000000 set; they carry
// the x86_64 arch value) are treated the same way. Their verdict,
// Program.Foreign, is:
//
//   - Spec.Deny itself if it is ERRNO, TRAP or KILL_PROCESS: the call is
//     refused without being run, and a program in an errno mode can still
//     report the failure;
//   - KILL_PROCESS if Spec.Deny is LOG, USER_NOTIF or TRACE: those let the
//     call run or hand it to a supervisor or tracer that would read its
//     number in the native table, so a foreign call is never given to them.
//
// The zero Deny means KILL_PROCESS. No program ever returns KILL_THREAD
// (which wedges Go processes: the runtime waits forever for the killed
// thread) or ALLOW as the deny action.
//
// # Program layout
//
//	ld [4]                      arch
//	jeq #AUDIT_ARCH, native     otherwise:
//	ret FOREIGN
//	native: ld [0]              nr
//	jge ... (search tree)       a balanced binary search over syscall numbers
//	leaves: ret ALLOW / ERRNO / DENY, or one syscall's argument checks
//
// The syscall numbers 0..2^32-1 are split into maximal ranges with one
// verdict (consecutive numbers with the same constant verdict, including the
// unassigned ones and everything above the table, collapse into one range;
// a syscall with argument checks is a range of its own; on amd64 the x32
// ranges get the foreign verdict and merge with their neighbours when that
// equals Deny). The tree splits the ranges in half at each "jge" (the idea
// of gVisor's 2024 "Optimizing seccomp usage in gVisor" write-up), so any
// number reaches its verdict in ceil(log2(ranges)) comparisons: 7 for every
// promise set of the current table. At a leaf the number is known exactly,
// so no "jeq nr" is needed. Constant leaves share their returns: each
// subtree small enough for 8-bit jump offsets (about 240 instructions) ends
// with one return per distinct verdict, and its nodes jump straight to
// them, so a leaf costs no instruction of its own (the amd64 program for
// "stdio rpath wpath cpath inet dns" has 599 instructions instead of 687,
// "stdio" 259 instead of 353; every decision executes as many instructions
// as before). The kernel's cost to install a filter (conversion to eBPF,
// JIT) grows with its length.
//
// A syscall with argument checks compiles its rule list in order. Rules that
// can never decide are dropped first: a rule implied by an earlier one, rules
// after an unconditional one, trailing rules whose verdict is Deny anyway,
// and rules just before a final unconditional rule with the same verdict (so
// "stdio allows mmap without PROT_EXEC" plus "prot_exec allows mmap" is an
// unconditional allow). Then consecutive rules that test the same 32-bit
// word under the same mask are decided together: one load (and "and" with
// the mask), then a dispatch on the value - a few "jeq" or a binary search
// of "jge" for many values - then the rest of each rule. For one call the
// word has one value, so only rules with that value can match, and their
// order is kept. The compiler tracks what the accumulator holds across
// jumps and reuses a loaded (and masked) word instead of loading it again.
// The returns a body needs follow it, so its jumps stay short.
//
// Example: nothing pledged (only the baseline), Deny KILL_PROCESS, and the
// extra rules getppid() and socket(domain == AF_UNIX) on amd64, as printed by
// Disassemble (abridged):
//
//	  0: ld [4]                         ; arch
//	  1: jeq #0xc000003e, 3, 2          ; AUDIT_ARCH_X86_64
//	  2: ret #0x80000000                ; KILL_PROCESS
//	  3: ld [0]                         ; nr
//	  4: jge #0x6e, 5, 20               ; nr >= getppid
//	  5: jge #0x1b3, 13, 6              ; nr >= clone3
//	  6: jge #0xe7, 10, 7               ; nr >= exit_group
//	  7: jge #0x6f, 9, 8                ; nr >= getpgrp
//	  8: ret #0x7fff0000                ; ALLOW
//	  9: ret #0x80000000                ; KILL_PROCESS
//	...
//	 20: jge #0x29, 26, 21              ; nr >= socket
//	...
//	 30: jge #0x2a, 31, 32              ; nr >= connect
//	 31: ret #0x80000000                ; KILL_PROCESS
//	 32: ld [32]                        ; arg2.lo
//	 33: jeq #0x106, 37, 34
//	 34: ld [16]                        ; arg0.lo
//	 35: jeq #0x1, 38, 36
//	 36: ret #0x80000000                ; KILL_PROCESS
//	 37: ret #0x5005d                   ; ERRNO(93 EPROTONOSUPPORT)
//	 38: ret #0x7fff0000                ; ALLOW
//
// Instruction 4 sends getppid (0x6e) right, 7 and 8 allow exactly 0x6e, and
// 32-38 are socket: first the baseline's Errno rule (protocol IPPROTO_MPTCP
// answers EPROTONOSUPPORT, so Go falls back to TCP), then the AF_UNIX rule,
// loading only the low word of each argument.
//
// # The kernel's action cache
//
// Since Linux 5.11 the kernel emulates each filter once per syscall number
// with unknown arguments (seccomp_is_const_allow) and, where the result is
// ALLOW whatever the arguments, skips the filter for that number from then
// on. The emulation gives up at any load other than nr and arch. So the path
// of every unconditionally allowed number here has only "ld [4]", "ld [0]",
// jumps with constants and the return; argument loads happen only below a
// leaf of a syscall that has argument checks. The default-deny path of
// unknown numbers is argument-free too. The tests emulate the kernel's
// algorithm and check that exactly the unconditionally allowed numbers are
// cached, and never a foreign-arch or x32 call.
//
// # Long jumps
//
// Conditional jump offsets are 8 bits. The label assembler lays the program
// out and, where a branch is longer than 255 instructions, puts a trampoline
// right after the jump: a copy of the target if it is a return (one
// instruction fewer at run time), else a "ja" with its 32-bit offset; it
// iterates until nothing is too long. The tree lays out the smaller half of
// each split first, so the jump over it is the short one; current programs
// need at most one trampoline.
//
// # Size and speed
//
// Measured with the current table (Spec.Deny ERRNO, Program.Stats' MaxPath
// and MeanPath over every syscall number with representative arguments):
//
//	                              amd64 insns  MaxPath  MeanPath   arm64 insns  MaxPath  MeanPath
//	stdio                              353        20      11.1          323        20      10.8
//	stdio rpath inet dns               585        22      11.1          555        22      11.0
//	all promises                       848        23      11.0          771        24      11.1
//
// The limit is 4096 instructions (BPF_MAXINSNS); the tests compile every
// promise at once, every all-but-one set and random sets for both
// architectures. The stated path bounds (size_test.go) are ceil(log2(ranges))
// + 6 for a number without argument checks and 2*ceil(log2(ranges)) + 12 for
// any decision.
//
// # Compile time
//
// Compile runs once per pledge, in the program's start-up path, so it is
// kept allocation-light: the promise table is read in place
// (promises.Set.Rules), rules are grouped by syscall number with a
// counting sort into one array, argument parts live in one arena, the
// generator's scratch lists are stacks reused across syscall numbers, and
// assembler items are 16 bytes. Long rule lists (setsockopt and getsockopt
// have over a hundred rules) are checked for shadowed rules through a hash
// of whole-word tests instead of pairwise. Program.Stats (it runs the
// program for every syscall number) and Program.Insns (the typed form, with
// the reassembly check) are computed only when asked for. The first compile
// of "stdio rpath wpath cpath inet dns" in a fresh process takes about
// 0.4-0.6 ms of CPU on the 2-core VM of docs/PERFORMANCE.md, about 150 KB
// in 49 allocations.
//
// # Testing without a kernel
//
// golang.org/x/net/bpf's VM runs the programs in tests, with one trick: it
// decodes 32-bit loads as big-endian, so Data.VMInput byte-swaps each
// 32-bit word of the little-endian seccomp_data; since seccomp only allows
// aligned 32-bit loads, every load then sees the kernel's value. The VM
// accepts instructions the kernel refuses (byte and half-word loads,
// indirect loads, MOD, extensions, out-of-range offsets, where it silently
// returns 0 = KILL_THREAD), lacks NEG, which the kernel accepts, and does not
// mask shift widths by X to 5 bits as the kernel does; hence
// Check, which mirrors the kernel's checker and is itself tested against the
// real kernel, and Run, which implements exactly the accepted set.
//
// # go-seccomp-bpf
//
// Nothing of github.com/elastic/go-seccomp-bpf (v1.6.0) is imported; one
// idea is taken: when a branch needs a trampoline and its target is a
// return, copy the return instead of jumping to it. Its Policy compiles a
// linear chain (one "jeq" per syscall), which is what the tree replaces. Its
// Program assembler (forward labels with long-jump fix-ups) could have
// served, but it picks argument word offsets from the build host's
// endianness (probed with unsafe at init), so a program for another
// architecture would depend on the host, and it knows nothing of the
// accumulator's contents, which load reuse needs; a small assembler with an
// explicit layout loop was simpler to get right and to test. Its argument
// conditions compare all 64 bits, which is wrong for int arguments (the
// AF_NETLINK|1<<32 bypass above), and it has no masked equality. Its
// LoadFilter ignores a TSYNC failure; loading is package pledge's job.
//
// # Not covered
//
// Big-endian architectures (the word offsets assume little-endian), 32-bit
// architectures, and the x32 and i386 ABIs (refused as foreign). The
// compiler checks argument values only; it cannot follow pointers (paths are
// Landlock's job).
package filter
