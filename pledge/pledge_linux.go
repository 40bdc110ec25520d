//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/internal/filter"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/promfacts"
	"github.com/pledgekit/pledgekit/internal/reportlink"
	"github.com/pledgekit/pledgekit/internal/unveillink"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

// Pledge restricts the process to promises and sets the execpromises for
// programs started with Command, like OpenBSD's pledge(2). An empty
// execpromises string means "no promises" (such a program cannot run), not
// "unchanged": use PledgePromises to leave them alone. Violations end the
// process with a message (PenaltyAbort; PenaltyTrap where the supervisor
// cannot run), or fail with ENOSYS if the promises include "error". It
// fails (and changes nothing) if the kernel cannot filter system calls.
func Pledge(promises, execpromises string) error {
	_, err := Apply(Options{Promises: promises, Execpromises: execpromises, Fallback: FallbackPenalty})
	return err
}

// PledgePromises is Pledge that leaves the execpromises unchanged.
func PledgePromises(promises string) error {
	_, err := Apply(Options{Promises: promises, KeepExecpromises: true, Fallback: FallbackPenalty})
	return err
}

// PledgeExecpromises sets only the execpromises, leaving the promises (and
// the filter) unchanged.
func PledgeExecpromises(execpromises string) error {
	_, err := Apply(Options{Execpromises: execpromises, KeepPromises: true, Fallback: FallbackPenalty})
	return err
}

// Apply is Pledge with options, and returns a report of what the kernel
// enforces (also on error, where it says what was done). On error no filter
// was installed, except where the error says so; pending unveils may have
// been committed, and no_new_privs may have been set on the calling thread.
func Apply(o Options) (*report.Report, error) { return proc.apply(o) }

// process is the pledge state of this process. There is one (proc): a
// seccomp filter is process-wide and cannot be removed.
type process struct {
	mu       sync.Mutex
	pledged  bool // promises were set (a filter installed, or FallbackNoSeccomp)
	promises promises.Set
	execSet  bool
	exec     promises.Set
	penalty  Penalty // requested penalty of the last Apply that set promises (for Command)
	filters  int     // filters installed by this package in this process
	last     Penalty // effective penalty of the newest filter
	// enforcing is true when a filter that enforces (any penalty but
	// PenaltyLog) is in force, installed here or inherited from the parent
	// (exec helper); enforced is the promise set of the newest such filter.
	enforcing bool
	enforced  promises.Set
	// listener is true when some filter in force holds a notification
	// listener: the kernel allows only one per filter stack.
	listener bool
	sup      *supervisor // set when our supervisor serves the listener
	// dnsPinned: a Landlock layer pins TCP and UDP to port 53 (dns
	// without inet; see pinDNS).
	dnsPinned bool
}

var proc process

// kernel returns what this kernel can do; tests replace it to exercise the
// fallbacks of kernels they do not run on.
var kernel = probe.Seccomp

func parseSet(what, s string) (promises.Set, error) {
	set, err := promises.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("pledge: %s: %w (%w)", what, err, unix.EINVAL)
	}
	return set, nil
}

