//go:build linux

package unveil

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/hooks"
	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// commitMu serializes enforcement: Landlock state is process-wide.
var commitMu sync.Mutex

// Commit enforces the ruleset as one new Landlock layer on every thread
// of the process and returns what was enforced. It sets no_new_privs
// first (go-landlock does, on every thread), so no privilege is needed.
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

// CommitPledged is Commit for package pledge, which calls it right
// before installing a filter that enforces ps (pledge.Options.Unveil):
// knowing ps, the layer leaves to that filter what it refuses anyway
// (truncation when ps lacks "wpath"; unix sockets by path when ps lacks
// "unix"), and the report says so. As a pledge's commit it has the
// default scopes of a veil (see Unscope). Call Commit otherwise.
func (r *Ruleset) CommitPledged(ps promises.Set) (*report.Report, error) {
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

	cfg := landlock.Config{
		HandledAccessFS:  landlock.AccessFSSet(p.handledFS),
		HandledAccessNet: landlock.AccessNetSet(p.handledNet),
		Scoped:           landlock.ScopedSet(p.scoped),
	}
	netRules := make([]landlock.Rule, 0, len(p.net))
	for _, g := range p.net {
		switch g.access {
		case llaccess.NetConnectTCP:
			netRules = append(netRules, landlock.ConnectTCP(g.port))
		case llaccess.NetBindTCP:
			netRules = append(netRules, landlock.BindTCP(g.port))
		case llaccess.NetBindUDP:
			netRules = append(netRules, landlock.BindUDP(g.port))
		case llaccess.NetConnectSendUDP:
			netRules = append(netRules, landlock.ConnectSendUDP(g.port))
		}
	}

	if r.pre != nil {
		if res.Cgo && res.LandlockABI < 8 && !opt.thread {
			return rep, fmt.Errorf("unveil: %w: in a cgo build below Landlock ABI 8 every thread is restricted through libpsx, which lists /proc/%d/task, and the pledge in force forbids opening it; nothing was restricted. Unveil before such a pledge, keep \"rpath\" until the last commit, or build with CGO_ENABLED=0",
				syscall.EPERM, os.Getpid())
		}
		for i := range p.fs {
			p.fs[i].file = r.pre.files[p.fs[i].path]
		}
	}

	commitMu.Lock()
	defer commitMu.Unlock()
	if !opt.thread && prestartNeeded(res, p.handledFS) {
		// Package pledge, when linked in, starts its violation supervisor
		// now: once Landlock is enforced, re-executing this binary may be
		// forbidden (see prestartNeeded).
		hooks.BeforeLandlock()
	}
	nnpBefore := noNewPrivs()
	if err := enforce(cfg, netRules, p.fs, opt.thread, res); err != nil {
		if errors.Is(err, syscall.E2BIG) {
			return rep, &layersError{err}
		}
		return rep, fmt.Errorf("unveil: enforcing the Landlock ruleset (%v) failed, nothing was restricted: %w", cfg, err)
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

// enforce creates the Landlock ruleset for cfg and enforces it on every
// thread of the process, or on the calling thread alone (which the caller
// has locked). go-landlock validates cfg and creates the ruleset with the
// network rules (the same validation as its Restrict; not best effort: the
// config holds only rights the probe verified). The filesystem rules are
// added by descriptor: one opened before a pledge that forbids opening
// paths (Prepare), or opened here with O_PATH. Enforcement is go-landlock's
// own sequence: TSYNC from ABI 8 (the verified abi), each thread through
// go-landlock's all-threads calls below it; from ABI 11 the restrict call
// sets no_new_privs itself (restrictSelfFlags), so it is set only when the
// layer is enforced.
func enforce(cfg landlock.Config, netRules []landlock.Rule, fs []fsGrant, thread bool, res *probe.Result) error {
	fd, flags, err := cfg.NewRulesetFD(netRules...)
	if err != nil {
		return err
	}
	if fd < 0 {
		return nil // nothing to restrict (plan returns earlier in that case)
	}
	defer unix.Close(fd)
	for _, g := range fs {
		if err := addPathRule(fd, g); err != nil {
			return err
		}
	}
	switch {
	case thread:
		var nnp bool
		if flags, nnp = restrictSelfFlags(res, flags); !nnp {
			if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
			}
		}
	case !tsync(res):
		if err := llsys.AllThreadsPrctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS) on every thread: %w", err)
		}
		if err := llsys.AllThreadsLandlockRestrictSelf(fd, flags); err != nil {
			return fmt.Errorf("landlock_restrict_self on every thread: %w", err)
		}
		return nil
	default:
		flags |= llsys.FlagRestrictSelfTSync
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		// no_new_privs by the restrict flag (ABI 11), or on this thread,
		// which TSYNC carries to the others with the layer.
		var nnp bool
		if flags, nnp = restrictSelfFlags(res, flags); !nnp {
			if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
			}
		}
	}
	if err := llsys.LandlockRestrictSelf(fd, flags); err != nil {
		return fmt.Errorf("landlock_restrict_self: %w", err)
	}
	return nil
}

// addPathRule adds g to the ruleset rulesetFD.
func addPathRule(rulesetFD int, g fsGrant) error {
	fd := -1
	if g.file != nil {
		fd = int(g.file.Fd())
	} else {
		var err error
		if fd, err = unix.Open(g.path, unix.O_PATH|unix.O_CLOEXEC, 0); err != nil {
			return fmt.Errorf("opening %s for its rule: %w", g.path, err)
		}
		defer unix.Close(fd)
	}
	attr := llsys.PathBeneathAttr{ParentFd: fd, AllowedAccess: g.rights}
	err := llsys.LandlockAddPathBeneathRule(rulesetFD, &attr, 0)
	runtime.KeepAlive(g.file)
	if err != nil {
		return fmt.Errorf("landlock_add_rule for %s (%s): %w", g.path, rightsString(g.rights), err)
	}
	return nil
}
