package filter

import (
	"fmt"
	"slices"

	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/syscalls"
)

// aState is what the compiler knows about the accumulator at a point of the
// program: A == (word at off) & mask, or nothing.
type aState struct {
	known     bool
	off, mask uint32
}

// gen wraps the assembler and tracks the accumulator across jumps, so that a
// word already loaded (and masked) is not loaded again.
type gen struct {
	a     asm
	st    aState
	reach bool // control can fall through to the next item
	// in records, per label (indexed by label), whether it has an incoming
	// edge and the meet of the states of the jumps to it.
	in   []inState
	deny uint32 // the program's deny action

	// Scratch stacks reused across the rule lists of all syscall numbers
	// (rules pushes its working set and pops it before returning).
	rets []retLabel // return labels of the current body
	// pool holds the shared returns of the subtree being emitted (nil
	// outside one); pools keeps its backing array between subtrees.
	pool, pools []retLabel
	groups      []group
	crs         []crule
	parts       []part
	vals        []uint32
	tos         []label
}

// retLabel is the label of a return of value v within one body.
type retLabel struct {
	v uint32
	l label
}

// group is a run of rules sharing one value of the dispatched part.
type group struct {
	val    uint32
	lo, hi int // the group's rules (the part removed) are g.crs[lo:hi]
	to     label
	ret    bool // the first rule has no other part: to is its return
}

type inState struct {
	seen bool
	st   aState
}

func newGen(items, labels int) *gen {
	g := &gen{reach: true}
	g.a.items = make([]item, 0, items)
	g.in = make([]inState, 0, labels)
	g.pools = make([]retLabel, 0, 8) // non-nil: a nil pool means "no pool"
	return g
}

func meet(a, b aState) aState {
	if a == b {
		return a
	}
	return aState{}
}

// slot returns the incoming state of l, growing the table as labels are
// created.
func (g *gen) slot(l label) *inState {
	for int(l) >= len(g.in) {
		g.in = append(g.in, inState{})
	}
	return &g.in[l]
}

func (g *gen) edge(l label) {
	in := g.slot(l)
	if in.seen {
		in.st = meet(in.st, g.st)
	} else {
		in.st, in.seen = g.st, true
	}
}

func (g *gen) bind(l label) {
	if g.reach {
		g.edge(l)
	}
	g.a.bind(l)
	g.st = g.slot(l).st
	g.reach = true
}

func (g *gen) jump(op uint16, k uint32, jt, jf label) {
	g.edge(jt)
	g.edge(jf)
	g.a.jump(op, k, jt, jf)
	g.reach = false
}

func (g *gen) goTo(l label) {
	g.edge(l)
	g.a.ja(l)
	g.reach = false
}

func (g *gen) ret(v uint32) {
	g.a.ret(v)
	g.reach = false
}

// load makes A hold (word at off) & mask, reusing what A holds if it can.
func (g *gen) load(off, mask uint32) {
	switch {
	case g.st.known && g.st.off == off && g.st.mask == mask:
		return
	case g.st.known && g.st.off == off && mask&^g.st.mask == 0:
		g.a.stmt(opAndK, mask)
	default:
		g.a.stmt(opLdAbsW, off)
		if mask != 0xffffffff {
			g.a.stmt(opAndK, mask)
		}
	}
	g.st = aState{known: true, off: off, mask: mask}
}

// leaf is the verdict for a range of syscall numbers: a constant return
// value, or (body != nil) the rule list of a single number.
type leaf struct {
	ret  uint32
	body []crule
}

// interval is [lo, next interval's lo) with one verdict.
type interval struct {
	lo uint32
	leaf
}

// intervals partitions every 32-bit syscall number into maximal ranges with
// one verdict each.
func intervals(tab *syscalls.Table, per [][]crule, maxNr, deny, foreign uint32) ([]interval, error) {
	out := make([]interval, 0, 64)
	add := func(lo uint32, l leaf) {
		if n := len(out); n > 0 && l.body == nil && out[n-1].body == nil && out[n-1].ret == l.ret {
			return
		}
		out = append(out, interval{lo, l})
	}
	for nr := uint32(0); nr <= maxNr; nr++ {
		rs := per[nr]
		switch {
		case len(rs) == 0:
			add(nr, leaf{ret: deny})
		case len(rs[0].parts) == 0:
			add(nr, leaf{ret: rs[0].ret})
		default:
			add(nr, leaf{body: rs})
		}
	}
	add(maxNr+1, leaf{ret: deny})
	if b := tab.X32SyscallBit; b != 0 {
		if b&(b-1) != 0 || b <= maxNr || b < 1<<16 {
			return nil, fmt.Errorf("filter: x32 syscall bit %#x of %s is not a high single bit (internal error)", b, tab.Arch)
		}
		// Numbers with the bit set: [b, 2b), [3b, 4b), ... up to 2^32.
		for lo := uint64(b); lo < 1<<32; lo += 2 * uint64(b) {
			add(uint32(lo), leaf{ret: foreign})
			if lo+uint64(b) < 1<<32 {
				add(uint32(lo+uint64(b)), leaf{ret: deny})
			}
		}
	}
	return out, nil
}

