package filter

import (
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
}

// addPart adds the test (word at off) & mask == val to the parts of one
// rule (ps[start:]), merging it with a part on the same word. It is false if the two
// contradict each other (the rule can never match).
func addPart(ps []part, start int, off, mask, val uint32) ([]part, bool) {
	if mask == 0 {
		return ps, true // (w & 0) == 0 always holds
	}
	val &= mask
	for i := start; i < len(ps); i++ {
		if q := ps[i]; q.off == off {
			common := q.mask & mask
			if q.val&common != val&common {
				return ps, false
			}
			ps[i] = part{off: off, mask: mask | q.mask, val: val | q.val}
			return ps, true
		}
	}
	return append(ps, part{off: off, mask: mask, val: val}), true
}

// reduce turns a rule into parts, appended to buf (an arena shared by the
// rules of one compilation; the rule's parts are the new tail, with no room
// to grow). ok is false if the rule can never match (two conditions on the
// same word that contradict each other, or a condition on the caller's pid
// when pid is unknown); buf is then returned unchanged.
func reduce(r promises.Rule, pid int, buf []part) (c crule, out []part, ok bool) {
	c = crule{ret: retOf(r)}
	start := len(buf)
	ps := buf
	for _, cd := range r.Args {
		if cd, ok = cd.For(pid); !ok {
			return c, buf, false
		}
		m := cd.EffectiveMask()
		v := cd.Value & m
		off := offArgs + 8*uint32(cd.Arg)
		if ps, ok = addPart(ps, start, off, uint32(m), uint32(v)); !ok {
			return c, buf, false
		}
		if cd.Width == promises.W64 {
			if ps, ok = addPart(ps, start, off+4, uint32(m>>32), uint32(v>>32)); !ok {
				return c, buf, false
			}
		}
	}
	// Sort the new parts by offset (offsets are distinct; a handful of
	// parts at most, so insertion sort).
	mine := ps[start:]
	for i := 1; i < len(mine); i++ {
		for j := i; j > 0 && mine[j].off < mine[j-1].off; j-- {
			mine[j], mine[j-1] = mine[j-1], mine[j]
		}
	}
	if len(mine) > 0 {
		c.parts = mine[:len(mine):len(mine)]
	}
	return c, ps, true
}

