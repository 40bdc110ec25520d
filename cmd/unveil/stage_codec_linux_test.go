package main

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestBPFProgJSON: the filter travels to the stage in the kernel's layout
// and comes back instruction for instruction; a length that is not whole
// instructions is refused.
func TestBPFProgJSON(t *testing.T) {
	in := bpfProg{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 255, K: 0xc000003e}, {Code: 0x06, K: 0x7fff0000}}
	b, err := json.Marshal(struct{ F bpfProg }{in})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ F bpfProg }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in, out.F) {
		t.Errorf("round trip %s: got %v, want %v", b, out.F, in)
	}
	var bad bpfProg
	if err := json.Unmarshal([]byte(`"AAAAAAAAAA=="`), &bad); err == nil {
		t.Errorf("7 bytes decoded as %v, want an error", bad)
	}
}