func countInsns(items []item) int {
	n := 0
	for _, it := range items {
		if it.op >= 0 {
			n++
		}
	}
	return n
}

// tree emits a binary search over the intervals (A holds the syscall
// number). Each inner node is one "jge lo" splitting the intervals in half;
// the smaller half is laid out first, so the jump over it is the short one.
// It returns the depth (number of comparisons to the deepest leaf).
//
// Constant leaves share their returns: the subtrees small enough for every
// jump to reach their end (poolSpan) emit one return per distinct value
// there, and a node jumps straight to it, so a leaf costs no instruction
// of its own (two leaves used to be "jge; ret; ret", now "jge"). A
// decision executes as many instructions as before. A jump that still
// ends up too long gets a copy of the return (the assembler's trampoline).
func (g *gen) tree(ivs []interval) int {
	if len(ivs) == 1 {
		if ivs[0].body == nil {
			g.ret(ivs[0].ret)
		} else {
			g.body(ivs[0].body)
		}
		return 0
	}
	own := g.pool == nil && treeSpan(ivs) <= poolSpan
	if own {
		g.pool = g.pools[:0]
	}
	mid := len(ivs) / 2
	lt, ltEmit := g.entry(ivs[:mid])
	ge, geEmit := g.entry(ivs[mid:])
	g.jump(opJGEK, ivs[mid].lo, ge, lt)
	start := len(g.a.items)
	dl, dr := 0, 0
	if ltEmit {
		g.bind(lt)
		dl = g.tree(ivs[:mid])
	}
	split := len(g.a.items)
	if geEmit {
		g.bind(ge)
		dr = g.tree(ivs[mid:])
	}
	if left, right := g.a.items[start:split], g.a.items[split:]; countInsns(left) > countInsns(right) {
		// Put the smaller half first: swap the two blocks in place (three
		// reversals), without copying them out.
		slices.Reverse(left)
		slices.Reverse(right)
		slices.Reverse(g.a.items[start:])
	}
	g.reach = false
	if own {
		for _, r := range g.pool {
			g.bind(r.l)
			g.ret(r.v)
		}
		g.pools, g.pool = g.pool[:0], nil
	}
	return 1 + max(dl, dr)
}

// poolSpan bounds treeSpan for a subtree whose constant leaves share
// returns placed after it: conditional jumps reach 255 instructions.
const poolSpan = 240

// treeSpan estimates the instructions a subtree takes without shared
// returns: one jump per split, one return per constant leaf, and for a
// number with argument checks a few instructions per rule.
func treeSpan(ivs []interval) int {
	n := len(ivs) - 1
	for _, iv := range ivs {
		if iv.body == nil {
			n++
		} else {
			n += 4 + 4*len(iv.body)
		}
	}
	return n
}

// entry returns the label a node jumps to for the subtree ivs, and whether
// the subtree must be emitted there (false: a constant leaf whose return
// the current pool shares).
func (g *gen) entry(ivs []interval) (label, bool) {
	if len(ivs) == 1 && ivs[0].body == nil && g.pool != nil {
		for _, r := range g.pool {
			if r.v == ivs[0].ret {
				return r.l, false
			}
		}
		l := g.a.newLabel()
		g.pool = append(g.pool, retLabel{ivs[0].ret, l})
		return l, false
	}
	return g.a.newLabel(), true
}

// body emits the rule list of one syscall number; the returns it needs
// follow it, so jumps to them stay short.
func (g *gen) body(rs []crule) {
	g.rets = g.rets[:0]
	g.rules(rs, g.retL(g.deny))
	for _, r := range g.rets {
		g.bind(r.l)
		g.ret(r.v)
	}
}

// retL returns the label of the return of v in the current body, creating
// it on first use (the returns are laid out in order of first use).
func (g *gen) retL(v uint32) label {
	for _, r := range g.rets {
		if r.v == v {
			return r.l
		}
	}
	l := g.a.newLabel()
	g.rets = append(g.rets, retLabel{v, l})
	return l
}