func (st *process) apply(o Options) (*report.Report, error) {
	if o.Penalty >= numPenalties {
		return nil, fmt.Errorf("pledge: penalty %d: %w", o.Penalty, ErrInvalid)
	}
	var reqP, reqE promises.Set
	var err error
	if !o.KeepPromises {
		if reqP, err = parseSet("promises", o.Promises); err != nil {
			return nil, err
		}
	}
	if !o.KeepExecpromises {
		if reqE, err = parseSet("execpromises", o.Execpromises); err != nil {
			return nil, err
		}
	}

	st.mu.Lock()
	defer st.mu.Unlock()
	if o.Unveil != nil && st.pledged && !st.promises.Has(promises.Unveil) {
		return nil, fmt.Errorf("pledge: Options.Unveil: %w: the promises %q lack \"unveil\", so the filter denies the Landlock system calls a commit needs; pass the layer to the first pledge, or keep \"unveil\" in the promises until the last layer is committed", unveil.ErrLocked, st.promises.String())
	}
	if o.Unveil != nil && st.enforcing && !examinesPaths(st.enforced) {
		return nil, fmt.Errorf("pledge: Options.Unveil: %w: the promises in force (%q) forbid examining paths (no \"rpath\"), which committing a ruleset needs; pass the layer to a pledge that still has \"rpath\"", syscall.EPERM, st.enforced.String())
	}
	pr := kernel()
	rep := &report.Report{Arch: runtime.GOARCH, Kernel: pr.Kernel, LandlockABI: pr.LandlockABI}

	// The promises: only reductions, except that "error" trims silently.
	setP := !o.KeepPromises
	newP := st.promises
	if setP {
		newP = reqP
		if st.pledged && !newP.SubsetOf(st.promises) {
			extra := newP &^ st.promises
			if !st.promises.Has(promises.Error) {
				return nil, fmt.Errorf("%w: %q would add %q to the current promises %q", ErrWiden, o.Promises, extra.String(), st.promises.String())
			}
			newP &= st.promises
			rep.Add(report.LayerPromise, extra.String(), report.Dropped,
				`not in the current promises; removed silently because they include "error", as on OpenBSD`)
		}
	}
	bounded := st.pledged || setP // the execpromises are bounded by newP

	// The execpromises: only reductions, and never beyond the promises.
	newE, haveE := st.exec, st.execSet
	if !o.KeepExecpromises {
		if st.execSet && !reqE.SubsetOf(st.exec) {
			return nil, fmt.Errorf("%w: execpromises %q would add %q to the current execpromises %q", ErrWiden, o.Execpromises, (reqE &^ st.exec).String(), st.exec.String())
		}
		if bounded && reqE.Beyond(newP) != 0 {
			return nil, fmt.Errorf("%w: execpromises %q allow %q beyond the promises %q; on Linux a program started by this process stays under its filter, so it can never have more", ErrExecWider, o.Execpromises, reqE.Beyond(newP).String(), newP.String())
		}
		newE, haveE = reqE, true
	} else if haveE && bounded && newE.Beyond(newP) != 0 {
		rep.Add(report.LayerPromise, "execpromises "+newE.Beyond(newP).String(), report.Dropped, "removed from the execpromises together with the promises")
		newE &^= newE.Beyond(newP)
	}

	pen := o.Penalty
	if setP {
		if pen, err = resolvePenalty(newP, pen); err != nil {
			return nil, err
		}
		if pen.Enforces() && !newP.Has(promises.Stdio) {
			return nil, fmt.Errorf("%w (asked: %q); add \"stdio\", or exit instead of pledging nothing", ErrNoStdio, newP.String())
		}
	}

	// The same promises again need no filter, unless the filters so far
	// only log (PenaltyLog) and this one enforces.
	unchanged := st.pledged && newP == st.promises && (!pen.Enforces() || st.enforcing && st.enforced == newP)
	installs := setP && !unchanged
	if !installs {
		if err := landlockOnly(func() error { return commitRuleset(o.Unveil, 0, false, rep) }); err != nil {
			return rep, err
		}
	}
	switch {
	case setP && unchanged:
		rep.Add(report.LayerSeccomp, "filter", report.Enforced, fmt.Sprintf("promises unchanged: no new filter; the earlier filters' penalties stay (%s)", st.last))
	case installs:
		if err := st.install(newP, pen, o.Fallback, o.Unveil, rep); err != nil {
			return rep, err
		}
		st.pledged, st.promises, st.penalty = true, newP, pen
	}
	st.exec, st.execSet = newE, haveE
	switch {
	case haveE && bounded && !newP.Has(promises.Exec):
		rep.Add(report.LayerPromise, fmt.Sprintf("execpromises %q", newE.String()), report.NoEffect,
			`this process cannot execute programs (no "exec" promise)`)
	case haveE:
		rep.Add(report.LayerPromise, fmt.Sprintf("execpromises %q", newE.String()), report.Partial,
			"enforced only for programs started with pledge.Command; any other program this process executes runs under its filter and promises, as seccomp filters survive execve")
	}
	rep.NoNewPrivs = rep.NoNewPrivs || st.filters > 0
	return rep, nil
}

