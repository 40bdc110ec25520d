package filter

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/promises"
)

// Seccomp return values (SECCOMP_RET_*, linux/seccomp.h). The low 16 bits
// (RetData) carry the errno for RetErrno and a value for RetTrap/RetTrace.
const (
	RetKillProcess uint32 = 0x80000000
	RetKillThread  uint32 = 0x00000000 // never emitted: it wedges Go processes
	RetTrap        uint32 = 0x00030000
	RetErrno       uint32 = 0x00050000
	RetUserNotif   uint32 = 0x7fc00000
	RetTrace       uint32 = 0x7ff00000
	RetLog         uint32 = 0x7ffc0000
	RetAllow       uint32 = 0x7fff0000

	RetActionFull uint32 = 0xffff0000
	RetData       uint32 = 0x0000ffff
)

// MaxErrno is the largest errno the kernel passes through (MAX_ERRNO); it
// clamps larger SECCOMP_RET_ERRNO data to this value.
const MaxErrno = 4095

// MaxInsns is the kernel's limit on the length of one classic BPF program
// (BPF_MAXINSNS).
const MaxInsns = 4096

// Errno values the package names (the same on amd64 and arm64).
const (
	EPERM  = 1
	ENOSYS = 38
)

// Errors Compile wraps; test with errors.Is.
var (
	ErrArch     = errors.New("unsupported architecture")
	ErrDeny     = errors.New("unusable deny action")
	ErrRule     = errors.New("malformed rule")
	ErrTooLarge = errors.New("program exceeds the kernel's 4096-instruction limit")
)

// Spec is what to compile: a promise set for one architecture, the action
// for everything the rules do not allow, and extra rules of the caller.
type Spec struct {
	// Arch is the Go architecture name: "amd64" or "arm64".
	Arch string
	// Promises is the pledged set. Its rules are promises.Baseline() plus
	// promises.Rules(p) for every p in the set, each kept only if it is for
	// Arch and its Also set is pledged too.
	Promises promises.Set
	// Deny is the SECCOMP_RET_* value for a call no rule allows:
	// RetKillProcess, RetErrno|errno (1..4095), RetTrap, RetUserNotif,
	// RetTrace or RetLog. The zero value (which is SECCOMP_RET_KILL_THREAD,
	// a value that wedges Go processes) means RetKillProcess. RetAllow is
	// refused: such a filter would enforce nothing.
	Deny uint32
	// Extra are rules of the caller (for instance what the loader itself
	// needs), with the same semantics as promise rules; they are consulted
	// after the promise rules of the same kind (Errno rules, then Allow).
	Extra []promises.Rule
	// Pid is the pid of the process that installs the filter: conditions
	// about the caller itself (promises.Cond.Self, such as stdio's
	// kill(getpid(), sig) and tgkill(getpid(), tid, sig)) compare with it.
	// 0 means unknown: such rules are dropped, so signalling oneself needs
	// proc as signalling others does. A filter keeps the pid it was built
	// with: a forked child inherits its parent's, which is why it may only
	// be forked with proc (which signals any pid) and builds its own
	// layer for its own pid when it pledges.
	Pid int
}

// Program is a compiled seccomp filter.
type Program struct {
	// Arch is the Go architecture the program is for; AuditArch its
	// AUDIT_ARCH_* value (the program refuses every other).
	Arch      string
	AuditArch uint32
	// Deny is the normalized deny action; Foreign the action for calls of
	// another architecture (and x32 on amd64). See the package doc.
	Deny, Foreign uint32

	Raw []bpf.RawInstruction
	// Skipped lists, sorted and without duplicates, the syscall names of
	// applicable rules that do not exist on Arch (those rules are dropped).
	Skipped []string

	// info is what Stats needs from the compilation (nil for a Program not
	// built by Compile). Stats and the typed instructions are computed on
	// demand: a pledge needs neither, and computing them took a third of
	// the compile time.
	info *compileInfo
}