// rules emits code that decides rs in order (first match wins) and jumps to
// fail if none matches. Consecutive rules that all test the same word under
// the same mask are decided together: one load, then a dispatch on the
// value (linear for a few values, a binary search for more), then the rest
// of each rule. For one input the word has a single value, so only the
// rules with that value can match and their order is kept; if none does,
// evaluation goes on after the run.
func (g *gen) rules(rs []crule, fail label) {
	if len(rs) == 0 {
		g.goTo(fail)
		return
	}
	if len(rs[0].parts) == 0 {
		g.goTo(g.retL(rs[0].ret))
		return
	}
	// Pick the key (word, mask) of the first rule shared by the longest run
	// of rules; on a tie prefer what A already holds, then the lower word.
	var best pkey
	bestRun := -1
	for _, p := range rs[0].parts {
		k := p.key()
		run := 0
		for _, r := range rs {
			if partIndex(r, k) < 0 {
				break
			}
			run++
		}
		better := run > bestRun
		if run == bestRun {
			held := g.st.known && g.st.off == k.off && g.st.mask == k.mask
			if held {
				better = true
			}
		}
		if better {
			best, bestRun = k, run
		}
	}
	run, rest := rs[:bestRun], rs[bestRun:]
	after := fail
	if len(rest) > 0 {
		after = g.a.newLabel()
	}

	// Group the run by the value of the chosen part, in order of first use;
	// each group's rules, without that part, go to g.crs in run order.
	g0, c0, p0 := len(g.groups), len(g.crs), len(g.parts)
	for _, r := range run {
		v := r.parts[partIndex(r, best)].val
		found := false
		for i := g0; i < len(g.groups); i++ {
			if g.groups[i].val == v {
				g.groups[i].hi++ // count for now
				found = true
				break
			}
		}
		if !found {
			g.groups = append(g.groups, group{val: v, hi: 1})
		}
	}
	groups := g.groups[g0:len(g.groups):len(g.groups)]
	at := c0
	for i := range groups {
		n := groups[i].hi
		groups[i].lo, groups[i].hi = at, at
		at += n
	}
	g.crs = slices.Grow(g.crs, len(run))[:at]
	for _, r := range run {
		i := partIndex(r, best)
		v := r.parts[i].val
		for j := range groups {
			if gr := &groups[j]; gr.val == v {
				g.crs[gr.hi] = g.without(r, i)
				gr.hi++
				break
			}
		}
	}
	crs := g.crs[c0:at:at]
	for i := range groups {
		gr := &groups[i]
		if len(crs[gr.lo-c0].parts) == 0 {
			gr.to, gr.ret = g.retL(crs[gr.lo-c0].ret), true
		} else {
			gr.to = g.a.newLabel()
		}
	}
	g.load(best.off, best.mask)

	// Dispatch on the values in ascending order.
	v0 := len(g.vals)
	for _, gr := range groups {
		g.vals = append(g.vals, gr.val)
		g.tos = append(g.tos, gr.to)
	}
	vals, tos := g.vals[v0:], g.tos[v0:]
	for i := 1; i < len(vals); i++ { // insertion sort: values are distinct
		for j := i; j > 0 && vals[j] < vals[j-1]; j-- {
			vals[j], vals[j-1] = vals[j-1], vals[j]
			tos[j], tos[j-1] = tos[j-1], tos[j]
		}
	}
	g.dispatch(vals, tos, after)
	g.vals, g.tos = g.vals[:v0], g.tos[:v0]

	for _, gr := range groups {
		if gr.ret {
			continue
		}
		g.bind(gr.to)
		g.rules(crs[gr.lo-c0:gr.hi-c0], after)
	}
	g.groups, g.crs, g.parts = g.groups[:g0], g.crs[:c0], g.parts[:p0]
	if len(rest) > 0 {
		g.bind(after)
		g.rules(rest, fail)
	}
}

// dispatch jumps to tos[i] if A == vals[i] (vals sorted), else to dflt.
func (g *gen) dispatch(vals []uint32, tos []label, dflt label) {
	const linear = 3
	if len(vals) <= linear {
		for i := range vals {
			next := dflt
			if i < len(vals)-1 {
				next = g.a.newLabel()
			}
			g.jump(opJEQK, vals[i], tos[i], next)
			if i < len(vals)-1 {
				g.bind(next)
			}
		}
		return
	}
	mid := len(vals) / 2
	lt, ge := g.a.newLabel(), g.a.newLabel()
	g.jump(opJGEK, vals[mid], ge, lt)
	g.bind(lt)
	g.dispatch(vals[:mid], tos[:mid], dflt)
	g.bind(ge)
	g.dispatch(vals[mid:], tos[mid:], dflt)
}

