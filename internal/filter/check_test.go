package filter

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/net/bpf"
)

func ri(op uint16, jt, jf uint8, k uint32) bpf.RawInstruction {
	return bpf.RawInstruction{Op: op, Jt: jt, Jf: jf, K: k}
}

var (
	retAllow = ri(opRetK, 0, 0, RetAllow)
)

// checkRejects are programs the kernel refuses, with the index Check must
// name and a word of its reason. The kernel test loads each of them too.
var checkRejects = []struct {
	name   string
	prog   []bpf.RawInstruction
	index  int
	reason string
}{
	{"empty", nil, -1, "length 0"},
	{"too long", make4097(), -1, "length 4097"},
	{"byte load", []bpf.RawInstruction{ri(clsLD|szB|modeABS, 0, 0, 0), retAllow}, 0, "byte and half-word"},
	{"half-word load", []bpf.RawInstruction{ri(clsLD|szH|modeABS, 0, 0, 4), retAllow}, 0, "byte and half-word"},
	{"indirect load", []bpf.RawInstruction{ri(clsLD|szW|modeIND, 0, 0, 0), retAllow}, 0, "indirect"},
	{"ldx msh", []bpf.RawInstruction{ri(clsLDX|szB|modeMSH, 0, 0, 0), retAllow}, 0, "MSH"},
	{"mod", []bpf.RawInstruction{ri(clsALU|aluMOD|srcK, 0, 0, 3), retAllow}, 0, "BPF_MOD"},
	{"extension", []bpf.RawInstruction{ri(opLdAbsW, 0, 0, 0xfffff000+4), retAllow}, 0, "inside the 64-byte"},
	{"misaligned load", []bpf.RawInstruction{ri(opLdAbsW, 0, 0, 2), retAllow}, 0, "4-aligned"},
	{"load past seccomp_data", []bpf.RawInstruction{ri(opLdAbsW, 0, 0, 64), retAllow}, 0, "inside the 64-byte"},
	{"division by zero", []bpf.RawInstruction{ri(clsALU|aluDIV|srcK, 0, 0, 0), retAllow}, 0, "division"},
	{"shift by 32", []bpf.RawInstruction{ri(clsALU|aluLSH|srcK, 0, 0, 32), retAllow}, 0, "shift"},
	{"scratch slot 16", []bpf.RawInstruction{ri(clsST, 0, 0, 16), retAllow}, 0, "slot"},
	{"ja past end", []bpf.RawInstruction{ri(opJA, 0, 0, 1), retAllow}, 0, "past the end"},
	{"jeq past end", []bpf.RawInstruction{ri(opJEQK, 0, 1, 0), retAllow}, 0, "past the end"},
	{"last not ret", []bpf.RawInstruction{retAllow, ri(opLdAbsW, 0, 0, 0)}, 1, "last instruction"},
	{"scratch read unwritten on one path", []bpf.RawInstruction{
		ri(opLdAbsW, 0, 0, 0),
		ri(opJEQK, 0, 1, 1), // nr == 1: store, else skip the store
		ri(clsST, 0, 0, 3),
		ri(clsLD|modeMEM, 0, 0, 3),
		retAllow,
	}, 3, "scratch slot 3"},
	{"unknown opcode", []bpf.RawInstruction{ri(0xff, 0, 0, 0), retAllow}, 0, "not allowed"},
	{"jeq with X class bits", []bpf.RawInstruction{ri(clsJMP|0x50, 0, 0, 0), retAllow}, 0, "not allowed"},
}

func make4097() []bpf.RawInstruction {
	p := make([]bpf.RawInstruction, 4097)
	for i := range p {
		p[i] = retAllow
	}
	return p
}