// Stats describes the size and speed of a program. Path lengths count
// executed instructions, including the final return.
type Stats struct {
	// Len is the number of instructions.
	Len int
	// Numbers is how many syscall numbers have a verdict of their own
	// (allowed or errno, with or without argument checks); Conditional how
	// many of those check arguments.
	Numbers, Conditional int
	// Ranges is the number of leaves of the search tree over syscall
	// numbers (maximal ranges of numbers sharing a constant verdict, plus
	// one leaf per conditional number); Depth the most comparisons on the
	// way from the root to a leaf.
	Ranges, Depth int
	// MaxPath and MeanPath are measured by running the program (Run) for
	// every native syscall number 0..max+1 of the architecture, each with
	// the all-zero argument vector and, for a number with argument checks,
	// one vector satisfying each of its rules. MeanPath averages first over
	// a number's vectors, then over numbers.
	MaxPath  int
	MeanPath float64
	// Worst is the longest path through the program for any input at all
	// (foreign architectures and x32 included), computed statically.
	Worst int
}

// normalizeDeny validates a deny action; 0 becomes RetKillProcess.
func normalizeDeny(d uint32) (uint32, error) {
	if d == RetKillThread {
		return RetKillProcess, nil
	}
	switch d & RetActionFull {
	case RetKillProcess, RetTrap, RetTrace:
		return d, nil
	case RetUserNotif, RetLog:
		if d&RetData != 0 {
			return 0, fmt.Errorf("filter: deny action %#x carries data the kernel ignores; use %#x: %w", d, d&RetActionFull, ErrDeny)
		}
		return d, nil
	case RetErrno:
		e := d & RetData
		if e == 0 || e > MaxErrno {
			return 0, fmt.Errorf("filter: deny action ERRNO(%d): errno must be 1..%d (0 would fake success): %w", e, MaxErrno, ErrDeny)
		}
		return d, nil
	case RetAllow:
		return 0, fmt.Errorf("filter: deny action ALLOW would enforce nothing; use RetLog to only watch: %w", ErrDeny)
	}
	return 0, fmt.Errorf("filter: deny action %#x is not a seccomp action: %w", d, ErrDeny)
}

// foreignAction is the verdict for a foreign-architecture call (and an x32
// call on amd64). Such a call is never executed and never handed to anyone
// who would read its number in the native table: an errno, trap or kill deny
// action is used as is; LOG, USER_NOTIF and TRACE become KILL_PROCESS.
func foreignAction(deny uint32) uint32 {
	switch deny & RetActionFull {
	case RetErrno, RetTrap, RetKillProcess:
		return deny
	}
	return RetKillProcess
}

// retOf is the seccomp return value of a rule.
func retOf(r promises.Rule) uint32 {
	if r.Action == promises.Errno {
		return RetErrno | uint32(r.Errno)
	}
	return RetAllow
}

// validateRule reports a rule the compiler cannot express exactly.
func validateRule(r promises.Rule) error {
	switch r.Action {
	case promises.Allow:
	case promises.Errno:
		if r.Errno == 0 || r.Errno > MaxErrno {
			return fmt.Errorf("filter: rule for %s: errno %d out of range 1..%d: %w", r.Syscall, r.Errno, MaxErrno, ErrRule)
		}
	default:
		return fmt.Errorf("filter: rule for %s: unknown action %d: %w", r.Syscall, r.Action, ErrRule)
	}
	if r.Syscall == "" {
		return fmt.Errorf("filter: rule without a syscall name: %w", ErrRule)
	}
	for _, c := range r.Args {
		if c.Arg > 5 {
			return fmt.Errorf("filter: rule for %s: argument index %d (syscalls have 6 arguments, 0..5): %w", r.Syscall, c.Arg, ErrRule)
		}
		if c.Width != promises.W32 && c.Width != promises.W64 {
			return fmt.Errorf("filter: rule for %s: arg%d has width %d (want W32 or W64): %w", r.Syscall, c.Arg, c.Width, ErrRule)
		}
		if c.Self && (c.Width != promises.W32 || c.Mask != 0 || c.Value != 0) {
			return fmt.Errorf("filter: rule for %s: arg%d compares with the pid and must be W32 without a mask or value: %w", r.Syscall, c.Arg, ErrRule)
		}
	}
	return nil
}
