package promfacts

import (
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
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

// RefusesMPTCP: the table answers MPTCP sockets with an errno under every
// set, so every filter refuses them, enforcing or only logging; a TCP
// socket of the same family is not answered that way.
func TestRefusesMPTCP(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		sets := []promises.Set{promises.Of()}
		for _, p := range promises.All() {
			sets = append(sets, promises.Of(promises.Stdio, p))
		}
		for _, s := range sets {
			for _, enforces := range []bool{true, false} {
				if !RefusesMPTCP(s, arch, enforces) {
					t.Errorf("%s %q (enforces %v): MPTCP sockets not refused", arch, s, enforces)
				}
			}
		}
		// The other way: what RefusesMPTCP looks for is the errno rule, not
		// any refusal; plain TCP under inet is allowed, not answered so.
		if r, ok := promises.Decide(promises.MustParse("stdio inet"), arch, "socket", [6]uint64{afInet, sockStream, 6}); !ok || r.Action == promises.Errno {
			t.Errorf("%s: TCP sockets under inet: %+v, %v; want allowed", arch, r, ok)
		}
	}
}

// UnixDatagramsItem: one wording for package pledge and the command;
// the default reason names this kernel's ABI and the one that closes it.
func TestUnixDatagramsItem(t *testing.T) {
	it := UnixDatagramsItem(7, "")
	if it.What != "unix datagrams by path" || it.Status != report.Partial || it.Layer != report.LayerPromise ||
		it.Reason != "this kernel's Landlock (ABI 7) cannot restrict it (ABI 9 can)" || !strings.Contains(it.Detail, "socketpair") {
		t.Errorf("default item: %+v", it)
	}
	if it := UnixDatagramsItem(9, "no unveil is in force"); it.Reason != "no unveil is in force" || it.Detail != UnixDatagramsItem(7, "").Detail {
		t.Errorf("item with a reason: %+v", it)
	}
}
