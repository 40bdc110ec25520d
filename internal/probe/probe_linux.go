//go:build linux

package probe

import (
	"bytes"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/rawio"
)

func fresh() *Result {
	r := freshBase()
	probeLandlock(r)
	return r
}

// freshSeccomp is fresh without the Landlock questions when a filter is
// in force (see Seccomp).
func freshSeccomp() *Result {
	r := freshBase()
	if r.SeccompFilterInstalled {
		r.LandlockDeferred = true
		return r
	}
	probeLandlock(r)
	return r
}

// freshBase asks everything but Landlock.
func freshBase() *Result {
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
	return r
}

// probeState reads the calling thread's no_new_privs and seccomp mode and
// the process's filter count. All three calls only read.
func probeState(r *Result) { probeStateRead(r, false) }

// probeStateRead is probeState; always makes it read /proc/self/status
// even where its answer is known (for tests).
func probeStateRead(r *Result, always bool) {
	// The prctl answers and the thread identity must be one thread's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); err == nil {
		r.NoNewPrivs = v == 1
	}
	mode, modeErr := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	if modeErr == nil {
		r.SeccompMode = mode
	}
	// /proc/self/status describes the main thread. When that is the
	// calling thread and it has no filter (mode 0: filters are attached
	// per thread, and attaching one sets mode 2), the file can only say
	// what the prctl calls said, with no filters: the common case (the
	// unveil command probes on its main thread) skips reading it. Another
	// thread may differ from the main thread, so then the file is read.
	if !always && modeErr == nil && mode == 0 && unix.Gettid() == unix.Getpid() {
		r.SeccompFilters = 0
		r.SeccompFilterInstalled = false
		return
	}
	var buf [4096]byte
	if b, err := rawio.ReadFile("/proc/self/status", buf[:]); err == nil {
		st := scanStatus(b)
		if st.filters >= 0 {
			r.SeccompFilters = st.filters
		}
		if st.mode > r.SeccompMode {
			r.SeccompMode = st.mode
		}
		if st.nnp == 1 {
			r.NoNewPrivs = true
		}
	}
	r.SeccompFilterInstalled = r.SeccompMode == unix.SECCOMP_MODE_FILTER || r.SeccompFilters > 0
}

// statusFields are the fields of a /proc/*/status file the probe reads;
// -1 for a field the file does not have (or whose value is not an
// integer).
type statusFields struct {
	nnp, mode, filters int
}

// scanStatus reads NoNewPrivs, Seccomp and Seccomp_filters from the text
// of a /proc/*/status file, as readStatus would, without building a map.
func scanStatus(b []byte) statusFields {
	st := statusFields{-1, -1, -1}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		var dst *int
		switch string(k) {
		case "NoNewPrivs":
			dst = &st.nnp
		case "Seccomp":
			dst = &st.mode
		case "Seccomp_filters":
			dst = &st.filters
		default:
			continue
		}
		if n, ok := atoi(bytes.TrimSpace(v)); ok {
			*dst = n
		}
	}
	return st
}

// atoi parses a non-negative decimal integer that fits an int32 (all the
// status fields the probe reads); anything else is not ok.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func seccompCall(op, flags uintptr, arg unsafe.Pointer) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, op, flags, uintptr(arg))
	return e
}

// flagBits are the bits asked for each name of FlagNames, in that order.
var flagBits = [...]uintptr{
	unix.SECCOMP_FILTER_FLAG_TSYNC,
	unix.SECCOMP_FILTER_FLAG_LOG,
	unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW,
	unix.SECCOMP_FILTER_FLAG_NEW_LISTENER,
	unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
	unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV | unix.SECCOMP_FILTER_FLAG_NEW_LISTENER,
}

