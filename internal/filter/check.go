package filter

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// ErrRejected is wrapped by every error Check returns.
var ErrRejected = errors.New("the kernel would reject this seccomp program")

// CheckError names the instruction the kernel would refuse, and why.
type CheckError struct {
	Index  int // instruction index, or -1 for the program as a whole
	Op     uint16
	K      uint32
	Reason string
}

func (e *CheckError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("filter: check: %s", e.Reason)
	}
	return fmt.Sprintf("filter: check: instruction %d (op %#04x k %#x): %s", e.Index, e.Op, e.K, e.Reason)
}

func (e *CheckError) Unwrap() error { return ErrRejected }

// seccompOpOK holds, indexed by opcode (every accepted opcode is below
// 0x100), the opcodes seccomp_check_filter (kernel/seccomp.c) accepts. It
// is a subset of what bpf_check_classic (net/core/filter.c) accepts: no
// byte or half-word loads, no indirect loads, no LDX MSH, no MOD, no
// ancillary (SKF_AD_*) loads. An array literal: static data, no start-up
// code.
var seccompOpOK = [0x100]bool{
	clsLD | szW | modeABS: true,
	clsLD | szW | modeLEN: true, clsLDX | szW | modeLEN: true,
	clsRET | retK: true, clsRET | retA: true,
	clsALU | aluADD | srcK: true, clsALU | aluADD | srcX: true,
	clsALU | aluSUB | srcK: true, clsALU | aluSUB | srcX: true,
	clsALU | aluMUL | srcK: true, clsALU | aluMUL | srcX: true,
	clsALU | aluDIV | srcK: true, clsALU | aluDIV | srcX: true,
	clsALU | aluAND | srcK: true, clsALU | aluAND | srcX: true,
	clsALU | aluOR | srcK: true, clsALU | aluOR | srcX: true,
	clsALU | aluXOR | srcK: true, clsALU | aluXOR | srcX: true,
	clsALU | aluLSH | srcK: true, clsALU | aluLSH | srcX: true,
	clsALU | aluRSH | srcK: true, clsALU | aluRSH | srcX: true,
	clsALU | aluNEG: true,
	clsLD | modeIMM: true, clsLDX | modeIMM: true,
	clsMISC | miscTAX: true, clsMISC | miscTXA: true,
	clsLD | modeMEM: true, clsLDX | modeMEM: true,
	clsST: true, clsSTX: true,
	clsJMP | jmpJA:         true,
	clsJMP | jmpJEQ | srcK: true, clsJMP | jmpJEQ | srcX: true,
	clsJMP | jmpJGE | srcK: true, clsJMP | jmpJGE | srcX: true,
	clsJMP | jmpJGT | srcK: true, clsJMP | jmpJGT | srcX: true,
	clsJMP | jmpJSET | srcK: true, clsJMP | jmpJSET | srcX: true,
}

// Check mirrors the kernel's checks of a seccomp filter when it is loaded
// (bpf_check_basics_ok, bpf_check_classic with check_load_and_stores, and
// seccomp_check_filter): length 1..4096; only the opcodes seccomp accepts;
// 32-bit absolute loads only, 4-aligned and inside seccomp_data (64 bytes);
// no division by a zero constant; constant shifts below 32; scratch slots
// 0..15, never read before written on every path; jumps inside the program;
// the last instruction a return. It returns a *CheckError (wrapping
// ErrRejected) naming the first offending instruction.
//
// Check does not judge return values; ValidReturns does.
func Check(raw []bpf.RawInstruction) error {
	n := len(raw)
	if n == 0 || n > MaxInsns {
		return &CheckError{Index: -1, Reason: fmt.Sprintf("length %d outside 1..%d", n, MaxInsns)}
	}
	for pc, ins := range raw {
		bad := func(why string) error { return &CheckError{Index: pc, Op: ins.Op, K: ins.K, Reason: why} }
		if ins.Op >= uint16(len(seccompOpOK)) || !seccompOpOK[ins.Op] {
			return bad(opRefusal(ins.Op))
		}
		switch ins.Op {
		case clsLD | szW | modeABS:
			if ins.K >= dataLen || ins.K&3 != 0 {
				return bad(fmt.Sprintf("load offset %d is not a 4-aligned offset inside the 64-byte seccomp_data", ins.K))
			}
		case clsALU | aluDIV | srcK:
			if ins.K == 0 {
				return bad("division by constant zero")
			}
		case clsALU | aluLSH | srcK, clsALU | aluRSH | srcK:
			if ins.K >= 32 {
				return bad("shift by 32 or more")
			}
		case clsLD | modeMEM, clsLDX | modeMEM, clsST, clsSTX:
			if ins.K >= 16 {
				return bad("scratch memory slot outside 0..15")
			}
		case clsJMP | jmpJA:
			if uint64(ins.K) >= uint64(n-pc-1) {
				return bad("ja jumps past the end of the program")
			}
		default:
			if ins.Op&0x07 == clsJMP {
				if pc+int(ins.Jt)+1 >= n || pc+int(ins.Jf)+1 >= n {
					return bad("conditional jump past the end of the program")
				}
			}
		}
	}
	if last := raw[n-1]; last.Op != clsRET|retK && last.Op != clsRET|retA {
		return &CheckError{Index: n - 1, Op: last.Op, K: last.K, Reason: "the last instruction is not a return"}
	}
	return checkScratch(raw)
}