// resolvePenalty resolves PenaltyDefault: PenaltyENOSYS when ps has
// "error", else PenaltyAbort. Another penalty together with "error" is a
// conflict.
func resolvePenalty(ps promises.Set, pen Penalty) (Penalty, error) {
	switch {
	case pen >= numPenalties:
		return 0, fmt.Errorf("pledge: penalty %d: %w", pen, ErrInvalid)
	case pen == PenaltyDefault && ps.Has(promises.Error):
		return PenaltyENOSYS, nil
	case pen == PenaltyDefault:
		return PenaltyAbort, nil
	case ps.Has(promises.Error) && pen != PenaltyENOSYS:
		return 0, fmt.Errorf(`%w: the "error" promise selects PenaltyENOSYS, but penalty %s was asked for; drop one of them`, ErrInvalid, pen)
	}
	return pen, nil
}

// denyAction is the seccomp return value for an effective penalty.
func denyAction(p Penalty) uint32 {
	switch p {
	case PenaltyAbort:
		return filter.RetUserNotif
	case PenaltyKill:
		return filter.RetKillProcess
	case PenaltyTrap:
		return filter.RetTrap
	case PenaltyEPERM:
		return filter.RetErrno | filter.EPERM
	case PenaltyENOSYS:
		return filter.RetErrno | filter.ENOSYS
	case PenaltyLog:
		return filter.RetLog
	}
	panic("pledge: unresolved penalty " + p.String())
}

// effectivePenalty returns the penalty this kernel and process can give
// for pen, and why it differs.
func (st *process) effectivePenalty(pen Penalty, pr *probe.Result, esrch bool) (Penalty, string) {
	switch pen {
	case PenaltyAbort:
		switch {
		case !pr.SeccompActions[probe.ActionUserNotif] || !pr.SeccompFlags[probe.FlagNewListener]:
			return PenaltyTrap, "the kernel lacks seccomp user notification (Linux 5.0)"
		case !esrch:
			return PenaltyTrap, "the kernel lacks SECCOMP_FILTER_FLAG_TSYNC_ESRCH (Linux 5.7), without which a listener cannot cover every thread"
		case st.sup != nil:
			return pen, "" // this package's supervisor hands its listener over (narrowSupervised)
		case st.listener:
			return PenaltyTrap, "the kernel allows one notification listener per process, which an earlier filter holds: calls outside the earlier promises are still reported, calls only this narrowing removed get SIGSYS"
		case st.filters > 0:
			return PenaltyTrap, "the supervisor can only be started before the first filter"
		case st.filters == 0 && pr.SeccompFilterInstalled:
			// A supervisor started now would fork and execute under the
			// inherited filter, which may refuse it (and its supervisor
			// report pledgekit's start-up as a violation), to no avail
			// when that filter holds the listener.
			if os.Getenv(envStarted) != "" {
				return PenaltyTrap, startedByCommandWhy
			}
			if held, ok := heldListener(); ok && held {
				return PenaltyTrap, inheritedListenerWhy
			}
		}
	case PenaltyKill:
		if !pr.SeccompActions[probe.ActionKillProcess] {
			return PenaltyTrap, "the kernel lacks SECCOMP_RET_KILL_PROCESS (Linux 4.14)"
		}
	}
	return pen, ""
}

// inheritedListenerWhy is the report's reason for PenaltyTrap instead of
// PenaltyAbort under an inherited filter that holds the listener. Abort
// asks for a process that stops at a violation with a message; the
// message cannot be had, and PenaltyTrap (SIGSYS, a Go program's
// traceback naming the call) still stops it, where the inherited filter's
// answer (EPERM under the unveil command's default) would let it go on.
// The new filter is not layered (the promises it inherited are not known
// here), so it answers every call outside this pledge's promises first.
const inheritedListenerWhy = "a seccomp filter this program inherited (pledge.Command, an exec after pledging, the unveil command) holds the process's one notification listener: no supervisor can report this pledge's violations, so none was started; SIGSYS stops the process instead (the inherited filter's own answer, EPERM under the unveil command, would let it go on)"

// startedByCommandWhy is the report's reason for PenaltyTrap instead of
// PenaltyAbort in a program started by Command (see envStarted).
const startedByCommandWhy = "this program was started by pledge.Command, whose filter refuses what a supervisor needs (pidfd_getfd) and could end the process for trying to start one: none was started; SIGSYS stops the process instead"

