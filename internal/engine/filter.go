package engine

import (
	"fmt"
	"slices"

	"github.com/pledgekit/pledgekit/internal/filter"
	"github.com/pledgekit/pledgekit/promises"
)

// Deny is what a filter does with a call no rule allows.
type Deny uint8

// The deny actions.
const (
	DenyEPERM  Deny = iota + 1 // fail with EPERM (SECCOMP_RET_ERRNO)
	DenyENOSYS                 // fail with ENOSYS (SECCOMP_RET_ERRNO)
	DenyKill                   // end the process (SECCOMP_RET_KILL_PROCESS)
	DenyTrap                   // send SIGSYS (SECCOMP_RET_TRAP)
	DenyNotify                 // hold the call for the listener (SECCOMP_RET_USER_NOTIF)
	DenyLog                    // allow and log (SECCOMP_RET_LOG)
)

// Action returns the SECCOMP_RET_* value of d; it panics for an unknown
// Deny (a programming error).
func (d Deny) Action() uint32 {
	switch d {
	case DenyEPERM:
		return filter.RetErrno | filter.EPERM
	case DenyENOSYS:
		return filter.RetErrno | filter.ENOSYS
	case DenyKill:
		return filter.RetKillProcess
	case DenyTrap:
		return filter.RetTrap
	case DenyNotify:
		return filter.RetUserNotif
	case DenyLog:
		return filter.RetLog
	}
	panic(fmt.Sprintf("engine: unknown deny action %d", d))
}

// FilterSpec is a seccomp filter to compile: the rules of Promises (with
// the baseline) and Extra for Arch, Deny for everything else, built for
// the process Pid (the rules about the caller itself; see filter.Spec).
// The rules of Promises for the system calls in Drop are left out: those
// calls get Deny unless an Extra rule allows them (a supervisor that must
// see every execve, for instance).
type FilterSpec struct {
	Arch     string
	Promises promises.Set
	Extra    []promises.Rule
	Drop     []string
	Deny     Deny
	Pid      int
}

// Program is a compiled filter.
type Program = filter.Program

// Compile compiles spec. Errors wrap internal/filter's (an unknown
// architecture, a malformed rule, a program over the kernel's limit).
func Compile(spec FilterSpec) (*Program, error) {
	set, extra := spec.Promises, spec.Extra
	if len(spec.Drop) > 0 {
		// The rules go to the compiler as Extra rules with an empty
		// promise set: the same program as in place, without Drop.
		extra = append(Rules(set, spec.Arch, spec.Drop...), extra...)
		set = 0
	}
	return filter.Compile(filter.Spec{Arch: spec.Arch, Promises: set, Extra: extra, Deny: spec.Deny.Action(), Pid: spec.Pid})
}

// Rules returns the rules of the baseline and of every promise in set
// that apply to arch and whose Also is in set, in the table's order,
// without the system calls named in drop. Also is cleared: the rules are
// meant for FilterSpec.Extra with an empty promise set, and for deciding
// calls the way the filter does.
func Rules(set promises.Set, arch string, drop ...string) []promises.Rule {
	var out []promises.Rule
	add := func(rs []promises.Rule) {
		for _, r := range rs {
			if slices.Contains(drop, r.Syscall) || !r.AppliesTo(arch) || !r.AppliesWith(set) {
				continue
			}
			r.Also = 0
			out = append(out, r)
		}
	}
	add(promises.Baseline())
	for _, p := range set.Promises() {
		add(promises.Rules(p))
	}
	return out
}

// Disassemble returns prog as readable text, one instruction a line.
func Disassemble(prog *Program) string { return filter.Disassemble(prog) }
