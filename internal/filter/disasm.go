package filter

import (
	"fmt"
	"strings"

	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/syscalls"
)

// linuxErrnos names the errnos a pledgekit program typically returns (the
// values are the same on amd64 and arm64), indexed by errno.
var linuxErrnos = [...]string{
	1: "EPERM", 2: "ENOENT", 9: "EBADF", 13: "EACCES", 14: "EFAULT", 22: "EINVAL",
	25: "ENOTTY", 38: "ENOSYS", 93: "EPROTONOSUPPORT", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT",
}

// ActionString names a seccomp return value: "ALLOW", "ERRNO(38 ENOSYS)",
// "KILL_PROCESS", ...
func ActionString(v uint32) string {
	data := v & RetData
	switch v & RetActionFull {
	case RetKillProcess:
		return "KILL_PROCESS"
	case RetKillThread:
		return "KILL_THREAD"
	case RetTrap:
		return fmt.Sprintf("TRAP(%d)", data)
	case RetErrno:
		if data < uint32(len(linuxErrnos)) && linuxErrnos[data] != "" {
			n := linuxErrnos[data]
			return fmt.Sprintf("ERRNO(%d %s)", data, n)
		}
		return fmt.Sprintf("ERRNO(%d)", data)
	case RetUserNotif:
		return "USER_NOTIF"
	case RetTrace:
		return fmt.Sprintf("TRACE(%d)", data)
	case RetLog:
		return "LOG"
	case RetAllow:
		return "ALLOW"
	}
	return fmt.Sprintf("%#x", v)
}

func fieldName(off uint32) string {
	switch {
	case off == offNr:
		return "nr"
	case off == offArch:
		return "arch"
	case off == offIP:
		return "ip.lo"
	case off == offIP+4:
		return "ip.hi"
	case off >= offArgs && off < dataLen:
		half := "lo"
		if (off-offArgs)%8 == 4 {
			half = "hi"
		}
		return fmt.Sprintf("arg%d.%s", (off-offArgs)/8, half)
	}
	return "?"
}

// Disassemble lists p one instruction a line, with absolute jump targets
// and comments naming the loaded field, the syscall a comparison of the
// number refers to, and the action of each return.
func Disassemble(p *Program) string {
	return disasm(p.Raw, p.Arch)
}

func disasm(raw []bpf.RawInstruction, arch string) string {
	tab, _ := syscalls.ByArch(arch)
	// loaded[pc] is the offset of the load A holds at pc, or -1 if unknown
	// or modified (by an ALU op) on some path.
	const unknown, unset = -1, -2
	loaded := make([]int, len(raw)+1)
	for i := range loaded {
		loaded[i] = unset
	}
	if len(raw) > 0 {
		loaded[0] = unknown
	}
	flow := func(to, v int) {
		if to >= len(loaded) {
			return
		}
		if loaded[to] == unset {
			loaded[to] = v
		} else if loaded[to] != v {
			loaded[to] = unknown
		}
	}
	var b strings.Builder
	for pc, ins := range raw {
		cur := loaded[pc]
		after := cur
		var text, note string
		switch {
		case ins.Op == opLdAbsW:
			text = fmt.Sprintf("ld [%d]", ins.K)
			note = fieldName(ins.K)
			after = int(ins.K)
		case ins.Op == opAndK:
			text = fmt.Sprintf("and #%#x", ins.K)
			after = unknown
			if cur >= 0 {
				after = cur | 1<<16 // masked load: same field, not comparable to nr
			}
		case ins.Op == opRetK:
			text = fmt.Sprintf("ret #%#x", ins.K)
			note = ActionString(ins.K)
		case ins.Op == opJA:
			text = fmt.Sprintf("ja %d", pc+1+int(ins.K))
			flow(pc+1+int(ins.K), cur)
		case ins.Op&0x07 == clsJMP && ins.Op&srcX == 0:
			name := map[uint16]string{jmpJEQ: "jeq", jmpJGT: "jgt", jmpJGE: "jge", jmpJSET: "jset"}[ins.Op&0xf0]
			text = fmt.Sprintf("%s #%#x, %d, %d", name, ins.K, pc+1+int(ins.Jt), pc+1+int(ins.Jf))
			switch {
			case cur == offArch:
				note = archName(ins.K)
			case cur == offNr && tab != nil:
				note = nrNote(tab, ins.Op&0xf0, ins.K)
			}
			flow(pc+1+int(ins.Jt), cur)
			flow(pc+1+int(ins.Jf), cur)
		default:
			// Not emitted by Compile; print x/net/bpf's rendering.
			text = fmt.Sprint(ins.Disassemble())
			after = unknown
		}
		if ins.Op&0x07 != clsJMP && ins.Op&0x07 != clsRET {
			flow(pc+1, after)
		}
		line := fmt.Sprintf("%4d: %s", pc, text)
		if note != "" {
			line = fmt.Sprintf("%-36s ; %s", line, note)
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func archName(v uint32) string {
	switch v {
	case 0xc000003e:
		return "AUDIT_ARCH_X86_64"
	case 0xc00000b7:
		return "AUDIT_ARCH_AARCH64"
	case 0x40000003:
		return "AUDIT_ARCH_I386"
	}
	return ""
}

func nrNote(tab *syscalls.Table, op uint16, k uint32) string {
	name := func(nr uint32) string {
		if n, ok := tab.Name(nr); ok {
			return n
		}
		return fmt.Sprint(nr)
	}
	switch op {
	case jmpJEQ:
		return "nr == " + name(k)
	case jmpJGE:
		return "nr >= " + name(k)
	case jmpJGT:
		return "nr > " + name(k)
	}
	return ""
}