// install builds and installs the filter for ps with penalty pen.
func (st *process) install(ps promises.Set, pen Penalty, fb Fallback, rs *unveil.Ruleset, rep *report.Report) error {
	pr := kernel()
	if !pr.Seccomp {
		if fb&FallbackNoSeccomp == 0 {
			return fmt.Errorf("%w: this kernel cannot filter system calls (%v); nothing was restricted. Use Options.Fallback FallbackNoSeccomp to run unfiltered", ErrUnsupported, pr.SeccompErr)
		}
		rep.Add(report.LayerSeccomp, fmt.Sprintf("filter for %q", ps.String()), report.Dropped, fmt.Sprintf("this kernel cannot filter system calls: %v", pr.SeccompErr))
		return landlockOnly(func() error { return st.commitUnveil(ps, false, rs, rep) })
	}
	if pen == PenaltyLog && !pr.SeccompActions[probe.ActionLog] {
		return fmt.Errorf("%w: PenaltyLog needs SECCOMP_RET_LOG (Linux 4.14)", ErrUnsupported)
	}
	esrch := pr.SeccompFlags[probe.FlagTSyncESRCH]
	eff, why := st.effectivePenalty(pen, pr, esrch)
	if eff == PenaltyAbort && st.sup != nil {
		return st.narrowSupervised(ps, pen, rs, esrch, rep)
	}
	sup, prestarted := takePrestarted(), false
	if sup != nil && eff != PenaltyAbort {
		sup.discard()
		sup = nil
	}
	if eff == PenaltyAbort {
		var preErr, err error
		if sup != nil {
			if preErr = sup.ready(); preErr != nil {
				sup.discard()
				sup = nil
			} else {
				prestarted = true
			}
		}
		if sup == nil {
			if sup, err = startSupervisor(ps); err != nil {
				eff, why = PenaltyTrap, err.Error()
				if st.filters == 0 && pr.SeccompFilterInstalled {
					// It holds no listener (or effectivePenalty could
					// not tell), but may refuse the fork, the exec or
					// what the supervisor does.
					why = "a seccomp filter this program inherited is in force, and the supervisor could not be started under it (" + why + ")"
				}
				if preErr != nil {
					why += fmt.Sprintf(" (the supervisor started before Landlock failed too: %v)", preErr)
				}
			}
		}
	}
	if eff != pen {
		if fb&FallbackPenalty == 0 {
			return fmt.Errorf("%w: penalty %s is not available: %s. Allow FallbackPenalty or choose another penalty", ErrUnsupported, pen, why)
		}
		rep.Add(report.LayerSeccomp, "penalty "+pen.String(), report.Partial, fmt.Sprintf("penalty %s instead: %s", eff, why))
	}
	prog, err := st.program(ps, eff)
	if err != nil {
		if sup != nil {
			sup.abort()
		}
		return err
	}
	loadLazyFiles(ps, !st.pledged && !pr.SeccompFilterInstalled)
	// One plan: the layers pending and asked for (Landlock must be
	// enforced before seccomp: enforcing it needs system calls the filter
	// may deny), then, right before the filter, what a commit under it
	// needs and the supervisor's readiness for the listener.
	plan := &engine.Plan{
		Scope:    engine.Process,
		Landlock: []engine.Layer{{Commit: func() error { return st.commitUnveil(ps, eff.Enforces(), rs, rep) }}},
		BeforeFilter: func() error {
			if eff.Enforces() {
				// Unveils (pending ones, or a Ruleset committed later)
				// would be committed under this filter, which would end
				// the process for what a commit reads without rpath: the
				// stat(2) and O_PATH opens of its paths, the MPTCP sysctl
				// its TCP port rules read.
				unveillink.Prepare(ps, examinesPaths(ps))
			}
			if sup != nil {
				return sup.handOver()
			}
			return nil
		},
		Filter: filterPlan(sockFilters(prog.Raw), esrch, sup != nil),
	}
	if sup != nil {
		err := st.installSupervised(sup, ps, pen, fb, prog, esrch, plan, rep)
		if err == nil && prestarted && st.sup == sup && writeAllowed(ps) {
			sup.update(ps) // it was started before the promises were known
		}
		return err
	}
	if res, err := engine.Apply(plan); err != nil {
		if res.Failed == engine.StepFilter {
			return fmt.Errorf("pledge: %w", err)
		}
		return err
	}
	if st.sup != nil && writeAllowed(ps) {
		st.sup.update(ps)
	}
	st.installed(ps, eff, prog, rep)
	return nil
}

