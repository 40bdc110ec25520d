//go:build openbsd

package pledge

import (
	"fmt"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// Pledge calls OpenBSD's pledge(2) through golang.org/x/sys/unix.
func Pledge(promises, execpromises string) error { return unix.Pledge(promises, execpromises) }

// PledgePromises calls pledge(2) leaving the execpromises unchanged.
func PledgePromises(promises string) error { return unix.PledgePromises(promises) }

// PledgeExecpromises calls pledge(2) leaving the promises unchanged.
func PledgeExecpromises(execpromises string) error { return unix.PledgeExecpromises(execpromises) }

// Apply calls pledge(2). The kernel chooses the penalty (SIGABRT, or ENOSYS
// with "error"); asking for another one is an error. Cosmopolitan's "anet"
// promise does not exist on OpenBSD.
func Apply(o Options) (*report.Report, error) {
	if o.Penalty != PenaltyDefault && o.Penalty != PenaltyAbort {
		return nil, fmt.Errorf("%w: OpenBSD's kernel chooses the penalty; %s cannot be asked for", ErrUnsupported, o.Penalty)
	}
	rep := &report.Report{Arch: runtime.GOARCH}
	if o.Unveil != nil {
		ur, err := o.Unveil.Commit()
		if ur != nil {
			rep.Merge(*ur)
		}
		if err != nil {
			return rep, fmt.Errorf("pledge: committing Options.Unveil: %w", err)
		}
	}
	var err error
	switch {
	case o.KeepPromises && o.KeepExecpromises:
		return rep, nil
	case o.KeepPromises:
		err = unix.PledgeExecpromises(o.Execpromises)
	case o.KeepExecpromises:
		err = unix.PledgePromises(o.Promises)
	default:
		err = unix.Pledge(o.Promises, o.Execpromises)
	}
	if err != nil {
		return nil, err
	}
	if !o.KeepPromises {
		ps, _ := promises.Parse(o.Promises)
		for _, p := range ps.Promises() {
			rep.Add(report.LayerPromise, p.String(), report.Enforced, "OpenBSD pledge(2)")
		}
	}
	return rep, nil
}

// Command is not needed on OpenBSD: set the execpromises with
// PledgeExecpromises and use exec.Command. It returns a command whose
// Start fails with ErrUnsupported.
func Command(execpromises string, name string, arg ...string) *exec.Cmd {
	cmd := exec.Command(name, arg...)
	cmd.Err = fmt.Errorf("%w: on OpenBSD use PledgeExecpromises and exec.Command", ErrUnsupported)
	return cmd
}