// actionValues are the SECCOMP_RET_* values of ActionNames, in that order.
var actionValues = [...]uint32{
	unix.SECCOMP_RET_KILL_PROCESS,
	unix.SECCOMP_RET_KILL_THREAD,
	unix.SECCOMP_RET_TRAP,
	unix.SECCOMP_RET_ERRNO,
	unix.SECCOMP_RET_USER_NOTIF,
	unix.SECCOMP_RET_TRACE,
	unix.SECCOMP_RET_LOG,
	unix.SECCOMP_RET_ALLOW,
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

	for i, name := range FlagNames {
		bits := flagBits[i]
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
	readProc := func() {
		var buf [256]byte
		if b, err := rawio.ReadFile("/proc/sys/kernel/seccomp/actions_avail", buf[:]); err == nil {
			procOK = true
			for _, f := range bytes.Fields(b) {
				fromProc[string(f)] = true
			}
		}
	}
	// Under a filter already in force, which may end the process for
	// opening a file, the file is read only when it is the sole answer.
	if !r.SeccompFilterInstalled {
		readProc()
	}
	getAvail := true
	for i, name := range ActionNames {
		if !getAvail {
			break
		}
		v := actionValues[i]
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
	if !getAvail && r.SeccompFilterInstalled {
		readProc()
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
		r.LandlockErr = landlockErrIn(e, r.SeccompFilterInstalled)
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
		attr := rulesetAttr{fs: llaccess.Mask(llaccess.FS, abi), net: llaccess.Mask(llaccess.Net, abi), scoped: llaccess.Mask(llaccess.Scope, abi)}
		fd, e := landlockCreate(&attr, attrSize(abi), 0)
		if e == 0 {
			unix.Close(fd)
			break
		}
		lastErr = e
		if e == unix.EPERM || e == unix.EACCES || e == unix.ENOSYS {
			// The version query went through: a filter looks at more.
			r.LandlockErr = refusedErr(fmt.Sprintf("landlock_create_ruleset for ABI %d", abi), e, "the version query answered")
			abi = 0
			break
		}
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

func landlockErr(e unix.Errno) error { return landlockErrIn(e, false) }

// landlockErrIn names why landlock_create_ruleset's version query failed
// with e. filtered says a seccomp filter is in force: it may answer the
// call itself, and then Landlock is refused, not missing.
func landlockErrIn(e unix.Errno, filtered bool) error {
	switch {
	case e == unix.ENOSYS && filtered && lsmEnabled("landlock"):
		return refusedErr("landlock_create_ruleset(VERSION)", e, "the kernel has Landlock enabled (/sys/kernel/security/lsm)")
	case e == unix.ENOSYS:
		return fmt.Errorf("%w (%w): paths cannot be restricted; use Linux 5.13 or later built with CONFIG_SECURITY_LANDLOCK=y, or, in a container, a seccomp profile that allows landlock_*", ErrLandlockNotBuilt, e)
	case e == unix.EOPNOTSUPP:
		return fmt.Errorf("%w (%w): paths cannot be restricted; add landlock to the lsm= kernel parameter (or CONFIG_LSM) and reboot", ErrLandlockDisabled, e)
	}
	return refusedErr("landlock_create_ruleset(VERSION)", e, "the kernel never answers a version query so")
}

// refusedErr is the error for a Landlock call a seccomp filter refused.
func refusedErr(call string, e unix.Errno, why string) error {
	return fmt.Errorf("%w: %s answered %w and %s: a seccomp filter in force (inherited from the parent process, a container runtime's, or an earlier pledge) refuses the Landlock system calls, so paths cannot be restricted although Landlock may be available; unveil before that filter is installed, or let it allow landlock_*",
		ErrLandlockRefused, call, e, why)
}

// lsmEnabled reports whether the kernel lists the security module name as
// enabled; false when it cannot tell.
func lsmEnabled(name string) bool {
	var buf [512]byte
	b, err := rawio.ReadFile("/sys/kernel/security/lsm", buf[:])
	if err != nil {
		return false
	}
	for _, m := range bytes.Split(bytes.TrimSpace(b), []byte(",")) {
		if string(m) == name {
			return true
		}
	}
	return false
}
