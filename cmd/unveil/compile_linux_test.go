package main

import (
	"slices"
	"testing"

	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/promises"
)

// Exec mode compiles the promise set from the table in place, plus its own
// extra rules; that must be the very program the explicit rule list
// (rulesFor, which the supervised mode uses to drop calls) gives.
func TestInPlaceCompileMatchesRuleList(t *testing.T) {
	extra := []promises.Rule{{Syscall: "execve"}, {Syscall: "mmap", Args: []promises.Cond{
		c32(2, ^uint64(protRead|protExec), 0), c32(3, mapAnonymous, 0)}}}
	for _, arch := range []string{"amd64", "arm64"} {
		for _, s := range []string{"stdio", "stdio rpath", "stdio rpath wpath cpath inet dns", "stdio inet mcast unix proc exec tty", "stdio rpath prot_exec error"} {
			set := promises.MustParse(s)
			for _, deny := range []engine.Deny{engine.DenyEPERM, engine.DenyKill} {
				inPlace, err := engine.Compile(engine.FilterSpec{Arch: arch, Promises: set, Deny: deny, Extra: extra})
				if err != nil {
					t.Fatal(err)
				}
				list, err := engine.Compile(engine.FilterSpec{Arch: arch, Deny: deny, Extra: append(rulesFor(set, arch), extra...)})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(inPlace.Raw, list.Raw) {
					t.Errorf("%s %q deny %d: in place %d instructions, from the rule list %d: programs differ", arch, s, deny, len(inPlace.Raw), len(list.Raw))
				}
			}
		}
	}
}
