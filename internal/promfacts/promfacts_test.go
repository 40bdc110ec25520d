package promfacts

import (
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

// Truncates is true exactly for the promise sets with wpath: in the
// table, writing and truncating need wpath (O_WRONLY, O_RDWR, O_TRUNC,
// truncate(2)); cpath only creates.
func TestTruncatesPerPromise(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		for _, p := range promises.All() {
			ps := promises.Of(promises.Stdio, p)
			if got, want := Truncates(ps, arch), ps.Has(promises.Wpath); got != want {
				t.Errorf("%s %q: Truncates %v, want %v (only wpath writes or truncates files)", arch, ps, got, want)
			}
		}
	}
}

// LinuxSet holds exactly the promises Describe calls Linux, and its
// string parses back to it.
func TestLinuxSet(t *testing.T) {
	s := LinuxSet()
	for _, p := range promises.All() {
		if s.Has(p) != promises.Describe(p).Linux {
			t.Errorf("%v: in LinuxSet %v, Describe says Linux %v", p, s.Has(p), promises.Describe(p).Linux)
		}
	}
	if !s.Has(promises.Stdio) || s.Has(promises.Audio) {
		t.Errorf("LinuxSet = %q", s)
	}
	if got, err := promises.Parse(s.String()); err != nil || got != s {
		t.Errorf("Parse(LinuxSet().String()) = %v, %v", got, err)
	}
}
