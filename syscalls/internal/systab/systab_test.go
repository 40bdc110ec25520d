package systab

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
)

func randName(r *rand.Rand) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789_"
	b := make([]byte, 1+r.IntN(40)) // also longer than 31, where lengths wrap
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// TestAgainstMap builds random tables, dense enough that buckets hold
// several names, and checks every lookup against a plain map.
func TestAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 50 {
		want := map[string]uint32{}
		used := map[uint32]bool{}
		for len(want) < 1+r.IntN(1500) {
			nr, n := uint32(r.IntN(4096)), randName(r)
			if _, dup := want[n]; !dup && !used[nr] {
				used[nr] = true
				want[n] = nr
			}
		}
		tb := Build(want)
		if !slices.IsSorted(tb.Names) || len(tb.Names) != len(want) || len(tb.Slots) != len(want) {
			t.Fatalf("round %d: bad layout: %d names, %d slots, sorted %v", round, len(tb.Names), len(tb.Slots), slices.IsSorted(tb.Names))
		}
		var maxNr uint32
		for n, nr := range want {
			got, ok := tb.Number(n)
			if !ok || got != nr {
				t.Fatalf("round %d: Number(%q) = %d, %v; want %d", round, n, got, ok, nr)
			}
			if back, ok := tb.Name(nr); !ok || back != n {
				t.Fatalf("round %d: Name(%d) = %q, %v; want %q", round, nr, back, ok, n)
			}
			maxNr = max(maxNr, nr)
		}
		if uint32(len(tb.ByNr)) != maxNr+1 {
			t.Fatalf("round %d: len(ByNr) = %d, want %d", round, len(tb.ByNr), maxNr+1)
		}
		for range 2000 {
			n := randName(r)
			if _, in := want[n]; in {
				continue
			}
			if nr, ok := tb.Number(n); ok {
				t.Fatalf("round %d: Number(%q) = %d for an absent name", round, n, nr)
			}
		}
		for nr := range uint32(4200) {
			if n, ok := tb.Name(nr); ok != used[nr] || ok && want[n] != nr {
				t.Fatalf("round %d: Name(%d) = %q, %v", round, nr, n, ok)
			}
		}
		if m := tb.Map(); !maps.Equal(m, want) {
			t.Fatalf("round %d: Map differs from the input", round)
		}
	}
}

func TestEdges(t *testing.T) {
	tb := Build(map[string]uint32{"read": 0, "write": 1})
	for _, n := range []string{"", "rea", "readx", "Read", "write\x00", "writ"} {
		if nr, ok := tb.Number(n); ok {
			t.Errorf("Number(%q) = %d", n, nr)
		}
	}
	for _, nr := range []uint32{2, 1 << 31, ^uint32(0)} {
		if n, ok := tb.Name(nr); ok {
			t.Errorf("Name(%d) = %q", nr, n)
		}
	}
	var empty Table
	if _, ok := empty.Name(0); ok {
		t.Error("empty Name(0) found")
	}
	if e := Build(nil); len(e.Names) != 0 || len(e.Start) != Buckets+1 {
		t.Errorf("Build(nil) = %+v", e)
	} else if _, ok := e.Number("read"); ok {
		t.Error("empty table has read")
	}
	for _, n := range []string{"a", "read", "landlock_create_ruleset", string(make([]byte, 100))} {
		if b := Bucket(n); b < 0 || b >= Buckets {
			t.Errorf("Bucket(%q) = %d", n, b)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	for name, in := range map[string]map[string]uint32{
		"duplicate number": {"read": 3, "write": 3},
		"empty name":       {"": 1},
		"number too big":   {"read": 1 << 16},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Build(%v) did not panic", in)
				}
			}()
			Build(in)
		})
	}
}
