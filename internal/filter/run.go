package filter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// Data is struct seccomp_data: what a filter sees of one system call.
type Data struct {
	Nr   int32
	Arch uint32
	IP   uint64
	Args [6]uint64
}

// Bytes returns d as the kernel lays it out on a little-endian machine
// (amd64, arm64): 64 bytes.
func (d Data) Bytes() []byte {
	b := make([]byte, dataLen)
	binary.LittleEndian.PutUint32(b[offNr:], uint32(d.Nr))
	binary.LittleEndian.PutUint32(b[offArch:], d.Arch)
	binary.LittleEndian.PutUint64(b[offIP:], d.IP)
	for i, a := range d.Args {
		binary.LittleEndian.PutUint64(b[offArgs+8*i:], a)
	}
	return b
}

// VMInput returns d for golang.org/x/net/bpf's VM: the little-endian
// seccomp_data with each 32-bit word byte-swapped. The VM decodes 32-bit
// loads as big-endian; after the swap, every aligned 32-bit load (the only
// kind seccomp allows) sees the value the kernel's load would.
func (d Data) VMInput() []byte {
	b := d.Bytes()
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return b
}

// ErrRun is wrapped by the errors Run returns: the program did something
// the kernel would not have accepted or cannot finish.
var ErrRun = errors.New("cannot run program")

// Step is one executed instruction, as traced by Trace.
type Step struct {
	PC  int
	Ins bpf.RawInstruction
}

// Run executes p on d the way the kernel runs an accepted seccomp filter
// (little-endian seccomp_data) and returns the return value and how many
// instructions were executed, the return included. It implements exactly the
// instructions seccomp accepts; anything else is an error, as are jumps out
// of the program and running off its end.
func Run(p *Program, d Data) (ret uint32, executed int, err error) {
	ret, steps, err := run(p.Raw, d, nil)
	return ret, steps, err
}

// Trace is Run that also returns the executed instructions in order.
func Trace(p *Program, d Data) (ret uint32, path []Step, err error) {
	var tr []Step
	ret, _, err = run(p.Raw, d, &tr)
	return ret, tr, err
}

func run(prog []bpf.RawInstruction, d Data, trace *[]Step) (uint32, int, error) {
	in := d.Bytes()
	var a, x uint32
	var mem [16]uint32
	steps := 0
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		steps++
		if trace != nil {
			*trace = append(*trace, Step{pc, ins})
		}
		if steps > len(prog) {
			return 0, steps, fmt.Errorf("filter: run: more steps than instructions at %d: %w", pc, ErrRun)
		}
		k := ins.K
		bad := func(why string) error {
			return fmt.Errorf("filter: run: instruction %d (op %#04x k %#x): %s: %w", pc, ins.Op, k, why, ErrRun)
		}
		jmp := func(off int) error {
			if pc+1+off >= len(prog) {
				return bad("jump out of the program")
			}
			pc += off
			return nil
		}
		switch ins.Op {
		case clsLD | szW | modeABS:
			if k >= dataLen || k&3 != 0 {
				return 0, steps, bad("load offset out of seccomp_data or misaligned")
			}
			a = binary.LittleEndian.Uint32(in[k:])
		case clsLD | szW | modeLEN:
			a = dataLen
		case clsLDX | szW | modeLEN:
			x = dataLen
		case clsLD | modeIMM:
			a = k
		case clsLDX | modeIMM:
			x = k
		case clsLD | modeMEM, clsLDX | modeMEM, clsST, clsSTX:
			if k >= 16 {
				return 0, steps, bad("scratch slot out of range")
			}
			switch ins.Op {
			case clsLD | modeMEM:
				a = mem[k]
			case clsLDX | modeMEM:
				x = mem[k]
			case clsST:
				mem[k] = a
			case clsSTX:
				mem[k] = x
			}
		case clsMISC | miscTAX:
			x = a
		case clsMISC | miscTXA:
			a = x
		case clsALU | aluNEG:
			a = -a
		case clsRET | retK:
			return k, steps, nil
		case clsRET | retA:
			return a, steps, nil
		case clsJMP | jmpJA:
			if uint64(pc)+1+uint64(k) >= uint64(len(prog)) {
				return 0, steps, bad("jump out of the program")
			}
			pc += int(k)
		default:
			switch ins.Op & 0x07 {
			case clsALU:
				v := k
				if ins.Op&srcX != 0 {
					v = x
				}
				switch ins.Op &^ srcX {
				case clsALU | aluADD:
					a += v
				case clsALU | aluSUB:
					a -= v
				case clsALU | aluMUL:
					a *= v
				case clsALU | aluDIV:
					if v == 0 {
						// The kernel ends the program with 0 (KILL_THREAD).
						return 0, steps, bad("division by zero")
					}
					a /= v
				case clsALU | aluAND:
					a &= v
				case clsALU | aluOR:
					a |= v
				case clsALU | aluXOR:
					a ^= v
				case clsALU | aluLSH:
					a <<= v & 31
				case clsALU | aluRSH:
					a >>= v & 31
				default:
					return 0, steps, bad("ALU operation seccomp refuses")
				}
			case clsJMP:
				v := k
				if ins.Op&srcX != 0 {
					v = x
				}
				var t bool
				switch ins.Op &^ srcX {
				case clsJMP | jmpJEQ:
					t = a == v
				case clsJMP | jmpJGT:
					t = a > v
				case clsJMP | jmpJGE:
					t = a >= v
				case clsJMP | jmpJSET:
					t = a&v != 0
				default:
					return 0, steps, bad("jump seccomp refuses")
				}
				off := int(ins.Jf)
				if t {
					off = int(ins.Jt)
				}
				if err := jmp(off); err != nil {
					return 0, steps, err
				}
			default:
				return 0, steps, bad("instruction seccomp refuses")
			}
		}
	}
	return 0, steps, fmt.Errorf("filter: run: fell off the end of the program: %w", ErrRun)
}
