package filter

import (
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// Reference is the model a compiled program must agree with, computed
// straight from the promise table without any BPF: a call of another
// architecture, or an x32 call on amd64, gets the foreign action (see the
// package doc); a native call is decided by promises.Decide on the pledged
// set, then by s.Extra (an Errno verdict of either beats an Allow of
// either; promise rules before extra rules within a kind): ALLOW,
// ERRNO|errno, or the deny action.
//
// Reference assumes a Spec that Compile accepts; for an unknown
// architecture or deny action it answers RetKillProcess.
func Reference(s Spec, d Data) uint32 {
	tab, err := syscalls.ByArch(s.Arch)
	if err != nil {
		return RetKillProcess
	}
	s.Arch = tab.Arch
	dn, err := normalizeDeny(s.Deny)
	if err != nil {
		return RetKillProcess
	}
	if d.Arch != tab.AuditArch || uint32(d.Nr)&tab.X32SyscallBit != 0 {
		return foreignAction(dn)
	}
	name, ok := tab.Name(uint32(d.Nr))
	if !ok {
		return dn
	}
	r, ok := promises.DecideFor(s.Promises, s.Pid, s.Arch, name, d.Args)
	if ok && r.Action == promises.Errno {
		return retOf(r)
	}
	var extraAllow bool
	for _, e := range s.Extra {
		if e.Syscall != name || !e.AppliesTo(s.Arch) || !e.AppliesWith(s.Promises) || !e.MatchFor(d.Args, s.Pid) {
			continue
		}
		if e.Action == promises.Errno {
			return retOf(e)
		}
		extraAllow = true
	}
	if ok || extraAllow {
		return RetAllow
	}
	return dn
}
