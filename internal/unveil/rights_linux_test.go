//go:build linux

package unveil

import (
	"io/fs"
	"testing"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// Perm's bits and letters are the letter table's, so FSRights maps each
// letter through its row.
func TestFSRights(t *testing.T) {
	for i, l := range llaccess.Letters() {
		p, err := ParsePerm(string(l.Letter))
		if err != nil || p != Perm(1)<<i || uint8(p) != llaccess.LetterBit(l.Letter) {
			t.Errorf("letter %c: ParsePerm = %v %v, want bit %d", l.Letter, p, err, i)
		}
		if p.FSRights(fs.ModeDir|0o755) != l.Dir || p.FSRights(0o644) != l.File ||
			p.FSRights(fs.ModeDevice|fs.ModeCharDevice) != l.File|l.Device || p.FSRights(fs.ModeSocket) != l.File|l.Socket {
			t.Errorf("letter %c: rights differ from its row %+v", l.Letter, l)
		}
	}
	for p := Perm(0); p <= PermRead|PermWrite|PermExec|PermCreate; p++ {
		if p.String() != llaccess.LetterString(uint8(p)) {
			t.Errorf("%#x prints as %q, the table %q", uint8(p), p.String(), llaccess.LetterString(uint8(p)))
		}
	}
}

// Every Landlock feature that brings rights is a Protection with the
// feature's ABI, and back.
func TestProtectionsAreFeatures(t *testing.T) {
	features := llaccess.Features()
	if len(features) != int(numProtections)-1 {
		t.Errorf("%d features with rights, %d protections", len(features), numProtections-1)
	}
	for _, f := range features {
		p := protectionNamed(f.Name)
		if p == 0 || p.ABI() != f.ABI || p.String() != f.Name {
			t.Errorf("feature %s (ABI %d): protection %v, ABI %d", f.Name, f.ABI, p, p.ABI())
		}
	}
	if protectionNamed("tsync") != 0 {
		t.Error("tsync is not a protection")
	}
}

// Scope maps to the Landlock scopes of the same name.
func TestScopeBits(t *testing.T) {
	if ScopeSignal.landlock() != llaccess.ScopeSignal || ScopeAbstractUnix.landlock() != llaccess.ScopeAbstractUnixSocket ||
		(ScopeSignal|ScopeAbstractUnix).landlock() != llaccess.Known(llaccess.Scope) || Scope(0).landlock() != 0 {
		t.Error("Scope to Landlock scope bits")
	}
	if s := (ScopeSignal | ScopeAbstractUnix).String(); s != "signal+abstract_unix_socket" {
		t.Errorf("String = %q", s)
	}
}