// landlockOnly commits Landlock layers through the engine, with no filter
// after them.
func landlockOnly(commit func() error) error {
	_, err := engine.Apply(&engine.Plan{Scope: engine.Process, Landlock: []engine.Layer{{Commit: commit}}})
	return err
}

// installSupervised applies plan, whose filter for PenaltyAbort has a
// listener, and hands the listener to the supervisor. When another filter
// already holds the process's listener, it installs the filter with
// PenaltyTrap instead (if fb allows).
func (st *process) installSupervised(sup *supervisor, ps promises.Set, pen Penalty, fb Fallback, prog *filter.Program, esrch bool, plan *engine.Plan, rep *report.Report) error {
	res, err := engine.Apply(plan)
	if err != nil && res.Failed != engine.StepFilter {
		sup.abort()
		return err
	}
	if errors.Is(err, unix.EBUSY) {
		// A filter this package did not install (a container runtime's)
		// holds the listener.
		sup.abort()
		st.listener = true
		const why = "a seccomp filter installed before this program started holds the process's one notification listener"
		if fb&FallbackPenalty == 0 {
			return fmt.Errorf("%w: penalty abort is not available: %s. Allow FallbackPenalty or choose another penalty", ErrUnsupported, why)
		}
		rep.Add(report.LayerSeccomp, "penalty abort", report.Partial, "penalty trap instead: "+why)
		if prog, err = st.program(ps, PenaltyTrap); err != nil {
			return err
		}
		if _, err := install(sockFilters(prog.Raw), esrch, false); err != nil {
			return err
		}
		st.installed(ps, PenaltyTrap, prog, rep)
		return nil
	}
	if err != nil {
		sup.abort()
		return fmt.Errorf("pledge: %w", err)
	}
	st.installed(ps, PenaltyAbort, prog, rep)
	st.listener = true
	if err := sup.finish(res.ListenerFd); err != nil {
		// The filter is in force: keep the books straight.
		st.pledged, st.promises, st.penalty = true, ps, pen
		return fmt.Errorf("pledge: the filter for %q is installed, but its supervisor failed (%w): violations now fail with ENOSYS instead of ending the process", ps.String(), err)
	}
	st.sup = sup
	return nil
}

// narrowSupervised installs a PenaltyAbort filter for ps over an earlier
// one whose listener this package's supervisor holds: the filter is not
// layered (it refuses every call outside ps itself, with a notification)
// and the supervisor moves to its listener, so a violation of the narrowed
// promises is reported with the call and the promise as the first was.
func (st *process) narrowSupervised(ps promises.Set, pen Penalty, rs *unveil.Ruleset, esrch bool, rep *report.Report) error {
	prog, err := filter.Compile(filter.Spec{Arch: runtime.GOARCH, Promises: ps, Deny: denyAction(PenaltyAbort), Pid: unix.Getpid()})
	if err != nil {
		return fmt.Errorf("pledge: compiling the filter for %q: %w", ps.String(), err)
	}
	// The layers, then what a commit under the filter needs; the
	// supervisor installs the filter with its new listener (narrow).
	plan := &engine.Plan{
		Scope:    engine.Process,
		Landlock: []engine.Layer{{Commit: func() error { return st.commitUnveil(ps, true, rs, rep) }}},
		BeforeFilter: func() error {
			unveillink.Prepare(ps, examinesPaths(ps))
			return nil
		},
	}
	if _, err := engine.Apply(plan); err != nil {
		return err
	}
	if err := st.sup.narrow(sockFilters(prog.Raw), esrch); err != nil {
		return fmt.Errorf("pledge: narrowing to %q: %w", ps.String(), err)
	}
	st.installed(ps, PenaltyAbort, prog, rep)
	if writeAllowed(ps) {
		st.sup.update(ps)
	}
	return nil
}

