package promises

import "iter"

// TableRules yields the rules Decide weighs for the promise set s, without
// copying the table into new slices: Baseline(), then Rules(p) for every p
// in s in pledgenames order, each list in table order. Arch and Also are not
// applied (filter with AppliesTo and AppliesWith). Each yielded Rule is a
// copy, but to save an allocation per rule its Args live in one buffer that
// the next rule overwrites: to keep a Rule past its yield, clone its Args.
// Compilers use it (package filter, once per pledge); for lists to keep, use
// Baseline and Rules.
func TableRules(s Set) iter.Seq[Rule] {
	return func(yield func(Rule) bool) {
		var buf []Cond
		each := func(rs []Rule) bool {
			for i := range rs {
				r := rs[i]
				if len(r.Args) > 0 {
					buf = append(buf[:0], r.Args...)
					r.Args = buf[:len(buf):len(buf)]
				}
				if !yield(r) {
					return false
				}
			}
			return true
		}
		if !each(baseline) {
			return
		}
		for p := Promise(0); p < numPromises; p++ {
			if s.Has(p) && !each(table[p]) {
				return
			}
		}
	}
}

// TableLen is the number of rules TableRules(s) yields.
func TableLen(s Set) int {
	n := len(baseline)
	for p := Promise(0); p < numPromises; p++ {
		if s.Has(p) {
			n += len(table[p])
		}
	}
	return n
}
