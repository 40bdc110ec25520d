package promises

import (
	"fmt"
	"strings"
)

// Width says how many bits of a syscall argument a condition examines.
type Width uint8

const (
	// W32 examines only the low 32 bits, as the kernel does for int-typed
	// arguments: it ignores the upper half, so comparing it would let
	// socket(AF_NETLINK|1<<32, ...) slip past a rule meant to stop it.
	W32 Width = 32
	// W64 examines all 64 bits (pointers, sizes, unsigned long).
	W64 Width = 64
)

// Cond is one argument condition: (arg[Arg] & Mask) == Value, examined on
// Width bits. A Mask of 0 means every bit of the width.
type Cond struct {
	Arg   uint8
	Width Width
	Mask  uint64
	Value uint64
	// Self makes the condition "the argument is the pid of the process the
	// filter is built for" (the table's kill(getpid(), sig)): Value is
	// ignored and the pid, known only when a filter is built, takes its
	// place (see For). Self conditions are W32 with a Mask of 0 (pid_t is
	// an int). Where no pid is known they match nothing.
	Self bool
}

// For returns c with a Self condition bound to pid: a plain comparison
// with pid. ok is false when c is a Self condition and pid is not a
// process id (pid <= 0, "unknown"): the condition can then never hold.
// Other conditions are returned unchanged.
func (c Cond) For(pid int) (Cond, bool) {
	if !c.Self {
		return c, true
	}
	if pid <= 0 {
		return c, false
	}
	return Cond{Arg: c.Arg, Width: W32, Value: uint64(uint32(pid))}, true
}

// EffectiveMask returns the mask actually applied, limited to the width.
func (c Cond) EffectiveMask() uint64 {
	m := c.Mask
	if m == 0 {
		m = ^uint64(0)
	}
	if c.Width == W32 {
		m &= 0xffffffff
	}
	return m
}

// Match reports whether the condition holds for the given arguments. A
// Self condition never holds here (no pid is known): use MatchFor.
func (c Cond) Match(args [6]uint64) bool { return c.MatchFor(args, 0) }

// MatchFor is Match in a process whose pid is pid (0: unknown).
func (c Cond) MatchFor(args [6]uint64, pid int) bool {
	c, ok := c.For(pid)
	if !ok {
		return false
	}
	m := c.EffectiveMask()
	return args[c.Arg]&m == c.Value&m
}

func (c Cond) String() string {
	if c.Self {
		return fmt.Sprintf("arg%d == pid", c.Arg)
	}
	m := c.EffectiveMask()
	full := uint64(0xffffffff)
	if c.Width == W64 {
		full = ^uint64(0)
	}
	if m == full {
		return fmt.Sprintf("arg%d == %#x", c.Arg, c.Value)
	}
	return fmt.Sprintf("arg%d & %#x == %#x", c.Arg, m, c.Value&m)
}

// Action is what a matching rule does.
type Action uint8

const (
	// Allow lets the call through.
	Allow Action = iota
	// Errno makes the call fail with Rule.Errno without running it, whatever
	// the penalty. It is used where a runtime must see an ordinary error to
	// fall back (clone3 and openat2 answer ENOSYS; MPTCP sockets fail so Go's
	// net.Listen falls back to TCP, which Landlock's port rules do see).
	Errno
)

// Rule allows (or answers with an errno) one syscall when all its
// conditions hold. Several rules for the same syscall are alternatives
// (OR). Errno rules of a syscall are checked before its Allow rules.
type Rule struct {
	Syscall string // kernel name, e.g. "openat", "newfstatat"
	Arch    string // "" for every arch, else a Go arch name ("amd64", "arm64")
	Args    []Cond // all must hold; none means unconditional
	Action  Action
	Errno   uint16 // for Action == Errno
	// Also lists promises that must be in the pledged set as well, besides
	// the promise that owns the rule, for the rule to apply. The zero value
	// (empty set) means no extra requirement. It expresses "requires all
	// of": openat(O_CREAT|O_RDWR) is owned by cpath with Also = {wpath}, so
	// cpath alone cannot open an existing file read-write. A compiler or
	// evaluator must drop a rule whose Also is not a subset of the set.
	Also Set
}

// AppliesWith reports whether the rule's Also requirement is met by s.
func (r Rule) AppliesWith(s Set) bool { return r.Also.SubsetOf(s) }

// Match reports whether the rule's conditions hold for args; a rule with
// a Self condition never matches here (no pid is known): use MatchFor.
func (r Rule) Match(args [6]uint64) bool { return r.MatchFor(args, 0) }

// MatchFor is Match in a process whose pid is pid (0: unknown).
func (r Rule) MatchFor(args [6]uint64, pid int) bool {
	for _, c := range r.Args {
		if !c.MatchFor(args, pid) {
			return false
		}
	}
	return true
}

// AppliesTo reports whether the rule is meant for the given Go arch.
func (r Rule) AppliesTo(arch string) bool { return r.Arch == "" || r.Arch == arch }

// String formats the rule for messages and the CLI, for example
// "openat(arg2 & 0x20100003 == 0x2) [also rpath]" or "clone3 -> errno 38".
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString(r.Syscall)
	if len(r.Args) > 0 {
		b.WriteByte('(')
		for i, c := range r.Args {
			if i > 0 {
				b.WriteString(" && ")
			}
			b.WriteString(c.String())
		}
		b.WriteByte(')')
	}
	if r.Arch != "" {
		fmt.Fprintf(&b, " on %s", r.Arch)
	}
	if r.Also != 0 {
		fmt.Fprintf(&b, " [also %s]", r.Also)
	}
	if r.Action == Errno {
		fmt.Fprintf(&b, " -> errno %d", r.Errno)
	}
	return b.String()
}
