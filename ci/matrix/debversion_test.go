package main

import "testing"

func TestCompareDebVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"6.1.192-3", "6.1.170-3", 1},
		{"6.1.170-3", "6.1.192-3", -1},
		{"6.12.117-1~deb12u1", "6.12.115-1~deb12u1", 1},
		{"6.12.117-1~deb12u1", "6.12.117-1", -1}, // ~ sorts before the end
		{"6.12.117-1~deb12u2", "6.12.117-1~deb12u1", 1},
		{"6.1.192-3", "6.1.192-3", 0},
		{"1:1.0", "2.0", 1}, // epoch wins
		{"0:2.0", "2.0", 0},
		{"1.0~rc1", "1.0", -1},
		{"1.0a", "1.0", 1},
		{"1.0a", "1.0+", -1}, // letters before non-letters
		{"1.010", "1.9", 1},  // numeric, not lexical
		{"1.001", "1.1", 0},
		{"2.30-1", "2.3-10", 1},
		{"6.1.76-1", "6.1.192-3", -1},
		{"", "0", 0},
	}
	for _, tt := range tests {
		if got := compareDebVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("compareDebVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := compareDebVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("compareDebVersions(%q, %q) = %d, want %d (antisymmetry)", tt.b, tt.a, got, -tt.want)
		}
	}
}

func FuzzCompareDebVersions(f *testing.F) {
	f.Add("6.12.117-1~deb12u1", "6.12.117-1")
	f.Add("1:2.3a~b-4", "2.3")
	f.Fuzz(func(t *testing.T, a, b string) {
		x, y := compareDebVersions(a, b), compareDebVersions(b, a)
		if x != -y || x < -1 || x > 1 {
			t.Fatalf("compare(%q,%q)=%d, compare(%q,%q)=%d", a, b, x, b, a, y)
		}
		if compareDebVersions(a, a) != 0 {
			t.Fatalf("compare(%q,%q) != 0", a, a)
		}
	})
}