// loadLazyFiles has Go read now the files it reads lazily, while the
// process may still open files: a filter cannot tell them from others,
// so after a pledge without rpath their first use would end the process.
// Go's local time zone (/etc/localtime or zoneinfo, at the first
// timestamped log line; OpenBSD lets every pledged process read those)
// is always loaded. Package net reads /proc/sys/net/core/somaxconn at a
// process's first listen; it is read with a listen on an autobound
// abstract unix socket, closed at once, only when ps can listen at all
// ("inet" or "unix"; a later pledge can only narrow) and no filter is in
// force (unfiltered is true): a filter this process inherited may refuse
// the socket. A narrowing pledge has nothing to load: the first one did.
func loadLazyFiles(ps promises.Set, unfiltered bool) {
	_ = time.Local.String()
	if unfiltered && (ps.Has(promises.Inet) || ps.Has(promises.Unix)) {
		if l, err := net.ListenUnix("unix", &net.UnixAddr{Net: "unix"}); err == nil {
			l.Close()
		}
	}
}

// examinesPaths reports whether a filter for ps lets a commit of package
// unveil examine and open paths: stat(2), readlinkat(2) (resolving
// symlinks) and O_PATH opens.
func examinesPaths(ps promises.Set) bool {
	const atFDCWD = ^uint64(99) // -100
	for _, c := range []struct {
		sys  string
		args [6]uint64
	}{
		{"newfstatat", [6]uint64{atFDCWD, 0, 0, 0}},
		{"readlinkat", [6]uint64{atFDCWD, 0, 0, 0}},
		{"openat", [6]uint64{atFDCWD, 0, unix.O_PATH | unix.O_CLOEXEC}},
	} {
		if _, ok := promises.Decide(ps, runtime.GOARCH, c.sys, c.args); !ok {
			return false
		}
	}
	return true
}

// writeAllowed reports whether the promises let the process write to a
// pipe it holds (for best-effort messages to the supervisor).
func writeAllowed(ps promises.Set) bool {
	_, ok := promises.Decide(ps, runtime.GOARCH, "write", [6]uint64{3, 0, 1})
	return ok
}

// installed records a filter that is now in force.
func (st *process) installed(ps promises.Set, eff Penalty, prog *filter.Program, rep *report.Report) {
	st.filters++
	st.last = eff
	if eff.Enforces() {
		st.enforcing, st.enforced = true, ps
	}
	rep.Seccomp, rep.NoNewPrivs = true, true
	rep.Add(report.LayerNoNewPrivs, "no_new_privs", report.Enforced, "")
	rep.Add(report.LayerSeccomp, fmt.Sprintf("filter %d for %q", st.filters, ps.String()), report.Enforced,
		fmt.Sprintf("penalty %s; %d instructions; every thread (TSYNC)", eff, len(prog.Raw)))
	for _, p := range ps.Promises() {
		switch info := promises.Describe(p); {
		case !info.Linux:
			rep.Add(report.LayerPromise, p.String(), report.NoEffect, "OpenBSD-only: accepted, grants nothing on Linux")
		case p == promises.Error:
			rep.Add(report.LayerPromise, p.String(), report.Enforced, "violations fail with ENOSYS")
		case !info.Grants:
			rep.Add(report.LayerPromise, p.String(), report.NoEffect, "grants no system calls on Linux; with unveil, makes its files accessible (promises.ImpliedPaths)")
		default:
			rep.Add(report.LayerPromise, p.String(), report.Enforced, "")
		}
	}
	// Only a layer committed by this call, knowing that this filter
	// follows, can have left truncation to it (its report is merged by
	// now), and only when the filter enforces promises that cannot
	// truncate: ordinary pledges record nothing. A TCP port rule is
	// partial while MPTCP sockets get through; this filter closes that
	// for the rules of this call and, through Report.Merge, for those of
	// earlier unveil reports the program merges.
	if reportlink.Open(rep, reportlink.Truncate) && eff.Enforces() && !promfacts.Truncates(ps, runtime.GOARCH) {
		reportlink.Close(rep, reportlink.Truncate)
	}
	if promfacts.RefusesMPTCP(ps, runtime.GOARCH, eff.Enforces()) {
		reportlink.Close(rep, reportlink.MPTCP)
	}
	if len(prog.Skipped) > 0 {
		rep.Add(report.LayerSeccomp, fmt.Sprintf("rules for %v", prog.Skipped), report.NoEffect, "these system calls do not exist on "+runtime.GOARCH)
	}
	if promises.StatByPath.In(ps, runtime.GOARCH) {
		rep.Add(report.LayerPromise, "stat without rpath", report.Partial, promises.StatByPath.Reason())
	}
	// Without "unix", unix sockets are refused, except that an AF_UNIX
	// datagram socket from socketpair (stdio) takes addressed sends, which
	// seccomp cannot tell from inet's. Landlock ABI 9 closes it whenever a
	// layer with paths that this process committed is in force.
	if promises.UnixDatagramsByPath.In(ps, runtime.GOARCH) && !unveillink.UnixSocketsRestricted() {
		fix := "" // this kernel's Landlock cannot
		switch {
		case rep.LandlockABI >= 9:
			fix = "unveil (Landlock ABI 9) restricts it; no unveil is in force"
		case !rep.Landlock && kernel().LandlockDeferred:
			fix = "unveil (Landlock ABI 9) would restrict it; Landlock was not asked, because a seccomp filter was already in force"
		}
		rep.Items = append(rep.Items, promfacts.UnixDatagramsItem(rep.LandlockABI, fix))
	}
}

