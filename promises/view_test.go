package promises

import (
	"reflect"
	"testing"
)

// TestTableRules checks that TableRules yields exactly Baseline() and then
// Rules(p) for each promise of the set, in order, and that changing a
// yielded rule's Args does not change the table.
func TestTableRules(t *testing.T) {
	for _, s := range []Set{0, MustParse("stdio"), MustParse("stdio rpath wpath cpath inet dns"), LinuxSet(), ^Set(0)} {
		want := Baseline()
		for _, p := range s.Promises() {
			want = append(want, Rules(p)...)
		}
		var got []Rule
		for r := range TableRules(s) {
			r.Args = append([]Cond(nil), r.Args...) // the buffer is reused
			got = append(got, r)
		}
		if n := TableLen(s); n != len(want) {
			t.Fatalf("%q: TableLen %d, want %d", s, n, len(want))
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d rules, want %d", s, len(got), len(want))
		}
		for i := range want {
			if len(want[i].Args) == 0 {
				want[i].Args = nil
			}
			if len(got[i].Args) == 0 {
				got[i].Args = nil
			}
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("%q: rule %d is %v, want %v", s, i, got[i], want[i])
			}
		}
	}

	// Writing into the yielded Args must not reach the table.
	before := Rules(Stdio)
	for r := range TableRules(MustParse("stdio")) {
		for i := range r.Args {
			r.Args[i] = Cond{Arg: 5, Width: W64, Value: 0xdead}
		}
	}
	if after := Rules(Stdio); !reflect.DeepEqual(after, before) {
		t.Fatal("writing a yielded rule's Args changed the table")
	}

	// Stopping early stops.
	n := 0
	for range TableRules(LinuxSet()) {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("stopped after %d rules, want 3", n)
	}
}
