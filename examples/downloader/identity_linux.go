package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
	"kernel.org/pub/linux/libs/security/libcap/psx"
)

// ErrPrivDrop is returned (wrapped) when the switch to the download user
// fails or cannot be verified. The child stops before any network access.
var ErrPrivDrop = errors.New("cannot drop privileges")

// identity is what the child verified about itself after the switch.
type identity struct {
	uid, gid       uint32
	groups         []uint32
	switched       bool
	noNewPrivs     bool
	setuid0Denied  bool
	noCapabilities bool
}

func (id identity) flags() uint8 {
	var f uint8
	if id.switched {
		f |= helloSwitched
	}
	if id.noNewPrivs {
		f |= helloNoNewPrivs
	}
	if id.setuid0Denied {
		f |= helloSetuid0Denied
	}
	if id.noCapabilities {
		f |= helloNoCaps
	}
	return f
}

// setNoNewPrivs sets no_new_privs on every thread of the process. It comes
// first so that nothing later (Landlock, seccomp) needs CAP_SYS_ADMIN: the
// order pacman 7.0 got wrong, which broke it under fakeroot and AppArmor.
func setNoNewPrivs() error {
	if _, _, e := psx.Syscall6(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0); e != 0 {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS) on all threads: %w", e)
	}
	if !noNewPrivsSet() {
		return errors.New("no_new_privs is not set on every thread after prctl")
	}
	return nil
}

// noNewPrivsSet reports whether every thread of the process has
// no_new_privs, from /proc/self/task/*/status (falls back to the calling
// thread's prctl when /proc is unreadable, e.g. inside the sandbox).
func noNewPrivsSet() bool {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil || len(tasks) == 0 {
		v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
		return err == nil && v == 1
	}
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // the thread exited
		}
		if !bytes.Contains(b, []byte("\nNoNewPrivs:\t1\n")) {
			return false
		}
	}
	return true
}

// becomeUser switches the whole process (every thread: Go's syscall.Set*
// are all-thread since Go 1.16) to uid/gid with no supplementary groups,
// then verifies the result instead of trusting the return codes: real,
// effective and saved ids, the group list, empty capability sets, and
// that setuid(0)/setgid(0) now fail. When switch is false (not root) it
// only records who we are.
func becomeUser(doSwitch bool, uid, gid int) (identity, error) {
	id := identity{switched: doSwitch}
	if doSwitch {
		if err := syscall.Setgroups([]int{}); err != nil {
			return id, fmt.Errorf("%w: setgroups([]): %w", ErrPrivDrop, err)
		}
		if err := syscall.Setgid(gid); err != nil {
			return id, fmt.Errorf("%w: setgid(%d): %w (in a user namespace the group may be unmapped)", ErrPrivDrop, gid, err)
		}
		if err := syscall.Setuid(uid); err != nil {
			return id, fmt.Errorf("%w: setuid(%d): %w (in a user namespace the user may be unmapped)", ErrPrivDrop, uid, err)
		}
	}
	ru, eu, su := unix.Getresuid()
	rg, eg, sg := unix.Getresgid()
	groups, err := unix.Getgroups()
	if err != nil {
		return id, fmt.Errorf("%w: getgroups: %w", ErrPrivDrop, err)
	}
	id.uid, id.gid = uint32(eu), uint32(eg)
	for _, g := range groups {
		if len(id.groups) < maxGroups {
			id.groups = append(id.groups, uint32(g))
		}
	}
	if doSwitch {
		if ru != uid || eu != uid || su != uid {
			return id, fmt.Errorf("%w: uids are %d/%d/%d after setuid(%d)", ErrPrivDrop, ru, eu, su, uid)
		}
		if rg != gid || eg != gid || sg != gid {
			return id, fmt.Errorf("%w: gids are %d/%d/%d after setgid(%d)", ErrPrivDrop, rg, eg, sg, gid)
		}
		if len(groups) != 0 {
			return id, fmt.Errorf("%w: supplementary groups %v remain after setgroups([])", ErrPrivDrop, groups)
		}
	}
	// Capabilities: after a switch from root all sets must be empty.
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err == nil {
		id.noCapabilities = data[0].Effective|data[1].Effective|data[0].Permitted|data[1].Permitted == 0
	}
	if doSwitch && !id.noCapabilities {
		return id, fmt.Errorf("%w: capabilities remain after the switch", ErrPrivDrop)
	}
	if eu != 0 {
		// setuid(0) must fail now. If it succeeded we are root again:
		// stop at once rather than run the downloader as root.
		if err := syscall.Setuid(0); err == nil {
			return id, fmt.Errorf("%w: setuid(0) succeeded after the switch", ErrPrivDrop)
		}
		if err := syscall.Setgid(0); err == nil && gid != 0 {
			return id, fmt.Errorf("%w: setgid(0) succeeded after the switch", ErrPrivDrop)
		}
		id.setuid0Denied = true
	}
	return id, nil
}

// dieWithParent asks the kernel to SIGKILL this process when the parent
// dies. It must be called after the user switch, which clears it, and
// checks that the parent did not already die in between.
func dieWithParent(parent int) error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_PDEATHSIG): %w", err)
	}
	if parent != 0 && os.Getppid() != parent {
		return fmt.Errorf("the parent (pid %d) has exited", parent)
	}
	return nil
}
