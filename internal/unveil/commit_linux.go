//go:build linux

package unveil

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// commitMu serializes enforcement: Landlock state is process-wide.
var commitMu sync.Mutex

// Commit enforces the ruleset as one new Landlock layer on every thread
// of the process and returns what was enforced. It sets no_new_privs
// first (on every thread), so no privilege is needed.
//
// Protections this kernel lacks are dropped and listed in the report,
// unless Require names them: then Commit fails with an error wrapping
// ErrLandlockUnavailable and enforces nothing. On a kernel without
// Landlock, Commit therefore succeeds with a report whose Landlock field
// is false and whose items say that nothing is restricted.
//
// The layer only ever narrows what earlier layers allow; a process may
// stack at most 16 (ErrTooManyLayers).
func (r *Ruleset) Commit() (*report.Report, error) {
	return r.commit(planOptions{})
}

// CommitThread is Commit for the calling OS thread alone, for a program
// about to execute another: it locks the calling goroutine to its OS
// thread for good (runtime.LockOSThread, never undone, so that the Go
// runtime never hands the restricted thread to another goroutine), sets
// no_new_privs on that thread, and enforces the ruleset as one new
// Landlock layer on it alone. What the thread executes or starts
// afterwards inherits the layer; the process's other threads are not
// restricted. Call syscall.Exec next, from the same goroutine. A running
// Go program, whose goroutines move between threads, needs Commit.
//
// The report and errors are Commit's.
func (r *Ruleset) CommitThread() (*report.Report, error) {
	runtime.LockOSThread() // never unlocked: see above
	return r.commit(planOptions{thread: true})
}

// commitPledged is Commit for package pledge (unveillink.CommitPledged),
// which calls it right before installing a filter that enforces ps
// (pledge.Options.Unveil, the "dns" pin):
// knowing ps, the layer leaves to that filter what it refuses anyway
// (truncation when ps lacks "wpath"; unix sockets by path when ps lacks
// "unix"), and the report says so. As a pledge's commit it has the
// default scopes of a veil (see Unscope).
func (r *Ruleset) commitPledged(ps promises.Set) (*report.Report, error) {
	return r.commit(planOptions{promises: ps, promisesKnown: true, declared: true, veil: true})
}

func (r *Ruleset) commit(opt planOptions) (*report.Report, error) {
	res := r.probeResult()
	rep := &report.Report{Arch: res.Arch, Kernel: res.Kernel, LandlockABI: res.LandlockABI, NoNewPrivs: noNewPrivs()}
	if r.empty() {
		return rep, nil
	}
	if r.pre == nil && (len(r.paths) > 0 || len(r.raw) > 0 || r.hasImplied) {
		// Naming a path means stat(2) and O_PATH opens, which the filter
		// in force would answer by ending the process.
		if err := sealedError("committing rules that name paths"); err != nil {
			return rep, err
		}
	}
	p := r.plan(res, opt)
	rep.Items = p.items
	if len(p.errs) > 0 {
		return rep, errors.Join(p.errs...)
	}
	if p.handledFS == 0 && p.handledNet == 0 && p.scoped == 0 {
		return rep, nil // nothing this kernel can enforce; the items say why
	}

	ruleset := &engine.Ruleset{
		HandledFS:  p.handledFS,
		HandledNet: p.handledNet,
		Scoped:     p.scoped,
		Net:        make([]engine.NetRule, len(p.net)),
	}
	for i, g := range p.net {
		ruleset.Net[i] = engine.NetRule{Port: g.port, Rights: g.access}
	}

	if sealedBy.Load() != nil && res.Cgo && res.LandlockABI < 8 && !opt.thread {
		// Under a pledge that forbids examining paths (prepare ran),
		// for the pending veil or a Ruleset committed later.
		return rep, fmt.Errorf("unveil: %w: in a cgo build below Landlock ABI 8 every thread is restricted through libpsx, which lists /proc/%d/task, and the pledge in force forbids opening it; nothing was restricted. Commit (or UnveilBlock) before such a pledge, keep \"rpath\" until the last commit, or build with CGO_ENABLED=0",
			syscall.EPERM, os.Getpid())
	}
	ruleset.Paths = make([]engine.PathRule, len(p.fs))
	for i, g := range p.fs {
		ruleset.Paths[i] = engine.PathRule{Path: g.path, Rights: g.rights}
		if r.pre != nil {
			ruleset.Paths[i].File = r.pre.files[g.path]
		}
	}

	commitMu.Lock()
	defer commitMu.Unlock()
	scope := engine.Process
	if opt.thread {
		scope = engine.Thread
	}
	nnpBefore := noNewPrivs()
	// The engine enforces the layer, and before a whole-process one starts
	// package pledge's supervisor when that is linked in and the layer may
	// forbid starting it later.
	if _, err := engine.Apply(&engine.Plan{Scope: scope, Landlock: []engine.Layer{{Ruleset: ruleset}}, Probe: res}); err != nil {
		if errors.Is(err, syscall.E2BIG) {
			return rep, &layersError{err}
		}
		return rep, fmt.Errorf("unveil: enforcing the Landlock ruleset (%v) failed, nothing was restricted: %w", ruleset, err)
	}
	rep.Landlock = true
	rep.NoNewPrivs = noNewPrivs()
	unixSocketsItem(p, opt)
	mechanismItems(p, res, opt, nnpBefore)
	nameFeatures(p.items)
	rep.Items = p.items
	return rep, nil
}

type layersError struct{ err error }

func (e *layersError) Error() string {
	return fmt.Sprintf("unveil: %v: the kernel allows 16 Landlock layers per process, counting inherited ones; commit fewer, larger rulesets (%v)", ErrTooManyLayers, e.err)
}
func (e *layersError) Unwrap() error        { return e.err }
func (e *layersError) Is(target error) bool { return target == ErrTooManyLayers }

func noNewPrivs() bool {
	v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	return err == nil && v == 1
}
