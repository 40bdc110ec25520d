//go:build linux

package engine

import (
	"sync"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/probe"
)

// The violation supervisor of package pledge is this program's binary
// re-executed. A program that commits a whole-process Landlock layer
// before it pledges may no longer be allowed to execute its binary, nor
// let the supervisor read /proc, afterwards. So when Landlock is about to
// restrict what the supervisor needs and no filter is installed yet, Apply
// launches the supervisor ahead of time, and the first pledge takes it
// (TakePrestarted). Launching does not wait for the supervisor to finish
// starting (the pledge does): the commit pays for a fork and exec, not
// for a Go start-up.
//
// Only package pledge can start its supervisor (the role is recognized by
// its init function), so it registers the launcher (SetSupervisorLauncher)
// when it is linked in; the decision when to pre-start is made here.
var pre struct {
	mu     sync.Mutex
	launch func() (any, error)
	sup    any
	done   bool // a pledge has been made: never pre-start again
}

// SetSupervisorLauncher registers launch, which starts package pledge's
// supervisor, not yet bound to promises, without waiting for it. Package
// pledge calls it from an init function.
func SetSupervisorLauncher(launch func() (any, error)) {
	pre.mu.Lock()
	pre.launch = launch
	pre.mu.Unlock()
}

// TakePrestarted marks the process as pledging (no pre-start after this)
// and returns the pre-started supervisor, if any (nil otherwise).
func TakePrestarted() any {
	pre.mu.Lock()
	defer pre.mu.Unlock()
	pre.done = true
	s := pre.sup
	pre.sup = nil
	return s
}

// prestart launches the supervisor unless there is one, a pledge has been
// made, none is registered, or the kernel could not use it (user
// notification with a listener on every thread needs TSYNC_ESRCH, and a
// filter in force already holds or forbids the listener).
func prestart() {
	pre.mu.Lock()
	defer pre.mu.Unlock()
	if pre.sup != nil || pre.done || pre.launch == nil {
		return
	}
	pr := probe.Seccomp()
	if !pr.Seccomp || pr.SeccompFilterInstalled || !pr.SeccompActions[probe.ActionUserNotif] ||
		!pr.SeccompFlags[probe.FlagNewListener] || !pr.SeccompFlags[probe.FlagTSyncESRCH] {
		return // a supervised penalty would not be available anyway
	}
	if s, err := pre.launch(); err == nil {
		pre.sup = s
	}
	// On failure the pledge tries again itself and reports why it cannot.
}

// supervisorUses are the filesystem rights the supervisor needs: it
// executes this program's binary and libraries, and reads /proc.
const supervisorUses = llaccess.FSExecute | llaccess.FSReadFile | llaccess.FSReadDir |
	llaccess.FSWriteFile | llaccess.FSTruncate | llaccess.FSIoctlDev

// prestartNeeded reports whether the supervisor must be started before a
// whole-process layer that handles handledFS. Below Landlock ABI 8 every
// such layer needs it, even one that leaves executing and reading alone:
// each thread enforces the ruleset with its own landlock_restrict_self,
// so the threads end up in sibling domains, and a supervisor forked from
// one thread may not take descriptors (pidfd_getfd, a ptrace access
// check) from the main thread in another (seen when such layers skipped
// the pre-start: TestPrestartForCreateOnlyLayer then failed under -race).
// From ABI 8 (TSYNC) the process has one domain, so a layer that handles
// none of the rights the supervisor uses (network-only, scope-only,
// create-only) needs none.
func prestartNeeded(pr *probe.Result, handledFS uint64) bool {
	return !pr.LandlockTSync() || handledFS&supervisorUses != 0
}
