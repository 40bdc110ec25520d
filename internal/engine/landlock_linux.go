//go:build linux

package engine

import (
	"fmt"
	"runtime"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
)

// enforce creates the Landlock ruleset rs and enforces it on every thread
// of the process, or on the calling thread alone (which Apply has
// locked). go-landlock validates the config and creates the ruleset with
// the network rules (the same validation as its Restrict; not best effort:
// callers put in the config only rights the probe verified). The
// filesystem rules are added by descriptor: one opened earlier
// (PathRule.File), or opened here with O_PATH. Enforcement is
// go-landlock's own sequence: TSYNC from ABI 8, each thread through
// go-landlock's all-threads calls below it; from ABI 11 the restrict call
// sets no_new_privs itself (restrictSelfFlags), so it is set only when the
// layer is enforced.
func enforce(rs *Ruleset, thread bool, pr *probe.Result) error {
	fd, flags, err := rs.Config.NewRulesetFD(rs.Net...)
	if err != nil {
		return err
	}
	if fd < 0 {
		return nil // nothing to restrict
	}
	defer unix.Close(fd)
	for _, g := range rs.Paths {
		if err := addPathRule(fd, g); err != nil {
			return err
		}
	}
	switch {
	case thread:
		var nnp bool
		if flags, nnp = restrictSelfFlags(pr, flags); !nnp {
			if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
			}
		}
	case !pr.LandlockTSync():
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
		if flags, nnp = restrictSelfFlags(pr, flags); !nnp {
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

// restrictSelfFlags adds LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS (ABI 11) to
// flags when the kernel has it, and says whether it did.
func restrictSelfFlags(pr *probe.Result, flags uint32) (uint32, bool) {
	if pr.LandlockRestrictNoNewPrivs() {
		return flags | llsys.FlagRestrictSelfNoNewPrivs, true
	}
	return flags, false
}

// addPathRule adds g to the ruleset rulesetFD.
func addPathRule(rulesetFD int, g PathRule) error {
	fd := -1
	if g.File != nil {
		fd = int(g.File.Fd())
	} else {
		var err error
		if fd, err = unix.Open(g.Path, unix.O_PATH|unix.O_CLOEXEC, 0); err != nil {
			return fmt.Errorf("opening %s for its rule: %w", g.Path, err)
		}
		defer unix.Close(fd)
	}
	attr := llsys.PathBeneathAttr{ParentFd: fd, AllowedAccess: g.Rights}
	err := llsys.LandlockAddPathBeneathRule(rulesetFD, &attr, 0)
	runtime.KeepAlive(g.File)
	if err != nil {
		return fmt.Errorf("landlock_add_rule for %s (%s): %w", g.Path, landlock.AccessFSSet(g.Rights), err)
	}
	return nil
}
