package bpfrun

import (
	"errors"
	"testing"
)

const archX86 = 0xc000003e

// prog: allow nr 39 always; nr 9 only if arg2 == 3; else ERRNO(1).
var sample = []Insn{
	{Op: 0x20, K: 4},                     // 0 ld arch
	{Op: 0x15, Jt: 1, Jf: 0, K: archX86}, // 1 jeq arch
	{Op: 0x06, K: 0x80000000},            // 2 ret kill
	{Op: 0x20, K: 0},                     // 3 ld nr
	{Op: 0x15, Jt: 3, Jf: 0, K: 39},      // 4 jeq 39 -> 8
	{Op: 0x15, Jt: 0, Jf: 3, K: 9},       // 5 jeq 9 -> 6 else 9
	{Op: 0x20, K: 32},                    // 6 ld arg2.lo
	{Op: 0x15, Jt: 0, Jf: 1, K: 3},       // 7 jeq 3 -> 8 else 9
	{Op: 0x06, K: 0x7fff0000},            // 8 ret allow
	{Op: 0x06, K: 0x00050001},            // 9 ret errno 1
}

func TestRun(t *testing.T) {
	for _, c := range []struct {
		d     Data
		ret   uint32
		steps int
	}{
		{Data{Nr: 39, Arch: archX86}, 0x7fff0000, 5},
		{Data{Nr: 9, Arch: archX86, Args: [6]uint64{0, 0, 3}}, 0x7fff0000, 8},
		{Data{Nr: 9, Arch: archX86, Args: [6]uint64{0, 0, 3 | 1<<32}}, 0x7fff0000, 8}, // low word only
		{Data{Nr: 9, Arch: archX86, Args: [6]uint64{0, 0, 7}}, 0x00050001, 8},
		{Data{Nr: 1, Arch: archX86}, 0x00050001, 6},
		{Data{Nr: 39, Arch: 0x40000003}, 0x80000000, 3},
	} {
		ret, steps, err := Run(sample, c.d)
		if err != nil || ret != c.ret || steps != c.steps {
			t.Errorf("Run(%+v) = %#x, %d, %v; want %#x, %d", c.d, ret, steps, err, c.ret, c.steps)
		}
	}
}

func TestRunRejects(t *testing.T) {
	for _, p := range [][]Insn{
		{{Op: 0x20, K: 64}, {Op: 0x06}}, // load past seccomp_data
		{{Op: 0x20, K: 2}, {Op: 0x06}},  // unaligned
		{{Op: 0x05, K: 5}},              // jump out of the program
		{{Op: 0x28, K: 0}, {Op: 0x06}},  // half-word load
	} {
		if _, _, err := Run(p, Data{}); !errors.Is(err, ErrBad) {
			t.Errorf("Run(%v): err %v, want ErrBad", p, err)
		}
	}
}

func TestConstAllow(t *testing.T) {
	if !ConstAllow(sample, archX86, 39) {
		t.Error("nr 39 is allowed whatever the arguments, but not constant")
	}
	if ConstAllow(sample, archX86, 9) {
		t.Error("nr 9 depends on arg2, but was found constant")
	}
	if ConstAllow(sample, archX86, 1) {
		t.Error("nr 1 is denied, but was found allowed")
	}
	if ConstAllow(sample, 0x40000003, 39) {
		t.Error("a foreign arch was found allowed")
	}
	if !ConstAllow([]Insn{{Op: 0x06, K: 0x7fff0000}}, archX86, 1234) {
		t.Error("ret ALLOW is constant")
	}
}

func TestEncodeDecode(t *testing.T) {
	b := Encode(sample)
	if len(b) != 8*len(sample) {
		t.Fatalf("encoded %d bytes", len(b))
	}
	back, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sample {
		if back[i] != sample[i] {
			t.Fatalf("instruction %d: %+v != %+v", i, back[i], sample[i])
		}
	}
	if _, err := Decode(b[:7]); !errors.Is(err, ErrBad) {
		t.Errorf("Decode of 7 bytes: %v", err)
	}
}

func TestPathStats(t *testing.T) {
	st, err := PathStats(sample, [][]Data{
		{{Nr: 39, Arch: archX86}},
		{{Nr: 9, Arch: archX86}, {Nr: 9, Arch: archX86, Args: [6]uint64{0, 0, 3}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// nr 39: 5; nr 9: 8 and 8 (average 8); mean over numbers (5 + 8) / 2.
	if st.Max != 8 || st.Mean != 6.5 {
		t.Errorf("PathStats = %+v, want max 8, mean 6.5", st)
	}
}
