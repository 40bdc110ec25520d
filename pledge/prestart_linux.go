//go:build linux

package pledge

import (
	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/promises"
)

// A program that unveils and commits (UnveilBlock, Ruleset.Commit) before
// it pledges may no longer be allowed to execute its own binary, which is
// what starting the supervisor does, nor let the supervisor read /proc.
// The engine decides when a Landlock layer needs the supervisor started
// ahead of time (see internal/engine); this package gives it the launcher
// and takes the pre-started supervisor at its first pledge with
// PenaltyAbort (another penalty discards it). Pledge's own path (pending
// unveils committed by the pledge) starts its supervisor before committing
// and needs no pre-start.
func init() {
	engine.SetSupervisorLauncher(func() (any, error) {
		s, err := launchSupervisor(promises.Set(0))
		if err != nil {
			return nil, err
		}
		return s, nil
	})
}

// takePrestarted marks the process as pledging and returns the
// pre-started supervisor, if any (it may still be starting: call ready).
func takePrestarted() *supervisor {
	s, _ := engine.TakePrestarted().(*supervisor)
	return s
}
