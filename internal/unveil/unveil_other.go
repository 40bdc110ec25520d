//go:build !linux && !openbsd

package unveil

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/pledgekit/pledgekit/report"
)

func unsupported(what string) error {
	return fmt.Errorf("unveil: %s: %w on %s (Linux with Landlock and OpenBSD only)", what, errors.ErrUnsupported, runtime.GOOS)
}

// Unveil checks its arguments, then fails with an error matching
// errors.ErrUnsupported: this operating system has no unveil.
func Unveil(path, permissions string) error {
	if _, err := ParsePerm(permissions); err != nil {
		return err
	}
	if err := checkPath(path); err != nil {
		return err
	}
	return unsupported("Unveil")
}

// UnveilBlock fails with an error matching errors.ErrUnsupported.
func UnveilBlock() error { return unsupported("UnveilBlock") }

// Block fails with an error matching errors.ErrUnsupported.
func Block() (*report.Report, error) { return nil, unsupported("UnveilBlock") }

// Pending is always false here.
func Pending() bool { return false }

// Commit fails with an error matching errors.ErrUnsupported (and
// ErrLandlockUnavailable); nothing is restricted.
func (r *Ruleset) Commit() (*report.Report, error) {
	rep := &report.Report{Arch: runtime.GOARCH}
	rep.Add(report.LayerLandlockFS, "paths", report.Dropped, "no Landlock on "+runtime.GOOS)
	return rep, fmt.Errorf("%w: %w", ErrLandlockUnavailable, unsupported("Commit"))
}

// CommitThread fails as Commit does.
func (r *Ruleset) CommitThread() (*report.Report, error) { return r.Commit() }

// sealedError: only Linux pledges seal paths before a commit.
func sealedError(string) error { return nil }
