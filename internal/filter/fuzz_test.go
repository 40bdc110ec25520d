package filter

import (
	"encoding/binary"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/promises"
)

// FuzzCompileAgree compiles a random promise set for a random arch and deny
// action, checks it passes Check, and runs one random call in the VM and in
// Run against Reference.
func FuzzCompileAgree(f *testing.F) {
	f.Add(uint64(0), uint8(0), uint8(0), uint32(0), uint32(0xc000003e), uint64(0), uint64(0), uint64(0))
	f.Add(uint64(1), uint8(1), uint8(1), uint32(64), uint32(0xc00000b7), uint64(1), uint64(2), uint64(3))
	f.Add(uint64(promises.MustParse("stdio inet dns")), uint8(0), uint8(2), uint32(41), uint32(0xc000003e), uint64(2|1<<32), uint64(1), uint64(0))
	f.Add(uint64(promises.MustParse("stdio unix")), uint8(0), uint8(0), uint32(41), uint32(0xc000003e), uint64(16|1<<32), uint64(3), uint64(0))
	f.Add(uint64(1<<40-1), uint8(1), uint8(3), uint32(0x40000001), uint32(0xc00000b7), uint64(0), uint64(0), uint64(0))
	f.Add(uint64(1<<40-1), uint8(0), uint8(4), uint32(0x40000001), uint32(0xc000003e), uint64(0), uint64(0), uint64(0))
	f.Add(uint64(3), uint8(0), uint8(5), uint32(1), uint32(0x40000003), uint64(0), uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, set uint64, archSel, denySel uint8, nr, audit uint32, a0, a1, a2 uint64) {
		arch := arches[int(archSel)%len(arches)]
		denies := []uint32{RetErrno | EPERM, RetKillProcess, RetLog, RetErrno | ENOSYS, RetTrap, RetUserNotif, 0}
		deny := denies[int(denySel)%len(denies)]
		s := promises.Set(set) & allPromises()
		p := compileCached(t, arch, s, deny)
		checkProgram(t, p)
		tab := table(t, arch)
		if audit&1 == 0 {
			audit = tab.AuditArch // mostly native calls
		}
		d := Data{Nr: int32(nr), Arch: audit, Args: [6]uint64{a0, a1, a2, a0 ^ a1, a1 >> 32, a2 << 32}}
		agree(t, newVM(t, p), p, Spec{Arch: arch, Promises: s, Deny: deny, Pid: testPid}, d)
		if n := uint32(nr) % (tab.Max() + 2); true {
			d.Nr, d.Arch = int32(n), tab.AuditArch
			agree(t, newVM(t, p), p, Spec{Arch: arch, Promises: s, Deny: deny, Pid: testPid}, d)
		}
	})
}

// FuzzCheckRun feeds arbitrary raw programs to Check; whatever Check
// accepts must run in Run without error (except a division by a zero X,
// which the kernel also stops at run time), and must give the VM's answer
// (programs with NEG, which the VM lacks, or with shifts by X, which it does
// not mask to 5 bits, are not compared). Disassembly must never panic.
func FuzzCheckRun(f *testing.F) {
	enc := func(prog []bpf.RawInstruction) []byte {
		var b []byte
		for _, ri := range prog {
			b = binary.LittleEndian.AppendUint16(b, ri.Op)
			b = append(b, ri.Jt, ri.Jf)
			b = binary.LittleEndian.AppendUint32(b, ri.K)
		}
		return b
	}
	for _, c := range checkAccepts {
		if len(c.prog) < 100 {
			f.Add(enc(c.prog), []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"))
		}
	}
	for _, c := range checkRejects {
		if len(c.prog) < 100 {
			f.Add(enc(c.prog), make([]byte, 64))
		}
	}
	f.Fuzz(func(t *testing.T, code, data []byte) {
		var prog []bpf.RawInstruction
		for len(code) >= 8 && len(prog) < 64 {
			prog = append(prog, bpf.RawInstruction{
				Op: binary.LittleEndian.Uint16(code), Jt: code[2], Jf: code[3], K: binary.LittleEndian.Uint32(code[4:]),
			})
			code = code[8:]
		}
		_ = disasm(prog, "amd64")
		if len(code) == 1 {
			// One spare byte: end the program with "ret A", so that more
			// inputs pass Check and get run.
			prog = append(prog, bpf.RawInstruction{Op: clsRET | retA})
		}
		if Check(prog) != nil {
			return
		}
		var d Data
		buf := make([]byte, 64)
		copy(buf, data)
		d.Nr = int32(binary.LittleEndian.Uint32(buf[0:]))
		d.Arch = binary.LittleEndian.Uint32(buf[4:])
		d.IP = binary.LittleEndian.Uint64(buf[8:])
		for i := range d.Args {
			d.Args[i] = binary.LittleEndian.Uint64(buf[16+8*i:])
		}
		got, _, err := run(prog, d, nil)
		if err != nil {
			for _, ri := range prog {
				if ri.Op == clsALU|aluDIV|srcX {
					return
				}
			}
			t.Fatalf("Check accepted a program Run cannot run: %v\n%s", err, disasm(prog, "amd64"))
		}
		insns := make([]bpf.Instruction, len(prog))
		for i, ri := range prog {
			insns[i] = ri.Disassemble()
			switch ri.Op {
			case clsALU | aluNEG:
				return // not implemented by the VM
			case clsALU | aluLSH | srcX, clsALU | aluRSH | srcX:
				return // the VM does not mask the shift width to 5 bits as the kernel does (golang/go#80215)
			case clsLDX | szW | modeLEN:
				return // x/net/bpf decodes "ldx #len" as LoadExtension{ExtLen}, a load into A; the kernel loads X
			}
		}
		vm, err := bpf.NewVM(insns)
		if err != nil {
			t.Fatalf("VM refuses a program Check accepts: %v\n%s", err, disasm(prog, "amd64"))
		}
		v, err := vm.Run(d.VMInput())
		if err != nil {
			t.Fatalf("VM: %v", err)
		}
		if uint32(v) != got {
			t.Fatalf("Run %#x, VM %#x\n%s", got, v, disasm(prog, "amd64"))
		}
	})
}
