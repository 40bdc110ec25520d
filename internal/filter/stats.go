package filter

import (
	"sync"

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

// compileInfo is what Stats needs from the compilation.
type compileInfo struct {
	tab           *syscalls.Table
	maxNr         uint32
	per           [][]crule // simplified rules per number 0..maxNr
	ranges, depth int

	once  sync.Once
	stats Stats
}

// Stats returns the size and speed of the program. It is computed on the
// first call (it runs the program for every syscall number). For a Program
// not built by Compile only Len and Worst are known.
func (p *Program) Stats() Stats {
	if p.info == nil {
		return Stats{Len: len(p.Raw), Worst: longestPath(p.Raw)}
	}
	p.info.once.Do(func() { p.info.stats = stats(p, p.info) })
	return p.info.stats
}

func stats(p *Program, in *compileInfo) Stats {
	st := Stats{Len: len(p.Raw), Ranges: in.ranges, Depth: in.depth, Worst: longestPath(p.Raw)}
	for _, rs := range in.per {
		if len(rs) == 0 {
			continue
		}
		st.Numbers++
		if len(rs[0].parts) > 0 {
			st.Conditional++
		}
	}
	maxNr := in.maxNr
	var sum float64
	for nr := uint32(0); nr <= maxNr+1; nr++ {
		vecs := [][6]uint64{{}}
		if nr <= maxNr {
			for _, r := range in.per[nr] {
				vecs = append(vecs, matching(r))
			}
		}
		var n int
		for _, a := range vecs {
			_, steps, err := Run(p, Data{Nr: int32(nr), Arch: in.tab.AuditArch, Args: a})
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
