//go:build !linux && !openbsd

package unveil

import (
	"errors"
	"testing"
)

func TestUnsupportedHere(t *testing.T) {
	if err := Unveil("/tmp", "r"); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Unveil: %v", err)
	}
	if err := Unveil("/tmp", "q"); !errors.Is(err, ErrPermission) {
		t.Errorf("bad permissions are still reported first: %v", err)
	}
	if err := UnveilBlock(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("UnveilBlock: %v", err)
	}
	if _, err := New().Commit(); !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, ErrLandlockUnavailable) {
		t.Errorf("Commit: %v", err)
	}
	if Pending() {
		t.Error("Pending")
	}
}
