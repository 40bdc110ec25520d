package promises

import "testing"

// Truncates is true exactly for the promise sets with wpath: in the
// table, writing and truncating need wpath (O_WRONLY, O_RDWR, O_TRUNC,
// truncate(2)); cpath only creates.
func TestTruncatesPerPromise(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		for _, p := range All() {
			ps := Of(Stdio, p)
			if got, want := Truncates(ps, arch), ps.Has(Wpath); got != want {
				t.Errorf("%s %q: Truncates %v, want %v (only wpath writes or truncates files)", arch, ps, got, want)
			}
		}
	}
}
