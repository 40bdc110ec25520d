package filter

import (
	"testing"

	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/promises"
)

// constAllow mirrors the kernel's seccomp_is_const_allow (Linux >= 5.11,
// kernel/seccomp.c): it emulates the filter for one syscall number and
// architecture with unknown arguments, and reports whether the filter
// allows that number whatever the arguments. It gives up (false) on any
// load other than nr and arch, and on any instruction other than ja,
// jeq/jge/jgt/jset with a constant, and-with-constant and ret-constant.
// A number for which it answers true is put in the action cache bitmap
// and never runs the filter again.
func constAllow(raw []bpf.RawInstruction, nr int32, arch uint32) bool {
	var a uint32
	for pc := 0; pc < len(raw); pc++ {
		ins := raw[pc]
		switch ins.Op {
		case opLdAbsW:
			switch ins.K {
			case offNr:
				a = uint32(nr)
			case offArch:
				a = arch
			default:
				return false
			}
		case opRetK:
			return ins.K == RetAllow
		case opJA:
			pc += int(ins.K)
		case opJEQK, opJGEK, clsJMP | jmpJGT | srcK, opJSETK:
			var t bool
			switch ins.Op {
			case opJEQK:
				t = a == ins.K
			case opJGEK:
				t = a >= ins.K
			case clsJMP | jmpJGT | srcK:
				t = a > ins.K
			default:
				t = a&ins.K != 0
			}
			if t {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case opAndK:
			a &= ins.K
		default:
			return false
		}
	}
	return false
}

// unconditional reports whether the table allows the syscall whatever its
// arguments: some applicable Allow rule without conditions, and no
// applicable Errno rule.
func unconditional(rs []promises.Rule) bool {
	allow := false
	for _, r := range rs {
		if r.Action == promises.Errno {
			return false
		}
		if len(r.Args) == 0 {
			allow = true
		}
	}
	return allow
}

// TestActionCacheShape checks what the kernel's action cache needs: every
// unconditionally allowed syscall is proven allowed by the kernel's
// emulation (its path loads only nr and arch), no other number is, and
// foreign-architecture calls never are. It also traces, in Run, that the
// paths of unconditionally allowed and of unknown (default-deny) numbers load
// nothing but [0] and [4].
func TestActionCacheShape(t *testing.T) {
	sets := realisticSets()
	for _, p := range promises.All() {
		sets = append(sets, promises.Of(p))
	}
	for _, arch := range arches {
		tab := table(t, arch)
		for _, set := range sets {
			for _, deny := range []uint32{RetErrno | EPERM, RetKillProcess, RetLog} {
				p := compileCached(t, arch, set, deny)
				s := Spec{Arch: arch, Promises: set, Deny: deny, Pid: testPid}
				nUncond := 0
				for nr := uint32(0); nr <= tab.Max()+1; nr++ {
					name, known := tab.Name(nr)
					rs := specRules(s, name)
					want := known && unconditional(rs)
					if got := constAllow(p.Raw, int32(nr), tab.AuditArch); got != want {
						t.Errorf("%s %q: kernel action cache would see %s (nr %d) as always-allowed=%v, want %v", arch, set, name, nr, got, want)
					}
					for _, fa := range foreignArches {
						if fa != tab.AuditArch && constAllow(p.Raw, int32(nr), fa) {
							t.Errorf("%s %q: nr %d always allowed for arch %#x", arch, set, nr, fa)
						}
					}
					if tab.X32SyscallBit != 0 && constAllow(p.Raw, int32(nr|tab.X32SyscallBit), tab.AuditArch) {
						t.Errorf("%s %q: x32 nr %d always allowed", arch, set, nr)
					}
					if !want && len(rs) > 0 {
						continue // argument checks are expected on this path
					}
					if want {
						nUncond++
					}
					_, path, err := Trace(p, Data{Nr: int32(nr), Arch: tab.AuditArch, Args: [6]uint64{1, 2, 3, 4, 5, 6}})
					if err != nil {
						t.Fatal(err)
					}
					for _, st := range path {
						if st.Ins.Op&0x07 == clsLD && (st.Ins.Op != opLdAbsW || (st.Ins.K != offNr && st.Ins.K != offArch)) {
							t.Errorf("%s %q: path of %s (nr %d, %s) executes %v at %d", arch, set, name, nr,
								map[bool]string{true: "always allowed", false: "denied"}[want], st.Ins.Disassemble(), st.PC)
						}
					}
				}
				if set.Has(promises.Stdio) && nUncond < 20 {
					t.Errorf("%s %q: only %d unconditionally allowed syscalls; the test would prove little", arch, set, nUncond)
				}
			}
		}
	}
}