// partIndex is the index of r's part with key k, or -1.
func partIndex(r crule, k pkey) int {
	for i, p := range r.parts {
		if p.key() == k {
			return i
		}
	}
	return -1
}

// without returns r without its part i. The parts of r are shared where
// they can be (the first or the last part removed), else copied to the
// scratch arena g.parts.
func (g *gen) without(r crule, i int) crule {
	out := crule{ret: r.ret}
	n := len(r.parts)
	switch {
	case n == 1:
	case i == 0:
		out.parts = r.parts[1:]
	case i == n-1:
		out.parts = r.parts[: n-1 : n-1]
	default:
		p0 := len(g.parts)
		g.parts = append(g.parts, r.parts[:i]...)
		g.parts = append(g.parts, r.parts[i+1:]...)
		out.parts = g.parts[p0:len(g.parts):len(g.parts)]
	}
	return out
}

// Compile builds the seccomp program for s. It never calls the kernel.
func Compile(s Spec) (*Program, error) {
	tab, err := syscalls.ByArch(s.Arch)
	if err != nil {
		return nil, fmt.Errorf("filter: %w: %w", ErrArch, err)
	}
	s.Arch = tab.Arch // "x86_64" -> "amd64": rules name Go architectures
	dn, err := normalizeDeny(s.Deny)
	if err != nil {
		return nil, err
	}
	foreign := foreignAction(dn)
	maxNr := tab.Max()
	per, skipped, err := byNumber(s, tab, maxNr, dn)
	if err != nil {
		return nil, err
	}
	ivs, err := intervals(tab, per, maxNr, dn, foreign)
	if err != nil {
		return nil, err
	}

	// Room for the tree (a jump and two labels per split, a return per
	// leaf) and the argument checks (a few items per rule), measured: the
	// slices only grow if a program needs more.
	nrules := 0
	for _, iv := range ivs {
		nrules += len(iv.body)
	}
	g := newGen(4*len(ivs)+4*nrules+32, 3*len(ivs)+2*nrules+32)
	g.deny = dn
	native, other := g.a.newLabel(), g.a.newLabel()
	g.a.stmt(opLdAbsW, offArch)
	g.jump(opJEQK, tab.AuditArch, native, other)
	g.bind(other)
	g.ret(foreign)
	g.bind(native)
	g.a.stmt(opLdAbsW, offNr)
	g.st = aState{known: true, off: offNr, mask: 0xffffffff}
	depth := g.tree(ivs)

	raw, err := g.a.resolve()
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxInsns {
		return nil, fmt.Errorf("filter: %s for %q: %d instructions: %w", s.Arch, s.Promises, len(raw), ErrTooLarge)
	}
	if err := Check(raw); err != nil {
		return nil, fmt.Errorf("filter: compiled program fails the kernel's checks (internal error): %w", err)
	}
	if err := ValidReturns(raw); err != nil {
		return nil, fmt.Errorf("filter: compiled program has a bad return (internal error): %w", err)
	}
	return &Program{
		Arch: tab.Arch, AuditArch: tab.AuditArch, Deny: dn, Foreign: foreign,
		Raw: raw, Skipped: skipped,
		info: &compileInfo{tab: tab, maxNr: maxNr, per: per, ranges: len(ivs), depth: depth},
	}, nil
}

// Insns returns the program in golang.org/x/net/bpf's typed form, for its
// VM and for inspection. It fails if an instruction has no typed form or
// the typed form does not assemble back to Raw (neither happens for a
// program from Compile).
func (p *Program) Insns() ([]bpf.Instruction, error) {
	return disassemble(p.Raw)
}

// disassemble converts raw instructions to x/net/bpf's typed form and
// checks that they assemble back to the same raw instructions.
func disassemble(raw []bpf.RawInstruction) ([]bpf.Instruction, error) {
	insns := make([]bpf.Instruction, len(raw))
	for i, ri := range raw {
		insns[i] = ri.Disassemble()
		if _, isRaw := insns[i].(bpf.RawInstruction); isRaw {
			return nil, fmt.Errorf("filter: instruction %d (%#x) has no x/net/bpf form (internal error)", i, ri.Op)
		}
	}
	back, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("filter: reassembling: %w (internal error)", err)
	}
	if !slices.Equal(back, raw) {
		return nil, fmt.Errorf("filter: x/net/bpf form does not reassemble to the same program (internal error)")
	}
	return insns, nil
}