// checkScratch mirrors check_load_and_stores: a scratch slot may be read
// only if it was written on every path to the read. Like the kernel, it
// walks the program in order, and after a return carries the state of the
// instruction before it.
func checkScratch(raw []bpf.RawInstruction) error {
	masks := make([]uint16, len(raw))
	for i := range masks {
		masks[i] = 0xffff
	}
	var valid uint16
	for pc, ins := range raw {
		valid &= masks[pc]
		switch {
		case ins.Op == clsST || ins.Op == clsSTX:
			valid |= 1 << ins.K
		case ins.Op == clsLD|modeMEM || ins.Op == clsLDX|modeMEM:
			if valid&(1<<ins.K) == 0 {
				return &CheckError{Index: pc, Op: ins.Op, K: ins.K, Reason: fmt.Sprintf("reads scratch slot %d, which is not written on every path here", ins.K)}
			}
		case ins.Op == clsJMP|jmpJA:
			masks[pc+1+int(ins.K)] &= valid
			valid = 0xffff
		case ins.Op&0x07 == clsJMP:
			masks[pc+1+int(ins.Jt)] &= valid
			masks[pc+1+int(ins.Jf)] &= valid
			valid = 0xffff
		}
	}
	return nil
}

func opRefusal(op uint16) string {
	switch op & 0x07 {
	case clsLD, clsLDX:
		switch {
		case op&0x18 == szH || op&0x18 == szB:
			if op&0xe0 == modeMSH && op&0x07 == clsLDX {
				return "LDX MSH (IP header length) is not allowed in seccomp"
			}
			return "byte and half-word loads are not allowed in seccomp (32-bit loads only)"
		case op&0xe0 == modeIND:
			return "indirect loads (LD IND) are not allowed in seccomp"
		}
	case clsALU:
		if op&0xf0 == aluMOD {
			return "BPF_MOD is not allowed in seccomp"
		}
	}
	return fmt.Sprintf("opcode %#04x is not allowed in seccomp", op)
}

// ValidReturns checks every constant return of a program: it must be a
// seccomp action the kernel knows, never SECCOMP_RET_KILL_THREAD (0, which
// wedges a Go process) and never an ERRNO of 0 (fake success) or above
// MaxErrno. Programs that return A are refused, since A is not known
// statically.
func ValidReturns(raw []bpf.RawInstruction) error {
	for pc, ins := range raw {
		switch ins.Op {
		case clsRET | retA:
			return &CheckError{Index: pc, Op: ins.Op, Reason: "returns the accumulator; pledgekit programs return constants"}
		case clsRET | retK:
			if err := validRet(ins.K); err != "" {
				return &CheckError{Index: pc, Op: ins.Op, K: ins.K, Reason: err}
			}
		}
	}
	return nil
}

func validRet(v uint32) string {
	switch v & RetActionFull {
	case RetKillThread:
		return "returns SECCOMP_RET_KILL_THREAD, which wedges Go processes"
	case RetErrno:
		if e := v & RetData; e == 0 || e > MaxErrno {
			return fmt.Sprintf("returns ERRNO(%d); errno must be 1..%d", e, MaxErrno)
		}
	case RetKillProcess, RetTrap, RetTrace, RetAllow:
	case RetUserNotif, RetLog:
		if v&RetData != 0 {
			return "USER_NOTIF/LOG with data"
		}
	default:
		return "not a seccomp action"
	}
	return ""
}
