package engine

import (
	"fmt"

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
type FilterSpec struct {
	Arch     string
	Promises promises.Set
	Extra    []promises.Rule
	Deny     Deny
	Pid      int
}

// Program is a compiled filter.
type Program = filter.Program

// Compile compiles spec. Errors wrap internal/filter's (an unknown
// architecture, a malformed rule, a program over the kernel's limit).
func Compile(spec FilterSpec) (*Program, error) {
	return filter.Compile(filter.Spec{Arch: spec.Arch, Promises: spec.Promises, Extra: spec.Extra, Deny: spec.Deny.Action(), Pid: spec.Pid})
}

// Disassemble returns prog as readable text, one instruction a line.
func Disassemble(prog *Program) string { return filter.Disassemble(prog) }