// commitUnveil applies pending unveils (package unveil) before the
// filter; the unveil package does so only when ps lacks "unveil" (a pledge
// without it locks unveil, as on OpenBSD). Then it commits rs
// (Options.Unveil), if any. Landlock must be enforced before seccomp:
// enforcing it needs system calls the filter may deny. enforced says that
// a filter enforcing ps follows at once (not PenaltyLog, not without
// seccomp): only then may the layers leave anything to it.
func (st *process) commitUnveil(ps promises.Set, enforced bool, rs *unveil.Ruleset, rep *report.Report) error {
	ur, err := unveillink.CommitPending(ps, enforced)
	if err != nil {
		return fmt.Errorf("pledge: committing pending unveils before the filter: %w", err)
	}
	rep.Merge(ur)
	if err := commitRuleset(rs, ps, enforced, rep); err != nil {
		return err
	}
	return st.pinDNS(ps, enforced, rep)
}

// commitRuleset commits Options.Unveil, if any, and merges its report;
// pledging says that a filter enforcing ps follows at once.
func commitRuleset(rs *unveil.Ruleset, ps promises.Set, pledging bool, rep *report.Report) error {
	if rs == nil {
		return nil
	}
	commit := rs.Commit
	if pledging {
		commit = func() (*report.Report, error) { return unveillink.CommitPledged(rs, ps) }
	}
	ur, err := commit()
	if ur != nil {
		rep.Merge(*ur)
	}
	if err != nil {
		return fmt.Errorf("pledge: committing Options.Unveil before the filter: %w", err)
	}
	return nil
}

// program compiles the filter for ps with penalty eff. Over an earlier
// enforcing filter it is layered (see layer): the penalty applies to what
// this narrowing removed, the earlier filters keep answering the rest.
func (st *process) program(ps promises.Set, eff Penalty) (*filter.Program, error) {
	deny := denyAction(eff)
	if !st.enforcing {
		p, err := filter.Compile(filter.Spec{Arch: runtime.GOARCH, Promises: ps, Deny: deny, Pid: unix.Getpid()})
		if err != nil {
			return nil, fmt.Errorf("pledge: compiling the filter for %q: %w", ps.String(), err)
		}
		return p, nil
	}
	next, err := filter.Compile(filter.Spec{Arch: runtime.GOARCH, Promises: ps, Deny: sentinelNext, Pid: unix.Getpid()})
	if err != nil {
		return nil, fmt.Errorf("pledge: compiling the filter for %q: %w", ps.String(), err)
	}
	prev, err := filter.Compile(filter.Spec{Arch: runtime.GOARCH, Promises: st.enforced, Deny: sentinelPrev, Pid: unix.Getpid()})
	if err != nil {
		return nil, fmt.Errorf("pledge: compiling the filter for %q: %w", st.enforced.String(), err)
	}
	raw, err := layer(next.Raw, prev.Raw, deny)
	if err == nil {
		err = filter.Check(raw)
	}
	if err != nil {
		return nil, fmt.Errorf("pledge: layering the filter for %q over %q: %w", ps.String(), st.enforced.String(), err)
	}
	return &filter.Program{Arch: next.Arch, AuditArch: next.AuditArch, Deny: deny, Foreign: deny, Raw: raw, Skipped: next.Skipped}, nil
}
