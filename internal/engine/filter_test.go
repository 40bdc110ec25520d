package engine

import (
	"slices"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

var testSets = []string{"stdio", "stdio rpath", "stdio rpath wpath cpath inet dns", "stdio inet mcast unix proc exec tty", "stdio rpath prot_exec error"}

// Compiling in place and from the rule list (Rules) give the very same
// program, so Drop changes nothing but the dropped calls.
func TestCompileDrop(t *testing.T) {
	extra := []promises.Rule{{Syscall: "execve"}}
	for _, arch := range []string{"amd64", "arm64"} {
		for _, s := range testSets {
			set := promises.MustParse(s)
			inPlace, err := Compile(FilterSpec{Arch: arch, Promises: set, Deny: DenyEPERM, Extra: extra})
			if err != nil {
				t.Fatal(err)
			}
			list, err := Compile(FilterSpec{Arch: arch, Deny: DenyEPERM, Extra: append(Rules(set, arch), extra...)})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(inPlace.Raw, list.Raw) {
				t.Errorf("%s %q: in place and from the rule list differ", arch, s)
			}
			dropped, err := Compile(FilterSpec{Arch: arch, Promises: set, Drop: []string{"openat", "execve"}, Deny: DenyEPERM, Extra: extra})
			if err != nil {
				t.Fatal(err)
			}
			rules := slices.DeleteFunc(Rules(set, arch), func(r promises.Rule) bool { return r.Syscall == "openat" || r.Syscall == "execve" })
			want, err := Compile(FilterSpec{Arch: arch, Deny: DenyEPERM, Extra: append(rules, extra...)})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dropped.Raw, want.Raw) {
				t.Errorf("%s %q: Drop differs from the rule list without the dropped calls", arch, s)
			}
		}
	}
}

func TestRulesDrop(t *testing.T) {
	set := promises.MustParse("stdio rpath exec")
	for _, arch := range []string{"amd64", "arm64"} {
		all := Rules(set, arch)
		if !slices.ContainsFunc(all, func(r promises.Rule) bool { return r.Syscall == "execve" }) {
			t.Fatalf("%s: no execve rule for %q", arch, set)
		}
		kept := Rules(set, arch, "execve", "openat")
		for _, r := range kept {
			if r.Syscall == "execve" || r.Syscall == "openat" || r.Also != 0 {
				t.Errorf("%s: rule %+v kept", arch, r)
			}
		}
		if n := len(all) - len(kept); n == 0 || n != countOf(all, "execve")+countOf(all, "openat") {
			t.Errorf("%s: dropped %d rules", arch, n)
		}
	}
}

func countOf(rs []promises.Rule, sys string) int {
	n := 0
	for _, r := range rs {
		if r.Syscall == sys {
			n++
		}
	}
	return n
}
