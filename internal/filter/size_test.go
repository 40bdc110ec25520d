package filter

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

// TestSizeSweep compiles every promise at once, every "all but one" set and
// a deterministic sample of random sets for both arches: each must fit the
// kernel's 4096-instruction limit and pass Check.
func TestSizeSweep(t *testing.T) {
	all := allPromises()
	sets := []promises.Set{all}
	for _, p := range promises.All() {
		sets = append(sets, all.Without(p))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 60
	if testing.Short() {
		n = 10
	}
	for range n {
		sets = append(sets, promises.Set(rng.Uint64())&all)
	}
	for _, arch := range arches {
		for _, s := range sets {
			p := compileCached(t, arch, s, RetErrno|EPERM)
			checkProgram(t, p)
			if p.Stats().Len >= MaxInsns {
				t.Errorf("%s %q: %d instructions", arch, s, p.Stats().Len)
			}
		}
		p := compileCached(t, arch, all, RetErrno|EPERM)
		t.Logf("%s all promises: %+v", arch, p.Stats())
	}
}

func log2ceil(n int) int { return int(math.Ceil(math.Log2(float64(max(n, 1))))) }

// Path-length bounds, in instructions executed per decision (the return
// included), measured with the promise table of pledgekit v0 (all promises:
// amd64 MaxPath 23, arm64 24, with 94-99 ranges):
//
//   - a number without argument checks (allowed, errno or denied):
//     ceil(log2(Ranges)) + 6 — the prologue (ld arch; jeq; ld nr), one
//     comparison per tree level, at most two trampolines, the return;
//   - any decision: 2*ceil(log2(Ranges)) + 12 — argument checks add one load
//     per tested word and a binary search over the tested values.
//
// A regression to linear scans (of numbers or of values) breaks these.
func constBound(ranges int) int { return log2ceil(ranges) + 6 }
func pathBound(ranges int) int  { return 2*log2ceil(ranges) + 12 }

// TestPathBound fails if a decision gets slower than the stated bound.
func TestPathBound(t *testing.T) {
	sets := realisticSets()
	for _, p := range promises.All() {
		sets = append(sets, promises.Of(p))
	}
	for _, arch := range arches {
		tab := table(t, arch)
		for _, set := range sets {
			p := compileCached(t, arch, set, RetErrno|EPERM)
			st := p.Stats()
			if st.Depth > log2ceil(st.Ranges) {
				t.Errorf("%s %q: tree depth %d > ceil(log2(%d ranges))", arch, set, st.Depth, st.Ranges)
			}
			constBound, maxBound := constBound(st.Ranges), pathBound(st.Ranges)
			if st.MaxPath > maxBound || st.Worst > maxBound {
				t.Errorf("%s %q: MaxPath %d, Worst %d > bound %d (ranges %d)", arch, set, st.MaxPath, st.Worst, maxBound, st.Ranges)
			}
			s := Spec{Arch: arch, Promises: set, Deny: RetErrno | EPERM}
			for nr := uint32(0); nr <= tab.Max()+1; nr++ {
				name, _ := tab.Name(nr)
				if rs := specRules(s, name); len(rs) > 0 && !unconditional(rs) {
					continue
				}
				_, steps, err := Run(p, Data{Nr: int32(nr), Arch: tab.AuditArch})
				if err != nil {
					t.Fatal(err)
				}
				if steps > constBound {
					t.Errorf("%s %q: %s (nr %d) without argument checks takes %d instructions > %d", arch, set, name, nr, steps, constBound)
				}
			}
		}
	}
}
