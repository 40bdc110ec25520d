//go:build linux

package probe

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

func fresh() *Result {
	r := &Result{
		OS:             runtime.GOOS,
		Arch:           runtime.GOARCH,
		Cgo:            cgoEnabled,
		SeccompFlags:   map[string]bool{},
		SeccompActions: map[string]bool{},
		SeccompFilters: -1,
	}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		r.Kernel = unix.ByteSliceToString(uts.Release[:])
	}
	probeState(r)
	probeSeccomp(r)
	probeLandlock(r)
	return r
}

// probeState reads the calling thread's no_new_privs and seccomp mode and
// the process's filter count. All three calls only read.
func probeState(r *Result) {
	if v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err == nil {
		r.NoNewPrivs = v == 1
	}
	if v, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err == nil {
		r.SeccompMode = v
	}
	if st, err := readStatus("/proc/self/status"); err == nil {
		if v, ok := st["Seccomp_filters"]; ok {
			r.SeccompFilters = v
		}
		if v, ok := st["Seccomp"]; ok && v > r.SeccompMode {
			r.SeccompMode = v
		}
		if v, ok := st["NoNewPrivs"]; ok && v == 1 {
			r.NoNewPrivs = true
		}
	}
	r.SeccompFilterInstalled = r.SeccompMode == unix.SECCOMP_MODE_FILTER || r.SeccompFilters > 0
}

// readStatus returns the integer fields of a /proc/*/status file.
func readStatus(path string) (map[string]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			out[k] = n
		}
	}
	return out, nil
}

func seccompCall(op, flags uintptr, arg unsafe.Pointer) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, op, flags, uintptr(arg))
	return e
}

var flagBits = map[string]uintptr{
	FlagTSync:            unix.SECCOMP_FILTER_FLAG_TSYNC,
	FlagLog:              unix.SECCOMP_FILTER_FLAG_LOG,
	FlagSpecAllow:        unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	FlagNewListener:      unix.SECCOMP_FILTER_FLAG_NEW_LISTENER,
	FlagTSyncESRCH:       unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
	FlagWaitKillableRecv: unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER,
}

var actionValues = map[string]uint32{
	ActionKillProcess: unix.SECCOMP_RET_KILL_PROCESS,
	ActionKillThread:  unix.SECCOMP_RET_KILL_THREAD,
	ActionTrap:        unix.SECCOMP_RET_TRAP,
	ActionErrno:       unix.SECCOMP_RET_ERRNO,
	ActionUserNotif:   unix.SECCOMP_RET_USER_NOTIF,
	ActionTrace:       unix.SECCOMP_RET_TRACE,
	ActionLog:         unix.SECCOMP_RET_LOG,
	ActionAllow:       unix.SECCOMP_RET_ALLOW,
}

func probeSeccomp(r *Result) {
	// Filter mode: the kernel checks the flags, then faults copying the
	// NULL program. EFAULT therefore means "a filter would be accepted".
	switch e := seccompCall(unix.SECCOMP_SET_MODE_FILTER, 0, nil); e {
	case unix.EFAULT:
		r.Seccomp = true
	case unix.ENOSYS:
		// Kernels before 3.17 have no seccomp(2); prctl answers the same
		// way (EFAULT for a NULL program when filter mode exists).
		if _, _, pe := unix.Syscall(unix.SYS_PRCTL, unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, 0); pe == unix.EFAULT {
			r.Seccomp = true
			r.Notes = append(r.Notes, "seccomp(2) is missing (kernel before 3.17); filter flags cannot be used")
		} else {
			r.SeccompErr = fmt.Errorf("seccomp filter mode is not available (seccomp(2): %w; prctl(PR_SET_SECCOMP): %v): use a kernel built with CONFIG_SECCOMP_FILTER", e, pe)
		}
		return
	case unix.EINVAL:
		r.SeccompErr = fmt.Errorf("seccomp filter mode is not available (%w): use a kernel built with CONFIG_SECCOMP_FILTER", e)
		return
	default:
		// A filter already in force may answer seccomp(2) itself with an
		// errno; filter mode then obviously exists.
		r.Seccomp = r.SeccompMode == unix.SECCOMP_MODE_FILTER
		r.SeccompErr = fmt.Errorf("seccomp(2) answered %w, so flags and actions could not be asked: a seccomp filter already in force probably denies it; probe before sandboxing", e)
		return
	}

	for name, bits := range flagBits {
		switch e := seccompCall(unix.SECCOMP_SET_MODE_FILTER, bits, nil); e {
		case unix.EFAULT:
			r.SeccompFlags[name] = true
		case unix.EINVAL:
			r.SeccompFlags[name] = false
		default:
			r.SeccompFlags[name] = false
			r.Notes = append(r.Notes, fmt.Sprintf("seccomp flag %s: unexpected answer %v", name, e))
		}
	}

	fromProc := map[string]bool{}
	procOK := false
	if b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail"); err == nil {
		procOK = true
		for _, f := range strings.Fields(string(b)) {
			fromProc[f] = true
		}
	}
	getAvail := true
	for _, name := range ActionNames {
		if !getAvail {
			break
		}
		v := actionValues[name]
		switch e := seccompCall(unix.SECCOMP_GET_ACTION_AVAIL, 0, unsafe.Pointer(&v)); e {
		case 0:
			r.SeccompActions[name] = true
		case unix.EOPNOTSUPP:
			r.SeccompActions[name] = false
		case unix.EINVAL:
			// Kernels before 4.14 do not know the operation.
			getAvail = false
		default:
			r.SeccompActions[name] = false
			r.Notes = append(r.Notes, fmt.Sprintf("seccomp action %s: unexpected answer %v", name, e))
		}
	}
	switch {
	case !getAvail && procOK:
		for _, name := range ActionNames {
			r.SeccompActions[name] = fromProc[name]
		}
		r.Notes = append(r.Notes, "SECCOMP_GET_ACTION_AVAIL is missing (kernel before 4.14); actions read from /proc/sys/kernel/seccomp/actions_avail")
	case !getAvail:
		clear(r.SeccompActions)
		r.Notes = append(r.Notes, "seccomp actions unknown: no SECCOMP_GET_ACTION_AVAIL and no /proc/sys/kernel/seccomp/actions_avail")
	case procOK:
		for _, name := range ActionNames {
			if r.SeccompActions[name] != fromProc[name] {
				r.Notes = append(r.Notes, fmt.Sprintf("seccomp action %s: SECCOMP_GET_ACTION_AVAIL says %v, actions_avail says %v", name, r.SeccompActions[name], fromProc[name]))
			}
		}
	}
}

