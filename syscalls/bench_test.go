package syscalls

import (
	"math/rand/v2"
	"testing"
)

// lookupNames returns about 300 names in a fixed shuffled order, the way
// the filter compiler asks for them: mostly present, with some names the
// table lacks (arm64 has no open, stat, fork...).
func lookupNames(b *testing.B, tb *Table) []string {
	b.Helper()
	amd, err := ByArch("amd64")
	if err != nil {
		b.Fatal(err)
	}
	names := amd.Names()[:300]
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	return names
}

func BenchmarkNumber(b *testing.B) {
	for _, a := range Arches() {
		b.Run(a, func(b *testing.B) {
			tb, err := ByArch(a)
			if err != nil {
				b.Fatal(err)
			}
			names := lookupNames(b, tb)
			b.ReportAllocs()
			b.ResetTimer()
			var sum uint32
			for b.Loop() {
				for _, n := range names {
					nr, _ := tb.Number(n)
					sum += nr
				}
			}
			_ = sum
		})
	}
}

func BenchmarkName(b *testing.B) {
	tb, err := ByArch("amd64")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var l int
	for b.Loop() {
		for nr := range uint32(300) {
			n, _ := tb.Name(nr)
			l += len(n)
		}
	}
	_ = l
}

func BenchmarkNamesMax(b *testing.B) {
	tb, err := ByArch("amd64")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = tb.Names()
		_ = tb.Max()
	}
}

func BenchmarkByArch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ByArch("x86_64"); err != nil {
			b.Fatal(err)
		}
	}
}
