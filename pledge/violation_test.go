package pledge

import (
	"testing"
)

func TestParsePenalty(t *testing.T) {
	for p := PenaltyDefault; p < numPenalties; p++ {
		got, err := ParsePenalty(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePenalty(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := ParsePenalty("Abort"); err == nil {
		t.Error("ParsePenalty is case-insensitive")
	}
	if s := Penalty(200).String(); s != "penalty(200)" {
		t.Errorf("String of an unknown penalty: %q", s)
	}
}

func FuzzParsePenalty(f *testing.F) {
	for _, s := range penaltyNames {
		f.Add(s)
	}
	f.Add("")
	f.Add("abort ")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePenalty(s)
		if err == nil && p.String() != s {
			t.Fatalf("ParsePenalty(%q) = %v, which prints as %q", s, p, p.String())
		}
	})
}
