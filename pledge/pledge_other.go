//go:build !linux && !openbsd

package pledge

import (
	"fmt"
	"os/exec"
	"runtime"

	"github.com/pledgekit/pledgekit/report"
)

func unsupported() error {
	return fmt.Errorf("%w: pledge needs Linux (seccomp) or OpenBSD, not %s", ErrUnsupported, runtime.GOOS)
}

// Pledge fails with ErrUnsupported on this operating system.
func Pledge(promises, execpromises string) error { return unsupported() }

// PledgePromises fails with ErrUnsupported on this operating system.
func PledgePromises(promises string) error { return unsupported() }

// PledgeExecpromises fails with ErrUnsupported on this operating system.
func PledgeExecpromises(execpromises string) error { return unsupported() }

// Apply fails with ErrUnsupported on this operating system.
func Apply(o Options) (*report.Report, error) { return nil, unsupported() }

// Command returns a command whose Start fails with ErrUnsupported.
func Command(execpromises string, name string, arg ...string) *exec.Cmd {
	cmd := exec.Command(name, arg...)
	cmd.Err = unsupported()
	return cmd
}
