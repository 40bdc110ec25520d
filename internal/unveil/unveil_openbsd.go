//go:build openbsd

package unveil

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/report"
)

// Unveil is OpenBSD's unveil(2), through golang.org/x/sys/unix.
func Unveil(path, permissions string) error { return unix.Unveil(path, permissions) }

// UnveilBlock is OpenBSD's unveil(NULL, NULL), through golang.org/x/sys/unix.
func UnveilBlock() error { return unix.UnveilBlock() }

// Block is UnveilBlock with a report (OpenBSD enforces every unveil as it
// is made, so the report only records the lock).
func Block() (*report.Report, error) {
	if err := unix.UnveilBlock(); err != nil {
		return nil, err
	}
	return &report.Report{}, nil
}

// Pending is always false on OpenBSD: unveils take effect at once.
func Pending() bool { return false }

// Commit unveils each path with unix.Unveil (OpenBSD applies them at once;
// it does not lock: call UnveilBlock for that). Port rules and scopes have
// no OpenBSD counterpart: they are reported as dropped, or fail the commit
// when required. Implied paths are not needed: pledge(2) allows them
// itself.
func (r *Ruleset) Commit() (*report.Report, error) {
	rep := &report.Report{}
	var errs []error
	nope := func(on bool, pr Protection, what string) {
		if !on {
			return
		}
		if r.required(pr) {
			errs = append(errs, fmt.Errorf("unveil: required protection %q: %w: OpenBSD has no such rule", pr, ErrLandlockUnavailable))
		}
		rep.Add(report.LayerLandlockNet, what, report.Dropped, "no OpenBSD counterpart")
	}
	nope(r.connectTCP.on, TCP, "tcp connect")
	nope(r.bindTCP.on, TCP, "tcp bind")
	nope(r.bindUDP.on, UDP, "udp bind")
	nope(r.sendUDP.on, UDP, "udp connect/send")
	nope(r.scopes != 0, Scopes, "scopes "+r.scopes.String())
	if r.rawHandled != 0 {
		// Landlock rights have no unveil(2) counterpart; dropping the
		// rules would leave the handled rights unrestricted.
		if r.required(Paths) {
			errs = append(errs, fmt.Errorf("unveil: required protection %q: %w: OpenBSD has no Landlock rights (HandleFS, AllowFS)", Paths, ErrLandlockUnavailable))
		}
		rep.Add(report.LayerLandlockFS, "Landlock rights (HandleFS, AllowFS)", report.Dropped, "no OpenBSD counterpart; not restricted")
	}
	if len(errs) > 0 {
		return rep, errs[0]
	}
	for _, p := range r.paths {
		if err := unix.Unveil(p.path, p.perm.String()); err != nil {
			return rep, fmt.Errorf("unveil %s %q: %w", p.path, p.perm.String(), err)
		}
		rep.Add(report.LayerLandlockFS, fmt.Sprintf("%s %q", p.path, p.perm.String()), report.Enforced, "unveil(2)")
	}
	return rep, nil
}

// CommitThread is Commit: OpenBSD's unveil(2) applies to the whole
// process, which includes the calling thread.
func (r *Ruleset) CommitThread() (*report.Report, error) { return r.Commit() }

// sealedError: only Linux pledges seal paths before a commit.
func sealedError(string) error { return nil }
