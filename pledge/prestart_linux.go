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
// what starting the supervisor does. So when Landlock is about to restrict
// the process and no filter is installed yet, the supervisor is started
// ahead of time and kept for the first pledge with PenaltyAbort; another
// penalty sends it away. Pledge's own path (pending unveils committed by
// the pledge) starts its supervisor before committing and needs no
// pre-start.
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
	if s, err := startSupervisor(promises.Set(0)); err == nil {
		pre.sup = s
	}
	// On failure the pledge tries again itself and reports why it cannot.
}

// takePrestarted marks the process as pledging and returns the
// pre-started supervisor, if any.
func takePrestarted() *supervisor {
	pre.mu.Lock()
	defer pre.mu.Unlock()
	pre.done = true
	s := pre.sup
	pre.sup = nil
	return s
}
