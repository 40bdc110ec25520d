// Package bpfrun interprets classic BPF seccomp programs and counts the
// instructions each decision executes. It exists so that the benchmark can
// compare programs from different generators (pledgekit, go-seccomp-bpf,
// libseccomp) with one deterministic measure; pledgekit's own interpreter
// is internal to the main module.
package bpfrun

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Insn is one classic BPF instruction (struct sock_filter).
type Insn struct {
	Op     uint16
	Jt, Jf uint8
	K      uint32
}

// Data is the seccomp_data a filter sees.
type Data struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

func (d Data) bytes() [64]byte {
	var b [64]byte
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(d.Nr))
	le.PutUint32(b[4:], d.Arch)
	le.PutUint64(b[8:], d.IP)
	for i, a := range d.Args {
		le.PutUint64(b[16+8*i:], a)
	}
	return b
}

// Classic BPF opcode parts.
const (
	clsLD, clsLDX, clsST, clsSTX, clsALU, clsJMP, clsRET, clsMISC = 0, 1, 2, 3, 4, 5, 6, 7
)

// ErrBad is returned for a program this interpreter (or seccomp) refuses.
var ErrBad = errors.New("bpfrun: unsupported or malformed program")

// Run executes prog on d and returns the seccomp return value and the
// number of instructions executed, the return included.
func Run(prog []Insn, d Data) (ret uint32, steps int, err error) {
	in := d.bytes()
	var a, x uint32
	var mem [16]uint32
	pc := 0
	for steps = 1; ; steps++ {
		if pc < 0 || pc >= len(prog) {
			return 0, steps, fmt.Errorf("%w: pc %d out of range", ErrBad, pc)
		}
		ins := prog[pc]
		pc++
		op := ins.Op
		switch op & 7 {
		case clsLD:
			switch op {
			case 0x20: // ld [k]
				if ins.K > 60 || ins.K%4 != 0 {
					return 0, steps, fmt.Errorf("%w: load at %d", ErrBad, ins.K)
				}
				a = binary.LittleEndian.Uint32(in[ins.K:])
			case 0x00: // ld #k
				a = ins.K
			case 0x60: // ld M[k]
				a = mem[ins.K&15]
			case 0x80: // ld #len
				a = 64
			default:
				return 0, steps, fmt.Errorf("%w: ld op %#x", ErrBad, op)
			}
		case clsLDX:
			switch op {
			case 0x01:
				x = ins.K
			case 0x61:
				x = mem[ins.K&15]
			case 0x81:
				x = 64
			default:
				return 0, steps, fmt.Errorf("%w: ldx op %#x", ErrBad, op)
			}
		case clsST:
			mem[ins.K&15] = a
		case clsSTX:
			mem[ins.K&15] = x
		case clsALU:
			src := ins.K
			if op&0x08 != 0 {
				src = x
			}
			switch op & 0xf0 {
			case 0x00:
				a += src
			case 0x10:
				a -= src
			case 0x20:
				a *= src
			case 0x30:
				if src == 0 {
					return 0, steps, nil
				}
				a /= src
			case 0x40:
				a |= src
			case 0x50:
				a &= src
			case 0x60:
				a <<= src & 31
			case 0x70:
				a >>= src & 31
			case 0x80:
				a = -a
			case 0xa0:
				a ^= src
			default:
				return 0, steps, fmt.Errorf("%w: alu op %#x", ErrBad, op)
			}
		case clsJMP:
			if op == 0x05 { // ja
				pc += int(ins.K)
				continue
			}
			src := ins.K
			if op&0x08 != 0 {
				src = x
			}
			var cond bool
			switch op & 0xf0 {
			case 0x10:
				cond = a == src
			case 0x20:
				cond = a > src
			case 0x30:
				cond = a >= src
			case 0x40:
				cond = a&src != 0
			default:
				return 0, steps, fmt.Errorf("%w: jmp op %#x", ErrBad, op)
			}
			if cond {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case clsRET:
			if op&0x18 == 0x10 {
				return a, steps, nil
			}
			return ins.K, steps, nil
		case clsMISC:
			if op == 0x07 {
				x = a
			} else {
				a = x
			}
		}
	}
}

// Stats are path lengths of a program over a set of inputs.
type Stats struct {
	Max  int
	Mean float64
}

// PathStats runs prog on every input and returns the longest and mean
// number of executed instructions. Inputs are grouped: the mean is taken
// over each group first, then over groups (one group per syscall number).
func PathStats(prog []Insn, groups [][]Data) (Stats, error) {
	var st Stats
	var sum float64
	for _, g := range groups {
		n := 0
		for _, d := range g {
			_, steps, err := Run(prog, d)
			if err != nil {
				return st, err
			}
			st.Max = max(st.Max, steps)
			n += steps
		}
		sum += float64(n) / float64(len(g))
	}
	if len(groups) > 0 {
		st.Mean = sum / float64(len(groups))
	}
	return st, nil
}

// Decode reads struct sock_filter records (8 bytes each, native
// little-endian), as seccomp_export_bpf writes them.
func Decode(b []byte) ([]Insn, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of instructions", ErrBad, len(b))
	}
	out := make([]Insn, len(b)/8)
	for i := range out {
		r := b[8*i:]
		out[i] = Insn{Op: binary.LittleEndian.Uint16(r), Jt: r[2], Jf: r[3], K: binary.LittleEndian.Uint32(r[4:])}
	}
	return out, nil
}

// Encode is the inverse of Decode.
func Encode(p []Insn) []byte {
	b := make([]byte, 8*len(p))
	for i, ins := range p {
		r := b[8*i:]
		binary.LittleEndian.PutUint16(r, ins.Op)
		r[2], r[3] = ins.Jt, ins.Jf
		binary.LittleEndian.PutUint32(r[4:], ins.K)
	}
	return b
}

// ConstAllow reports whether the kernel's action cache (Linux 5.11,
// seccomp_is_const_allow) would mark syscall nr of arch as allowed without
// running prog: it emulates prog knowing only nr and arch and fails at the
// first instruction that needs anything else, as the kernel does.
func ConstAllow(prog []Insn, arch uint32, nr uint32) bool {
	var a uint32
	pc := 0
	for steps := 0; steps <= len(prog); steps++ {
		if pc < 0 || pc >= len(prog) {
			return false
		}
		ins := prog[pc]
		pc++
		switch {
		case ins.Op == 0x20: // ld [k]
			switch ins.K {
			case 0:
				a = nr
			case 4:
				a = arch
			default:
				return false
			}
		case ins.Op == 0x05: // ja
			pc += int(ins.K)
		case ins.Op == 0x15 || ins.Op == 0x25 || ins.Op == 0x35 || ins.Op == 0x45: // jeq/jgt/jge/jset #k
			var cond bool
			switch ins.Op {
			case 0x15:
				cond = a == ins.K
			case 0x25:
				cond = a > ins.K
			case 0x35:
				cond = a >= ins.K
			case 0x45:
				cond = a&ins.K != 0
			}
			if cond {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case ins.Op == 0x54: // and #k
			a &= ins.K
		case ins.Op == 0x06: // ret #k
			return ins.K == 0x7fff0000
		default:
			return false
		}
	}
	return false
}
