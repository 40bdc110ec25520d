package filter

import "testing"

// TestTreeSharesReturns: the constant leaves of the search tree share their
// returns (one per distinct value per pooled subtree) instead of one
// return each, so a program has far fewer returns than leaves: at most two
// per number with argument checks (its allow and deny), the foreign-arch
// return, and a third of the ranges. Without sharing every constant range
// ends in a return of its own (stdio on amd64: 130 returns, 115 ranges).
func TestTreeSharesReturns(t *testing.T) {
	for _, arch := range arches {
		for _, set := range realisticSets() {
			p := compileCached(t, arch, set, RetErrno|EPERM)
			st := p.Stats()
			rets := 0
			for _, ri := range p.Raw {
				if ri.Op == opRetK {
					rets++
				}
			}
			t.Logf("%s %q: %d instructions, %d returns, %d ranges", arch, set, st.Len, rets, st.Ranges)
			if bound := 2*st.Conditional + st.Ranges/3 + 2; rets > bound {
				t.Errorf("%s %q: %d returns > %d (ranges %d, conditional numbers %d): constant leaves do not share returns", arch, set, rets, bound, st.Ranges, st.Conditional)
			}
		}
	}
}