// rulesetAttr is struct landlock_ruleset_attr up to the scoped field.
type rulesetAttr struct {
	fs, net, scoped uint64
}

// attrSize is the smallest struct size that carries the rights of abi, so
// that kernels predating a field accept the call.
func attrSize(abi int) uintptr {
	switch {
	case abi >= 6:
		return 24
	case abi >= 4:
		return 16
	default:
		return 8
	}
}

func landlockCreate(attr *rulesetAttr, size, flags uintptr) (int, unix.Errno) {
	r0, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(attr)), size, flags)
	return int(r0), e
}

// createFunc is landlock_create_ruleset; tests replace it to play kernels
// that report one ABI and reject its rights.
type createFunc func(attr *rulesetAttr, size, flags uintptr) (int, unix.Errno)

func probeLandlock(r *Result) { probeLandlockWith(r, landlockCreate) }

func probeLandlockWith(r *Result, landlockCreate createFunc) {
	v, e := landlockCreate(nil, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	if e != 0 {
		r.LandlockErr = landlockErr(e)
		return
	}
	r.LandlockReportedABI = v
	if errata, e := landlockCreate(nil, 0, unix.LANDLOCK_CREATE_RULESET_ERRATA); e == 0 && errata >= 0 {
		r.LandlockErrata = uint32(errata)
	}
	abi := v
	if abi > MaxKnownLandlockABI {
		r.Notes = append(r.Notes, fmt.Sprintf("kernel reports Landlock ABI %d; pledgekit knows up to %d and uses that", abi, MaxKnownLandlockABI))
		abi = MaxKnownLandlockABI
	}
	var lastErr unix.Errno
	for ; abi >= 1; abi-- {
		attr := rulesetAttr{fs: LandlockFSRights(abi), net: LandlockNetRights(abi), scoped: LandlockScopes(abi)}
		fd, e := landlockCreate(&attr, attrSize(abi), 0)
		if e == 0 {
			unix.Close(fd)
			break
		}
		lastErr = e
		if e != unix.EINVAL {
			r.LandlockErr = fmt.Errorf("landlock_create_ruleset for ABI %d answered %w: paths cannot be restricted", abi, e)
			abi = 0
			break
		}
		r.Notes = append(r.Notes, fmt.Sprintf("kernel reports Landlock ABI %d but rejects the rights of ABI %d (EINVAL); stepping down", v, abi))
	}
	if abi < 1 {
		if r.LandlockErr == nil {
			r.LandlockErr = fmt.Errorf("kernel reports Landlock ABI %d but rejects every ruleset (%w): paths cannot be restricted; report this kernel as broken", v, lastErr)
		}
		return
	}
	if abi >= 6 && r.LandlockErrata&2 == 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("Landlock ABI %d without the signal-scoping fix (erratum 2): used as ABI 5 (no scopes), as go-landlock does", abi))
		abi = 5
	}
	r.LandlockABI = abi
}

func landlockErr(e unix.Errno) error {
	switch e {
	case unix.ENOSYS:
		return fmt.Errorf("%w (%w): paths cannot be restricted; use Linux 5.13 or later built with CONFIG_SECURITY_LANDLOCK=y, or, in a container, a seccomp profile that allows landlock_*", ErrLandlockNotBuilt, e)
	case unix.EOPNOTSUPP:
		return fmt.Errorf("%w (%w): paths cannot be restricted; add landlock to the lsm= kernel parameter (or CONFIG_LSM) and reboot", ErrLandlockDisabled, e)
	}
	return fmt.Errorf("landlock_create_ruleset(VERSION) answered %w: paths cannot be restricted", e)
}