// implies reports whether every input matching a also matches b.
func implies(a, b crule) bool {
	if len(b.parts) > len(a.parts) {
		return false // each part of b needs a part of a on its word
	}
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
// constant verdict, whatever conditional rules other promises add. It works
// in place and returns the kept prefix of rs.
func simplify(rs []crule, deny uint32) []crule {
	var out []crule
	if len(rs) > 16 {
		out = dropImpliedIndexed(rs)
	} else {
		out = rs[:0]
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

// dropImpliedIndexed is the first step of simplify for long rule lists
// (setsockopt and getsockopt have over a hundred): it keeps each rule that
// no kept earlier rule implies, up to and including the first
// unconditional one, in place. A kept rule e whose first part tests a whole
// word (mask 0xffffffff) can only imply a rule with the same whole-word
// test, so such rules are looked up by (word, value); the others are tried
// one by one.
func dropImpliedIndexed(rs []crule) []crule {
	// A chained hash table of the kept whole-word rules: head[h] is 1 + the
	// index in out of the newest rule with hash h, next[i] the one before.
	size := 1
	for size < 2*len(rs) {
		size *= 2
	}
	head := make([]int32, size+len(rs))
	next := head[size:]
	head = head[:size]
	hash := func(p part) int { return int((p.off*0x9e3779b1 ^ p.val*0x85ebca6b) & uint32(size-1)) }
	var others []int32
	out := rs[:0]
	for _, r := range rs {
		implied := false
		for _, i := range others {
			if implies(r, out[i]) {
				implied = true
				break
			}
		}
		for j := 0; j < len(r.parts) && !implied; j++ {
			if p := r.parts[j]; p.mask == 0xffffffff {
				for i := head[hash(p)] - 1; i >= 0; i = next[i] - 1 {
					if implies(r, out[i]) {
						implied = true
						break
					}
				}
			}
		}
		if implied {
			continue
		}
		out = append(out, r)
		if len(r.parts) == 0 {
			break
		}
		i := int32(len(out) - 1)
		if p := r.parts[0]; p.mask == 0xffffffff {
			h := hash(p)
			next[i] = head[h]
			head[h] = i + 1
		} else {
			others = append(others, i)
		}
	}
	return out
}

// numbered is an applicable rule with its syscall number.
type numbered struct {
	nr uint32
	c  crule
}

// byNumber groups the applicable rules of s by syscall number on tab: the
// result has one entry per number 0..maxNr (nil where no rule applies),
// each simplified. The applicable rules are promises.Baseline(), then
// promises.Rules(p) for every p in the set in pledgenames order, then
// s.Extra; a rule is kept only if it is for s.Arch and its Also set is
// pledged. Errno rules come before Allow rules (a stable partition),
// matching promises.Decide. skipped lists, sorted and without duplicates,
// the names of applicable rules tab does not have.
func byNumber(s Spec, tab *syscalls.Table, maxNr, deny uint32) (per [][]crule, skipped []string, err error) {
	n := len(s.Extra)
	for range s.Promises.Rules(s.Arch) {
		n++
	}
	rules := make([]numbered, 0, n)
	parts := make([]part, 0, 2*n)
	var errnos []numbered // Errno rules: they go first
	var errErrno, errOther error
	lastName, lastNr, lastOK := "", uint32(0), false
	// One pass over the rules; the table's are read in place (reduce
	// copies what it needs).
	add := func(r *promises.Rule) {
		if !r.AppliesTo(s.Arch) || !r.AppliesWith(s.Promises) {
			return
		}
		isErrno := r.Action == promises.Errno
		if err := validateRule(*r); err != nil {
			// The first invalid rule in decision order (Errno rules
			// first) is the one reported.
			if isErrno && errErrno == nil {
				errErrno = err
			} else if !isErrno && errOther == nil {
				errOther = err
			}
			return
		}
		if r.Syscall != lastName {
			lastName = r.Syscall
			lastNr, lastOK = tab.Number(lastName)
		}
		if !lastOK {
			skipped = append(skipped, r.Syscall)
			return
		}
		c, ps, ok := reduce(*r, s.Pid, parts)
		if !ok {
			return
		}
		parts = ps
		if isErrno {
			errnos = append(errnos, numbered{lastNr, c})
		} else {
			rules = append(rules, numbered{lastNr, c})
		}
	}
	for r := range s.Promises.Rules(s.Arch) {
		add(&r)
	}
	for i := range s.Extra {
		add(&s.Extra[i])
	}
	if errErrno != nil {
		return nil, nil, errErrno
	}
	if errOther != nil {
		return nil, nil, errOther
	}

	// A stable counting sort by number (Errno rules first), into one array.
	count := make([]int32, maxNr+2)
	for _, r := range errnos {
		count[r.nr+1]++
	}
	for _, r := range rules {
		count[r.nr+1]++
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	flat := make([]crule, len(errnos)+len(rules))
	next := count[:maxNr+1] // next[nr]: where the next rule of nr goes
	for _, r := range errnos {
		flat[next[r.nr]] = r.c
		next[r.nr]++
	}
	for _, r := range rules {
		flat[next[r.nr]] = r.c
		next[r.nr]++
	}
	// next[nr] is now the end of nr's rules, the start of nr+1's.
	per = make([][]crule, maxNr+1)
	lo := int32(0)
	for nr := range per {
		hi := next[nr]
		if hi > lo {
			if rs := simplify(flat[lo:hi:hi], deny); len(rs) > 0 {
				per[nr] = rs
			}
		}
		lo = hi
	}

	if len(skipped) > 1 {
		slices.Sort(skipped)
		skipped = slices.Compact(skipped)
	}
	return per, skipped, nil
}

func (p part) String() string {
	s := fmt.Sprintf("[%d]", p.off)
	if p.mask != 0xffffffff {
		s += fmt.Sprintf("&%#x", p.mask)
	}
	return s + fmt.Sprintf("==%#x", p.val)
}
