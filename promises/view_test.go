package promises

import (
	"reflect"
	"testing"
)

// TestSetRules checks that Set.Rules yields exactly the rules of Baseline()
// and then of Rules(p) for each promise of the set, in order, that apply to
// the arch and whose Also is in the set, and that changing a yielded rule's
// Args does not change the table.
func TestSetRules(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		for _, s := range []Set{0, MustParse("stdio"), MustParse("cpath"), MustParse("stdio rpath wpath cpath inet dns"), linuxSet(), ^Set(0)} {
			var want []Rule
			all := Baseline()
			for _, p := range s.Promises() {
				all = append(all, Rules(p)...)
			}
			for _, r := range all {
				if r.AppliesTo(arch) && r.AppliesWith(s) {
					want = append(want, r)
				}
			}
			var got []Rule
			for r := range s.Rules(arch) {
				r.Args = append([]Cond(nil), r.Args...) // the buffer is reused
				got = append(got, r)
			}
			if len(got) != len(want) {
				t.Fatalf("%s %q: %d rules, want %d", arch, s, len(got), len(want))
			}
			for i := range want {
				if len(want[i].Args) == 0 {
					want[i].Args = nil
				}
				if len(got[i].Args) == 0 {
					got[i].Args = nil
				}
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("%s %q: rule %d is %v, want %v", arch, s, i, got[i], want[i])
				}
			}
		}
	}

	// A rule whose Also is not in the set is not yielded: cpath alone
	// cannot open an existing file read-write.
	withAlso := 0
	for _, r := range Rules(Cpath) {
		if r.Also != 0 {
			withAlso++
		}
	}
	yielded := 0
	for r := range MustParse("cpath").Rules("amd64") {
		if r.Also != 0 && !r.Also.SubsetOf(MustParse("cpath")) {
			t.Errorf("cpath yields %v, whose Also is not pledged", r)
		}
		yielded++
	}
	if withAlso == 0 || yielded+withAlso != len(Baseline())+len(Rules(Cpath)) {
		t.Errorf("cpath: %d rules yielded, %d with Also, of %d", yielded, withAlso, len(Baseline())+len(Rules(Cpath)))
	}

	// Writing into the yielded Args must not reach the table.
	before := Rules(Stdio)
	for r := range MustParse("stdio").Rules("amd64") {
		for i := range r.Args {
			r.Args[i] = Cond{Arg: 5, Width: W64, Value: 0xdead}
		}
	}
	if after := Rules(Stdio); !reflect.DeepEqual(after, before) {
		t.Fatal("writing a yielded rule's Args changed the table")
	}

	// Stopping early stops.
	n := 0
	for range linuxSet().Rules("amd64") {
		n++
		if n == 3 {
			break
		}
	}
	if n != 3 {
		t.Fatalf("stopped after %d rules, want 3", n)
	}
}
