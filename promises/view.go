package promises

import "iter"

// Rules yields the rules in force under s on arch (a Go architecture name),
// the candidates Decide weighs: Baseline(), then Rules(p) for every p in s
// in pledgenames order, each list in table order, keeping the rules that
// apply to arch (Rule.AppliesTo) and whose Also is within s
// (Rule.AppliesWith). Among the rules for one syscall, Decide tries the
// Errno rules before the Allow rules, whatever their order here.
//
// It reads the table in place, without allocating a rule per rule: each
// yielded Rule is a copy, but its Args live in one buffer that the next
// rule overwrites. Writing into Args never changes the table; to keep a
// Rule past its iteration, clone its Args (slices.Clone). For lists to
// keep, Baseline and the function Rules return copies.
func (s Set) Rules(arch string) iter.Seq[Rule] {
	return func(yield func(Rule) bool) {
		// Three conditions is the most any rule has today; one allocation
		// holds them all (append grows it should a rule ever have more).
		var buf []Cond
		each := func(rs []Rule) bool {
			for i := range rs {
				r := rs[i]
				if !r.AppliesTo(arch) || !r.AppliesWith(s) {
					continue
				}
				if len(r.Args) > 0 {
					if buf == nil {
						buf = make([]Cond, 0, 4)
					}
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
