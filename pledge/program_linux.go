//go:build linux

package pledge

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/filter"
)

// Program returns the seccomp filter Apply would install first for
// promises on arch ("amd64", "arm64") with penalty, for inspection,
// testing and benchmarks, built for the calling process's pid (stdio's
// signals to itself). It installs nothing. PenaltyDefault resolves as
// in Apply, and "error" with another penalty is an error as there;
// PenaltyAbort's program denies with SECCOMP_RET_USER_NOTIF.
// Filters Apply stacks over earlier ones are layered (they defer to the
// earlier filter for calls it denies) and are not what Program returns.
func Program(promises, arch string, penalty Penalty) ([]unix.SockFilter, error) {
	ps, err := parseSet("promises", promises)
	if err != nil {
		return nil, err
	}
	if penalty, err = resolvePenalty(ps, penalty); err != nil {
		return nil, err
	}
	p, err := filter.Compile(filter.Spec{Arch: arch, Promises: ps, Deny: denyAction(penalty), Pid: unix.Getpid()})
	if err != nil {
		return nil, fmt.Errorf("pledge: compiling %q for %s: %w", promises, arch, err)
	}
	return p.SockFilters(), nil
}
