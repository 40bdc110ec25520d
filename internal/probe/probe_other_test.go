//go:build !linux

package probe

import (
	"errors"
	"testing"
)

func TestOtherOSSaysUnsupported(t *testing.T) {
	r := Fresh()
	if r.Seccomp || r.LandlockABI != 0 || !errors.Is(r.LandlockErr, ErrUnsupportedOS) || !errors.Is(r.SeccompErr, ErrUnsupportedOS) {
		t.Fatalf("%+v", r)
	}
}
