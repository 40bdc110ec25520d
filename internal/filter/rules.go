package filter

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// Offsets in struct seccomp_data (linux/seccomp.h): int nr; __u32 arch;
// __u64 instruction_pointer; __u64 args[6]. Both supported architectures are
// little-endian, so the low half of args[i] is at 16+8*i and the high half at
// 20+8*i.
const (
	offNr   = 0
	offArch = 4
	offIP   = 8
	offArgs = 16
	dataLen = 64
)

// part is one 32-bit test: (word at off) & mask == val. A condition on an
// int-typed (W32) argument is one part on the low word; a W64 condition is a
// part on each half whose mask is not zero.
type part struct {
	off  uint32
	mask uint32 // never 0
	val  uint32 // val &^ mask == 0
}

func (p part) key() pkey { return pkey{p.off, p.mask} }

type pkey struct{ off, mask uint32 }

// crule is a rule reduced to parts (AND-ed), with the return value it
// produces when they all hold.
type crule struct {
	parts []part // sorted by off; at most one part per off
	ret   uint32
	src   promises.Rule
}

// applicable returns the rules of s that apply on arch, in decision order:
// promises.Baseline(), then promises.Rules(p) for every p in the set in
// pledgenames order, then s.Extra; a rule is kept only if it is for arch and
// its Also set is pledged. Errno rules come before Allow rules (a stable
// partition), matching promises.Decide.
func applicable(s Spec) []promises.Rule {
	var all []promises.Rule
	add := func(rs []promises.Rule) {
		for _, r := range rs {
			if r.AppliesTo(s.Arch) && r.AppliesWith(s.Promises) {
				all = append(all, r)
			}
		}
	}
	add(promises.Baseline())
	for _, p := range s.Promises.Promises() {
		add(promises.Rules(p))
	}
	add(s.Extra)
	out := make([]promises.Rule, 0, len(all))
	for _, r := range all {
		if r.Action == promises.Errno {
			out = append(out, r)
		}
	}
	for _, r := range all {
		if r.Action != promises.Errno {
			out = append(out, r)
		}
	}
	return out
}

// reduce turns a rule into parts. ok is false if the rule can never match
// (two conditions on the same word that contradict each other).
func reduce(r promises.Rule) (c crule, ok bool) {
	c = crule{ret: retOf(r), src: r}
	byOff := map[uint32]part{}
	addPart := func(off, mask, val uint32) bool {
		if mask == 0 {
			return true // (w & 0) == 0 always holds
		}
		val &= mask
		if q, dup := byOff[off]; dup {
			common := q.mask & mask
			if q.val&common != val&common {
				return false
			}
			mask |= q.mask
			val |= q.val
		}
		byOff[off] = part{off: off, mask: mask, val: val}
		return true
	}
	for _, cd := range r.Args {
		m := cd.EffectiveMask()
		v := cd.Value & m
		off := offArgs + 8*uint32(cd.Arg)
		if !addPart(off, uint32(m), uint32(v)) {
			return c, false
		}
		if cd.Width == promises.W64 && !addPart(off+4, uint32(m>>32), uint32(v>>32)) {
			return c, false
		}
	}
	for _, p := range byOff {
		c.parts = append(c.parts, p)
	}
	slices.SortFunc(c.parts, func(a, b part) int { return cmp.Compare(a.off, b.off) })
	return c, true
}

// implies reports whether every input matching a also matches b.
func implies(a, b crule) bool {
	for _, pb := range b.parts {
		found := false
		for _, pa := range a.parts {
			if pa.off == pb.off && pb.mask&^pa.mask == 0 && pa.val&pb.mask == pb.val {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// simplify drops rules that can never decide: a rule implied by an earlier
// one (it is shadowed), everything after an unconditional rule, trailing
// rules whose verdict equals the deny action anyway, and rules right before
// a final unconditional rule with the same verdict. So a syscall that some
// pledged promise allows unconditionally (and no Errno rule answers) gets a
// constant verdict, whatever conditional rules other promises add.
func simplify(rs []crule, deny uint32) []crule {
	var out []crule
outer:
	for _, r := range rs {
		for _, e := range out {
			if implies(r, e) {
				continue outer
			}
		}
		out = append(out, r)
		if len(r.parts) == 0 {
			break
		}
	}
	for len(out) > 0 && out[len(out)-1].ret == deny {
		out = out[:len(out)-1]
	}
	// A rule just before a final unconditional rule with the same verdict
	// decides nothing: matched or not, the verdict is the same.
	for n := len(out); n >= 2 && len(out[n-1].parts) == 0 && out[n-2].ret == out[n-1].ret; n = len(out) {
		out = append(out[:n-2], out[n-1])
	}
	return out
}

// byNumber groups the applicable rules of s by syscall number on tab.
func byNumber(s Spec, tab *syscalls.Table, deny uint32) (map[uint32][]crule, []string, error) {
	rules := applicable(s)
	per := map[uint32][]crule{}
	skipped := map[string]bool{}
	for _, r := range rules {
		if err := validateRule(r); err != nil {
			return nil, nil, err
		}
		nr, ok := tab.Number(r.Syscall)
		if !ok {
			skipped[r.Syscall] = true
			continue
		}
		c, ok := reduce(r)
		if !ok {
			continue
		}
		per[nr] = append(per[nr], c)
	}
	for nr, rs := range per {
		per[nr] = simplify(rs, deny)
		if len(per[nr]) == 0 {
			delete(per, nr)
		}
	}
	var sk []string
	for n := range skipped {
		sk = append(sk, n)
	}
	slices.Sort(sk)
	return per, sk, nil
}

func (p part) String() string {
	s := fmt.Sprintf("[%d]", p.off)
	if p.mask != 0xffffffff {
		s += fmt.Sprintf("&%#x", p.mask)
	}
	return s + fmt.Sprintf("==%#x", p.val)
}