// checkAccepts are programs the kernel loads; each returns ALLOW for every
// call, so the kernel test can install them harmlessly.
var checkAccepts = []struct {
	name string
	prog []bpf.RawInstruction
}{
	{"ret allow", []bpf.RawInstruction{retAllow}},
	{"all seccomp opcodes", []bpf.RawInstruction{
		ri(opLdAbsW, 0, 0, 60),
		ri(clsLD|szW|modeLEN, 0, 0, 0),
		ri(clsLDX|szW|modeLEN, 0, 0, 0),
		ri(clsLD|modeIMM, 0, 0, 5),
		ri(clsLDX|modeIMM, 0, 0, 7),
		ri(clsST, 0, 0, 0),
		ri(clsSTX, 0, 0, 15),
		ri(clsLD|modeMEM, 0, 0, 0),
		ri(clsLDX|modeMEM, 0, 0, 15),
		ri(clsALU|aluADD|srcK, 0, 0, 1), ri(clsALU|aluADD|srcX, 0, 0, 0),
		ri(clsALU|aluSUB|srcK, 0, 0, 1), ri(clsALU|aluSUB|srcX, 0, 0, 0),
		ri(clsALU|aluMUL|srcK, 0, 0, 3), ri(clsALU|aluMUL|srcX, 0, 0, 0),
		ri(clsALU|aluDIV|srcK, 0, 0, 3), ri(clsALU|aluDIV|srcX, 0, 0, 0),
		ri(clsALU|aluAND|srcK, 0, 0, 0xff), ri(clsALU|aluAND|srcX, 0, 0, 0),
		ri(clsALU|aluOR|srcK, 0, 0, 1), ri(clsALU|aluOR|srcX, 0, 0, 0),
		ri(clsALU|aluXOR|srcK, 0, 0, 1), ri(clsALU|aluXOR|srcX, 0, 0, 0),
		ri(clsALU|aluLSH|srcK, 0, 0, 31), ri(clsALU|aluLSH|srcX, 0, 0, 0),
		ri(clsALU|aluRSH|srcK, 0, 0, 31), ri(clsALU|aluRSH|srcX, 0, 0, 0),
		ri(clsALU|aluNEG, 0, 0, 0),
		ri(clsMISC|miscTAX, 0, 0, 0),
		ri(clsMISC|miscTXA, 0, 0, 0),
		ri(opJA, 0, 0, 0),
		ri(opJEQK, 0, 0, 1), ri(clsJMP|jmpJEQ|srcX, 0, 0, 0),
		ri(opJGEK, 0, 0, 1), ri(clsJMP|jmpJGE|srcX, 0, 0, 0),
		ri(clsJMP|jmpJGT|srcK, 0, 0, 1), ri(clsJMP|jmpJGT|srcX, 0, 0, 0),
		ri(opJSETK, 0, 0, 1), ri(clsJMP|jmpJSET|srcX, 0, 0, 0),
		retAllow,
	}},
	{"scratch written on every path", []bpf.RawInstruction{
		ri(opLdAbsW, 0, 0, 0),
		ri(opJEQK, 0, 2, 1),
		ri(clsST, 0, 0, 3),
		ri(opJA, 0, 0, 1),
		ri(clsST, 0, 0, 3),
		ri(clsLD|modeMEM, 0, 0, 3),
		retAllow,
	}},
	{"ret A", []bpf.RawInstruction{ri(clsLD|modeIMM, 0, 0, RetAllow), ri(clsRET|retA, 0, 0, 0)}},
	{"4096 instructions", make4096()},
}

func make4096() []bpf.RawInstruction {
	p := make4097()[:4096]
	p[0] = ri(opJA, 0, 0, 4094) // jump to the last instruction
	return p
}

func TestCheckRejects(t *testing.T) {
	for _, c := range checkRejects {
		err := Check(c.prog)
		if err == nil {
			t.Errorf("%s: Check accepted it", c.name)
			continue
		}
		var ce *CheckError
		if !errors.As(err, &ce) || !errors.Is(err, ErrRejected) {
			t.Errorf("%s: error %v is not a *CheckError wrapping ErrRejected", c.name, err)
			continue
		}
		if ce.Index != c.index || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: got index %d, %q; want index %d, reason containing %q", c.name, ce.Index, err, c.index, c.reason)
		}
	}
}

func TestCheckAccepts(t *testing.T) {
	for _, c := range checkAccepts {
		if err := Check(c.prog); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		// Every accepted program runs in Run; they all answer ALLOW.
		ret, _, err := run(c.prog, Data{Nr: 1, Args: [6]uint64{1, 2, 3}}, nil)
		if err != nil || ret != RetAllow {
			t.Errorf("%s: run = %#x, %v; want ALLOW", c.name, ret, err)
		}
	}
}

func TestValidReturns(t *testing.T) {
	for _, v := range []uint32{RetKillThread, RetErrno, RetErrno | 4096, 0x12340000, RetLog | 1} {
		if err := ValidReturns([]bpf.RawInstruction{ri(opRetK, 0, 0, v)}); err == nil {
			t.Errorf("ValidReturns accepted ret %#x", v)
		}
	}
	if err := ValidReturns([]bpf.RawInstruction{ri(clsRET|retA, 0, 0, 0)}); err == nil {
		t.Error("ValidReturns accepted ret A")
	}
	for _, v := range []uint32{RetKillProcess, RetTrap, RetErrno | 1, RetErrno | MaxErrno, RetUserNotif, RetTrace | 5, RetLog, RetAllow} {
		if err := ValidReturns([]bpf.RawInstruction{ri(opRetK, 0, 0, v)}); err != nil {
			t.Errorf("ValidReturns(ret %#x): %v", v, err)
		}
	}
}
