//go:build linux

package unveil

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// blockImplied are the promises whose implied paths UnveilBlock adds when
// it commits before any pledge: the promises are not known yet, and Go's
// standard library opens these files lazily (os/exec's /dev/null,
// time.Local's /etc/localtime and zoneinfo, the resolver's files, the
// system CA certificates). Every one is listed in the report.
var blockImplied = promises.Of(promises.Stdio, promises.DNS, promises.Inet)

// proc is the process-wide pending ruleset behind the OpenBSD-style
// functions. Kernel state is process-wide, so this is too.
var proc struct {
	mu      sync.Mutex
	pending *Ruleset
	// locked is set by a pledge without "unveil".
	locked bool
	// sealed is set by Prepare: paths can no longer be examined.
	sealed   promises.Set
	isSealed bool
	// probe replaces probe.Get() in tests.
	probe *probe.Result
}

// Unveil is package unveil's Unveil (documented there).
func Unveil(path, permissions string) error {
	proc.mu.Lock()
	defer proc.mu.Unlock()
	if proc.locked {
		return lockedError{}
	}
	if proc.isSealed {
		return fmt.Errorf("unveil %q: %w: the pledge in force (%q) forbids examining paths, which Landlock needs to name them; unveil before that pledge, or keep \"rpath\" in the promises until the last unveil",
			path, syscall.EPERM, proc.sealed.String())
	}
	if proc.pending == nil {
		proc.pending = &Ruleset{probe: proc.probe}
	}
	return proc.pending.Unveil(path, permissions)
}

// UnveilBlock is package unveil's UnveilBlock (documented there).
func UnveilBlock() error {
	_, err := Block()
	return err
}

// Block is UnveilBlock returning the report of what was enforced (nil
// when nothing was pending).
func Block() (*report.Report, error) {
	proc.mu.Lock()
	defer proc.mu.Unlock()
	r := proc.pending
	if r == nil {
		return nil, nil
	}
	proc.pending = nil
	r.Implied(blockImplied)
	// Never silently unenforced: unveils asked through the OpenBSD-style
	// functions fail when no path can be restricted.
	r.Require(Paths)
	defer r.release()
	return r.commit(planOptions{veil: true})
}

// sealedBy holds the promises of the pledge that made Prepare run: from
// then on a Ruleset that Prepare did not examine cannot name paths.
var sealedBy atomic.Pointer[promises.Set]

// sealedError says why naming paths is refused after Prepare, or is nil.
func sealedError(what string) error {
	ps := sealedBy.Load()
	if ps == nil {
		return nil
	}
	return fmt.Errorf("unveil: %s: %w: the pledge in force (%q) forbids examining paths, which Landlock needs to name them; do it before that pledge, or keep \"rpath\" in the promises until the last commit",
		what, syscall.EPERM, ps.String())
}

// prepare is pledge's hook (unveillink.Prepare), called right before it
// installs a filter that enforces ps. It reads the MPTCP sysctl, which a
// commit with TCP port rules reads and a filter without "rpath" refuses
// by ending the process (probe.MPTCP keeps the answer).
//
// When ps forbids examining paths (examines false: stat(2), O_PATH opens,
// no "rpath"), a Ruleset it did not examine then fails to commit rules
// naming paths with an error (EPERM). The pending unveils are then
// committed under that filter (by UnveilBlock or a later pledge), and a
// commit examines and opens every path it names: prepare does it now,
// while it still can, for the pending unveils, the paths the promises
// (and UnveilBlock) imply, and the ELF interpreters of x rules. Later
// Unveil calls fail with an error (EPERM) instead of being ended by the
// filter. A path that changes between prepare and the commit is taken as
// prepare found it.
func prepare(ps promises.Set, examines bool) {
	probe.MPTCP()
	if examines {
		return
	}
	proc.mu.Lock()
	defer proc.mu.Unlock()
	proc.sealed, proc.isSealed = ps, true
	sealedBy.Store(&ps)
	if proc.pending == nil {
		return // later Unveil calls fail: nothing will be committed
	}
	if proc.probe == nil {
		probe.Get() // the commit's probe, answered now
	}
	proc.pending.prepare(ps | blockImplied)
}

// Pending reports whether Unveil was called since the last commit.
func Pending() bool {
	proc.mu.Lock()
	defer proc.mu.Unlock()
	return proc.pending != nil
}

// commitPending is pledge's hook (unveillink.CommitPending); it is called
// before installing the seccomp filter. When ps lacks the "unveil" promise it commits the pending
// unveils, if any, adding the paths promises.ImpliedPaths implies for ps,
// and locks Unveil (later calls fail with ErrLocked, as pledge would
// forbid them on OpenBSD). When no path can be restricted it fails as
// UnveilBlock does. When ps has "unveil" it commits nothing: the
// program may still unveil, and UnveilBlock or a later pledge commits.
// With nothing to commit it returns an empty report. Unless enforced
// (a pledge whose filter will not enforce ps: no seccomp on this kernel,
// or PenaltyLog) the layer leaves nothing to that filter (truncation stays
// a Landlock right).
func commitPending(ps promises.Set, enforced bool) (report.Report, error) {
	proc.mu.Lock()
	defer proc.mu.Unlock()
	if ps.Has(promises.Unveil) {
		var rep report.Report
		if proc.pending != nil {
			rep.Add(report.LayerLandlockFS, "pending unveils", report.NoEffect,
				`not in force yet: with "unveil" among the promises, unveils take effect at UnveilBlock or at a later pledge without "unveil" (on OpenBSD each unveil is in force at once)`)
		}
		return rep, nil
	}
	proc.locked = true
	r := proc.pending
	if r == nil {
		return report.Report{}, nil
	}
	proc.pending = nil
	r.Implied(ps)
	r.Require(Paths) // as in Block
	defer r.release()
	rep, err := r.commit(planOptions{promises: ps, promisesKnown: enforced, declared: true, veil: true})
	if rep == nil {
		return report.Report{}, err
	}
	return *rep, err
}
