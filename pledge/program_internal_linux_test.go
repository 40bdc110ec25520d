//go:build linux

package pledge

import (
	"runtime"
	"slices"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

// TestProgramIsInstalled: Program returns the very filter the first
// pledge of a process installs (process.program), for every penalty, so
// the unveil command's parity test (cmd/unveil TestFilterParity), which
// compares its filters with Program's, compares them with what Apply
// installs.
func TestProgramIsInstalled(t *testing.T) {
	for _, s := range []string{"stdio", "stdio rpath", "stdio inet dns", "stdio proc exec", "stdio rpath wpath cpath prot_exec", "stdio error"} {
		ps := promises.MustParse(s)
		for _, pen := range []Penalty{PenaltyDefault, PenaltyAbort, PenaltyKill, PenaltyTrap, PenaltyEPERM, PenaltyENOSYS, PenaltyLog} {
			eff, err := resolvePenalty(ps, pen)
			if err != nil {
				continue // "error" with another penalty: refused by both
			}
			got, err := Program(s, runtime.GOARCH, pen)
			if err != nil {
				t.Fatalf("Program(%q, %s): %v", s, pen, err)
			}
			var fresh process
			want, err := fresh.program(ps, eff)
			if err != nil {
				t.Fatalf("program(%q, %s): %v", s, eff, err)
			}
			if !slices.Equal(got, sockFilters(want.Raw)) {
				t.Errorf("%q %s: Program (%d instructions) is not the filter Apply installs (%d)", s, pen, len(got), len(want.Raw))
			}
		}
	}
}
