//go:build linux

package engine

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/probe"
)

// The flags of landlock_restrict_self (include/uapi/linux/landlock.h).
const (
	restrictSelfTSync      = 1 << 3 // LANDLOCK_RESTRICT_SELF_TSYNC, ABI 8
	restrictSelfNoNewPrivs = 1 << 4 // LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS, ABI 11

	ruleNetPort = 2 // LANDLOCK_RULE_NET_PORT, ABI 4
)

// rulesetAttr is struct landlock_ruleset_attr up to scoped (ABI 6). The
// kernel takes a larger struct than it knows when the tail is zero, so
// one size serves every ABI.
type rulesetAttr struct {
	handledFS  uint64
	handledNet uint64
	scoped     uint64
}

// netPortAttr is struct landlock_net_port_attr.
type netPortAttr struct {
	allowed uint64
	port    uint64
}

// AllThreadsFunc makes one system call on every thread of the process and
// returns its error (nil when every thread succeeded).
type AllThreadsFunc func(trap, a1, a2, a3, a4, a5, a6 uintptr) error

// allThreads is what a Process-scope layer uses below Landlock ABI 8
// (no TSYNC): the Go runtime's syscall.AllThreadsSyscall, which a program
// without cgo has, until package unveil registers libpsx's (which also
// works with cgo) with SetAllThreads. The unveil command never needs it
// (Thread scope), so it links neither libpsx nor cgo.
var allThreads struct {
	mu sync.Mutex
	f  AllThreadsFunc
}

// SetAllThreads registers f as the all-threads system call (package
// unveil registers go-landlock's, through libpsx, from an init function).
func SetAllThreads(f AllThreadsFunc) {
	allThreads.mu.Lock()
	allThreads.f = f
	allThreads.mu.Unlock()
}

// onAllThreads makes the system call trap on every thread.
func onAllThreads(trap, a1, a2, a3 uintptr) error {
	// Six arguments: prctl reads five, and PR_SET_NO_NEW_PRIVS wants the
	// unused ones zero.
	allThreads.mu.Lock()
	f := allThreads.f
	allThreads.mu.Unlock()
	if f != nil {
		return f(trap, a1, a2, a3, 0, 0, 0)
	}
	if _, _, e := syscall.AllThreadsSyscall6(trap, a1, a2, a3, 0, 0, 0); e != 0 {
		if e == syscall.ENOTSUP {
			return fmt.Errorf("%w: this cgo program cannot make a system call on every thread without libpsx (link package unveil)", e)
		}
		return e
	}
	return nil
}

// errUnknownRights is wrapped by enforce's errors for rights the probed
// kernel lacks or the table does not know: a caller's bug, since callers
// put in a ruleset only rights the probe verified.
var errUnknownRights = errors.New("rights this kernel's Landlock does not have")

// check refuses rights the kernel's Landlock ABI does not have and network
// rules that are not handled (what the kernel would refuse with EINVAL,
// said with the names).
func (rs *Ruleset) check(abi int) error {
	for _, k := range []struct {
		kind llaccess.Kind
		set  uint64
	}{{llaccess.FS, rs.HandledFS}, {llaccess.Net, rs.HandledNet}, {llaccess.Scope, rs.Scoped}} {
		if extra := k.set &^ llaccess.Mask(k.kind, abi); extra != 0 {
			return fmt.Errorf("landlock ruleset: %s %s at ABI %d: %w (%w)", k.kind, llaccess.String(k.kind, extra), abi, errUnknownRights, unix.EINVAL)
		}
	}
	for _, n := range rs.Net {
		if n.Rights == 0 || n.Rights&^rs.HandledNet != 0 {
			return fmt.Errorf("landlock rule for port %d: %s not all handled (%s): %w", n.Port, llaccess.String(llaccess.Net, n.Rights), llaccess.String(llaccess.Net, rs.HandledNet), unix.EINVAL)
		}
	}
	return nil
}

// String names what rs handles, for errors.
func (rs *Ruleset) String() string {
	return fmt.Sprintf("fs %s, net %s, scoped %s", llaccess.String(llaccess.FS, rs.HandledFS),
		llaccess.String(llaccess.Net, rs.HandledNet), llaccess.String(llaccess.Scope, rs.Scoped))
}

// createRuleset creates the ruleset of rs with its network rules; -1 when
// rs handles nothing (nothing to restrict).
func createRuleset(rs *Ruleset, abi int) (int, error) {
	if err := rs.check(abi); err != nil {
		return -1, err
	}
	if rs.HandledFS == 0 && rs.HandledNet == 0 && rs.Scoped == 0 {
		return -1, nil
	}
	attr := rulesetAttr{rs.HandledFS, rs.HandledNet, rs.Scoped}
	r, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if e != 0 {
		return -1, fmt.Errorf("landlock_create_ruleset (%v): %w", rs, e)
	}
	fd := int(r)
	for _, n := range rs.Net {
		a := netPortAttr{n.Rights, uint64(n.Port)}
		if _, _, e := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(fd), ruleNetPort, uintptr(unsafe.Pointer(&a)), 0, 0, 0); e != 0 {
			unix.Close(fd)
			return -1, fmt.Errorf("landlock_add_rule for port %d (%s): %w", n.Port, llaccess.String(llaccess.Net, n.Rights), e)
		}
	}
	return fd, nil
}

// enforce creates the Landlock ruleset rs and enforces it on every thread
// of the process, or on the calling thread alone (which Apply has
// locked). Not best effort: callers put in a ruleset only rights the
// probe verified, and any other is refused. The filesystem rules are
// added by descriptor: one opened earlier (PathRule.File), or opened here
// with O_PATH. Enforcement: TSYNC from ABI 8; below it, every thread
// through the all-threads call (SetAllThreads); from ABI 11 the restrict
// call sets no_new_privs itself (restrictSelfFlags), so it is set only
// when the layer is enforced.
func enforce(rs *Ruleset, thread bool, pr *probe.Result) error {
	fd, err := createRuleset(rs, pr.LandlockABI)
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
	var flags uintptr
	switch {
	case thread:
		var nnp bool
		if flags, nnp = restrictSelfFlags(pr, flags); !nnp {
			if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
				return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
			}
		}
	case !pr.LandlockTSync():
		if err := onAllThreads(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0); err != nil {
			return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS) on every thread: %w", err)
		}
		if err := onAllThreads(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(fd), flags, 0); err != nil {
			return fmt.Errorf("landlock_restrict_self on every thread: %w", err)
		}
		return nil
	default:
		flags |= restrictSelfTSync
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
	if _, _, e := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, uintptr(fd), flags, 0); e != 0 {
		return fmt.Errorf("landlock_restrict_self: %w", e)
	}
	return nil
}

// restrictSelfFlags adds LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS (ABI 11) to
// flags when the kernel has it, and says whether it did.
func restrictSelfFlags(pr *probe.Result, flags uintptr) (uintptr, bool) {
	if pr.LandlockRestrictNoNewPrivs() {
		return flags | restrictSelfNoNewPrivs, true
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
	// struct landlock_path_beneath_attr is packed: the kernel reads 12
	// bytes, which x/sys/unix's layout starts with.
	attr := unix.LandlockPathBeneathAttr{Allowed_access: g.Rights, Parent_fd: int32(fd)}
	_, _, e := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, uintptr(rulesetFD), unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&attr)), 0, 0, 0)
	runtime.KeepAlive(g.File)
	if e != 0 {
		return fmt.Errorf("landlock_add_rule for %s (%s): %w", g.Path, llaccess.String(llaccess.FS, g.Rights), e)
	}
	return nil
}
