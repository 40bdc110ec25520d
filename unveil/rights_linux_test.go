//go:build linux

package unveil

import (
	"io/fs"
	"testing"
)

func TestFSRights(t *testing.T) {
	for p := Perm(0); p <= PermRead|PermWrite|PermExec|PermCreate; p++ {
		if got, want := p.FSRights(fs.ModeDir|0o755), dirRights(p); got != want {
			t.Errorf("%q on a directory: %#x, want %#x", p.String(), got, want)
		}
		for _, m := range []fs.FileMode{0o644, fs.ModeDevice | fs.ModeCharDevice, fs.ModeSocket} {
			if got, want := p.FSRights(m), fileRights(p, m); got != want {
				t.Errorf("%q on a file of mode %v: %#x, want %#x", p.String(), m, got, want)
			}
		}
	}
}
