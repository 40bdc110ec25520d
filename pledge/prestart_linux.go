//go:build linux

package pledge

import (
	"sync"

	"github.com/pledgekit/pledgekit/internal/hooks"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/promises"
)

// A program that unveils and commits (UnveilBlock, Ruleset.Commit) before
// it pledges may no longer be allowed to execute its own binary, which is
// what starting the supervisor does, nor let the supervisor read /proc. So
// when Landlock is about to restrict what the supervisor needs and no
// filter is installed yet, the supervisor is launched ahead of time and
// kept for the first pledge with PenaltyAbort; another penalty discards it.
// Launching does not wait for the supervisor to finish starting (the pledge
// does): the commit pays for a fork and exec, not for a Go start-up.
// Pledge's own path (pending unveils committed by the pledge) starts its
// supervisor before committing and needs no pre-start.
//
// Below Landlock ABI 8 every whole-process layer gets a pre-start, even
// one that leaves executing and reading alone: each thread enforces the
// ruleset with its own landlock_restrict_self, so the threads end up in
// sibling domains, and a supervisor forked from one thread may not take
// descriptors (pidfd_getfd, a ptrace access check) from the process's main
// thread in another (seen when such layers skipped the pre-start: the
// scenario of TestPrestartForCreateOnlyLayer then failed under -race).
// From ABI 8 (LANDLOCK_RESTRICT_SELF_TSYNC) the process has one domain, so
// unveil skips the hook for a layer that handles none of the filesystem
// rights the supervisor uses (a network-only, scope-only or create-only
// layer); a layer that may hide the binary or /proc still needs it.
var pre struct {
	mu   sync.Mutex
	sup  *supervisor
	done bool // a pledge has been made: never pre-start again
}

func init() { hooks.SetBeforeLandlock(prestartSupervisor) }

func prestartSupervisor() {
	pre.mu.Lock()
	defer pre.mu.Unlock()
	if pre.sup != nil || pre.done {
		return
	}
	pr := kernel()
	if !pr.Seccomp || pr.SeccompFilterInstalled || !pr.SeccompActions[probe.ActionUserNotif] ||
		!pr.SeccompFlags[probe.FlagNewListener] || !pr.SeccompFlags[probe.FlagTSyncESRCH] {
		return // PenaltyAbort would not be available anyway
	}
	if s, err := launchSupervisor(promises.Set(0)); err == nil {
		pre.sup = s
	}
	// On failure the pledge tries again itself and reports why it cannot.
}

// takePrestarted marks the process as pledging and returns the
// pre-started supervisor, if any (it may still be starting: call ready).
func takePrestarted() *supervisor {
	pre.mu.Lock()
	defer pre.mu.Unlock()
	pre.done = true
	s := pre.sup
	pre.sup = nil
	return s
}
