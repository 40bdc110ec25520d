package filter

import (
	"github.com/pledgekit/pledgekit/syscalls"
	"golang.org/x/net/bpf"
)

// matching returns an argument vector that satisfies the parts of r (all
// other bits zero).
func matching(r crule) [6]uint64 {
	var args [6]uint64
	for _, p := range r.parts {
		i := (p.off - offArgs) / 8
		shift := 8 * (p.off - offArgs - 8*i) // 0 for the low word, 32 for the high
		args[i] &^= uint64(p.mask) << shift
		args[i] |= uint64(p.val) << shift
	}
	return args
}

func stats(p *Program, tab *syscalls.Table, per map[uint32][]crule, ivs []interval, depth int) Stats {
	st := Stats{Len: len(p.Raw), Ranges: len(ivs), Depth: depth, Worst: longestPath(p.Raw)}
	for _, rs := range per {
		st.Numbers++
		if len(rs[0].parts) > 0 {
			st.Conditional++
		}
	}
	maxNr := tab.Max()
	var sum float64
	for nr := uint32(0); nr <= maxNr+1; nr++ {
		vecs := [][6]uint64{{}}
		for _, r := range per[nr] {
			vecs = append(vecs, matching(r))
		}
		var n int
		for _, a := range vecs {
			_, steps, err := Run(p, Data{Nr: int32(nr), Arch: tab.AuditArch, Args: a})
			if err != nil {
				steps = len(p.Raw) // cannot happen for a compiled program
			}
			st.MaxPath = max(st.MaxPath, steps)
			n += steps
		}
		sum += float64(n) / float64(len(vecs))
	}
	st.MeanPath = sum / float64(maxNr+2)
	return st
}

// longestPath is the most instructions any run of a (checked) program can
// execute: jumps only go forward, so it is a longest path in a DAG.
func longestPath(raw []bpf.RawInstruction) int {
	l := make([]int, len(raw)+1)
	for pc := len(raw) - 1; pc >= 0; pc-- {
		ins := raw[pc]
		next := 0
		switch {
		case ins.Op&0x07 == clsRET:
		case ins.Op == clsJMP|jmpJA:
			next = l[pc+1+int(ins.K)]
		case ins.Op&0x07 == clsJMP:
			next = max(l[pc+1+int(ins.Jt)], l[pc+1+int(ins.Jf)])
		default:
			next = l[pc+1]
		}
		l[pc] = 1 + next
	}
	return l[0]
}
