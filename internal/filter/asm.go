package filter

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Classic BPF opcodes, as the kernel spells them (linux/bpf_common.h,
// linux/filter.h). Only the ones seccomp accepts are used by the compiler;
// the rest are here so Check and Run can name what they refuse.
const (
	clsLD   = 0x00
	clsLDX  = 0x01
	clsST   = 0x02
	clsSTX  = 0x03
	clsALU  = 0x04
	clsJMP  = 0x05
	clsRET  = 0x06
	clsMISC = 0x07

	szW = 0x00
	szH = 0x08
	szB = 0x10

	modeIMM = 0x00
	modeABS = 0x20
	modeIND = 0x40
	modeMEM = 0x60
	modeLEN = 0x80
	modeMSH = 0xa0

	aluADD = 0x00
	aluSUB = 0x10
	aluMUL = 0x20
	aluDIV = 0x30
	aluOR  = 0x40
	aluAND = 0x50
	aluLSH = 0x60
	aluRSH = 0x70
	aluNEG = 0x80
	aluMOD = 0x90
	aluXOR = 0xa0

	jmpJA   = 0x00
	jmpJEQ  = 0x10
	jmpJGT  = 0x20
	jmpJGE  = 0x30
	jmpJSET = 0x40

	srcK = 0x00
	srcX = 0x08

	retK = 0x00
	retA = 0x10

	miscTAX = 0x00
	miscTXA = 0x80

	opLdAbsW = clsLD | szW | modeABS
	opAndK   = clsALU | aluAND | srcK
	opJA     = clsJMP | jmpJA
	opJEQK   = clsJMP | jmpJEQ | srcK
	opJGEK   = clsJMP | jmpJGE | srcK
	opJSETK  = clsJMP | jmpJSET | srcK
	opRetK   = clsRET | retK
)

// label names a position in the program being assembled. Labels are only
// ever jumped to forward (classic BPF has no backward jumps).
type label int32

// item is one element of the assembler's list: an instruction, or (op < 0)
// the definition of a label at this point. It is 16 bytes: programs have
// over a thousand items.
type item struct {
	op int16 // raw opcode, or -1 for a label definition
	// needT/needF: the true/false branch is too far for an 8-bit offset and
	// goes through a trampoline placed right after the jump.
	needT, needF bool
	k            uint32
	// a is the true target of a conditional jump, the target of a ja, or
	// the label a definition binds; b is the false target of a
	// conditional jump.
	a, b label
}

// asm is a tiny label assembler for classic BPF. The compiler appends
// instructions and label definitions in program order; resolve lays them
// out, and where a conditional branch is longer than 255 instructions (jt
// and jf are 8-bit) it inserts a trampoline right after the jump: a copy of
// the target if the target is a return, else a ja (32-bit offset). Layout is
// iterated until no branch is too long; since trampolines only ever get
// added, this terminates.
type asm struct {
	items  []item
	labels int
}

func (a *asm) newLabel() label { a.labels++; return label(a.labels) }

func (a *asm) bind(l label) { a.items = append(a.items, item{op: -1, a: l}) }

func (a *asm) stmt(op uint16, k uint32) { a.items = append(a.items, item{op: int16(op), k: k}) }

func (a *asm) ja(to label) { a.items = append(a.items, item{op: opJA, a: to}) }

func (a *asm) jump(op uint16, k uint32, jt, jf label) {
	a.items = append(a.items, item{op: int16(op), k: k, a: jt, b: jf})
}

// ret appends a return of the constant action v.
func (a *asm) ret(v uint32) { a.stmt(opRetK, v) }

func isCondJump(op int16) bool {
	return op >= 0 && op&0x07 == clsJMP && op&0xf0 != jmpJA
}

// resolve assembles the program into raw instructions.
func (a *asm) resolve() ([]bpf.RawInstruction, error) {
	a.dropNullJumps()
	// pos and at are reused across rounds (one allocation).
	buf := make([]int32, len(a.items)+a.labels+1)
	pos, at := buf[:len(a.items)], buf[len(a.items):]
	for round := 0; ; round++ {
		if round > len(a.items)+1 {
			return nil, fmt.Errorf("filter: assembler did not converge (internal error)")
		}
		n, err := a.layout(pos, at)
		if err != nil {
			return nil, err
		}
		changed := false
		for i := range a.items {
			it := &a.items[i]
			if !isCondJump(it.op) {
				continue
			}
			// Offsets count from the instruction after the jump, whatever
			// trampolines follow it.
			base := pos[i] + 1
			if !it.needT && at[it.a]-base > 255 {
				it.needT, changed = true, true
			}
			if !it.needF && at[it.b]-base > 255 {
				it.needF, changed = true, true
			}
		}
		if !changed {
			return a.emit(pos, at, n)
		}
	}
}

func btoi(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// layout assigns each item its instruction index (pos, indexed like
// a.items) and each label the index of the instruction that follows its
// definition (at, indexed by label; -1 marks a label that is not bound).
// It returns the number of instructions.
func (a *asm) layout(pos, at []int32) (int, error) {
	for i := range at {
		at[i] = -1
	}
	n := int32(0)
	for i, it := range a.items {
		pos[i] = n
		if it.op < 0 {
			if it.a < 0 || int(it.a) >= len(at) {
				return 0, fmt.Errorf("filter: label %d was never created (internal error)", it.a)
			}
			if at[it.a] >= 0 {
				return 0, fmt.Errorf("filter: label %d bound twice (internal error)", it.a)
			}
			at[it.a] = n
			continue
		}
		n += 1 + btoi(it.needT) + btoi(it.needF)
	}
	// Every referenced label must be bound, and only forward.
	for i, it := range a.items {
		var refs [2]label
		nref := 0
		switch {
		case isCondJump(it.op):
			refs, nref = [2]label{it.a, it.b}, 2
		case it.op == opJA:
			refs, nref = [2]label{it.a}, 1
		}
		for _, l := range refs[:nref] {
			t := int32(-1)
			if l >= 0 && int(l) < len(at) {
				t = at[l]
			}
			if t < 0 {
				return 0, fmt.Errorf("filter: jump at %d to unbound label %d (internal error)", pos[i], l)
			}
			if t <= pos[i] {
				return 0, fmt.Errorf("filter: backward jump at %d to label %d (internal error)", pos[i], l)
			}
		}
	}
	return int(n), nil
}

func (a *asm) emit(pos, at []int32, n int) ([]bpf.RawInstruction, error) {
	out := make([]bpf.RawInstruction, 0, n)
	// First pass without trampoline contents, so that a trampoline can copy
	// the return instruction its label points at.
	type tramp struct {
		slot   int32
		target int32
	}
	var tramps []tramp
	for i, it := range a.items {
		if it.op < 0 {
			continue
		}
		if int32(len(out)) != pos[i] {
			return nil, fmt.Errorf("filter: layout mismatch at %d (internal error)", pos[i])
		}
		ri := bpf.RawInstruction{Op: uint16(it.op), K: it.k}
		switch {
		case isCondJump(it.op):
			slot := pos[i] + 1
			if it.needT {
				ri.Jt = uint8(slot - (pos[i] + 1))
				tramps = append(tramps, tramp{slot, at[it.a]})
				slot++
			}
			if it.needF {
				ri.Jf = uint8(slot - (pos[i] + 1))
				tramps = append(tramps, tramp{slot, at[it.b]})
				slot++
			}
			if !it.needT {
				ri.Jt = uint8(at[it.a] - (pos[i] + 1))
			}
			if !it.needF {
				ri.Jf = uint8(at[it.b] - (pos[i] + 1))
			}
			out = append(out, ri)
			for j := pos[i] + 1; j < slot; j++ {
				out = append(out, bpf.RawInstruction{}) // filled below
			}
		case it.op == opJA:
			ri.K = uint32(at[it.a] - (pos[i] + 1))
			out = append(out, ri)
		default:
			out = append(out, ri)
		}
	}
	for _, t := range tramps {
		if int(t.target) < len(out) && out[t.target].Op == opRetK {
			out[t.slot] = out[t.target]
		} else {
			out[t.slot] = bpf.RawInstruction{Op: opJA, K: uint32(t.target - (t.slot + 1))}
		}
	}
	return out, nil
}

// dropNullJumps removes each ja whose target is bound right after it (only
// label definitions in between): such a jump is a no-op.
func (a *asm) dropNullJumps() {
	out := a.items[:0]
	for i, it := range a.items {
		if it.op == opJA {
			null := false
			for j := i + 1; j < len(a.items) && a.items[j].op < 0; j++ {
				if a.items[j].a == it.a {
					null = true
					break
				}
			}
			if null {
				continue
			}
		}
		out = append(out, it)
	}
	a.items = out
}
