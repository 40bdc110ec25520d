// Package probe asks the running kernel, once, what pledgekit can use:
// seccomp filter mode with its flags and actions, and the Landlock ABI
// (verified by creating a ruleset, not just by asking the version).
//
// The probe has no side effects on the process: it never sets
// no_new_privs, never installs a filter and never enforces a ruleset. It
// only makes calls that the kernel rejects before they change anything
// (each method is described on the field it fills in), creates a Landlock
// ruleset file descriptor and closes it again, and reads /proc.
//
// Everything else in pledgekit reads the kernel's abilities from here, so
// there is one answer per process. Get caches it; Fresh asks again.
package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// Seccomp filter flag names, the keys of Result.SeccompFlags.
const (
	FlagTSync            = "tsync"              // SECCOMP_FILTER_FLAG_TSYNC (3.17)
	FlagLog              = "log"                // SECCOMP_FILTER_FLAG_LOG (4.14)
	FlagSpecAllow        = "spec_allow"         // SECCOMP_FILTER_FLAG_SPEC_ALLOW (4.17)
	FlagNewListener      = "new_listener"       // SECCOMP_FILTER_FLAG_NEW_LISTENER (5.0)
	FlagTSyncESRCH       = "tsync_esrch"        // SECCOMP_FILTER_FLAG_TSYNC_ESRCH (5.7)
	FlagWaitKillableRecv = "wait_killable_recv" // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (5.19)
)

// Seccomp action names, the keys of Result.SeccompActions; the same
// spelling as /proc/sys/kernel/seccomp/actions_avail.
const (
	ActionKillProcess = "kill_process"
	ActionKillThread  = "kill_thread"
	ActionTrap        = "trap"
	ActionErrno       = "errno"
	ActionUserNotif   = "user_notif"
	ActionTrace       = "trace"
	ActionLog         = "log"
	ActionAllow       = "allow"
)

// FlagNames lists every flag the probe asks about, in kernel bit order.
var FlagNames = []string{FlagTSync, FlagLog, FlagSpecAllow, FlagNewListener, FlagTSyncESRCH, FlagWaitKillableRecv}

// ActionNames lists every action the probe asks about, most severe first.
var ActionNames = []string{ActionKillProcess, ActionKillThread, ActionTrap, ActionErrno, ActionUserNotif, ActionTrace, ActionLog, ActionAllow}

// ErrUnsupportedOS is wrapped by Result.SeccompErr and Result.LandlockErr
// on operating systems other than Linux.
var ErrUnsupportedOS = errors.New("seccomp and Landlock exist only on Linux")

// ErrLandlockNotBuilt is wrapped by Result.LandlockErr when the kernel has
// no Landlock system calls (ENOSYS): it was built without
// CONFIG_SECURITY_LANDLOCK, it is older than 5.13, or a seccomp filter (a
// container runtime's, for example) answers them with ENOSYS.
var ErrLandlockNotBuilt = errors.New("landlock is not built into this kernel")

// ErrLandlockDisabled is wrapped by Result.LandlockErr when the kernel has
// Landlock but did not enable it at boot (EOPNOTSUPP).
var ErrLandlockDisabled = errors.New("landlock is built into this kernel but not enabled")

// ErrLandlockRefused is wrapped by Result.LandlockErr when a seccomp
// filter in force, not the kernel, refused the Landlock system calls: they
// failed with an errno Landlock itself never gives them (EPERM, EACCES),
// or with ENOSYS while a filter is in force and the kernel lists Landlock
// as enabled. A program started by a pledged process, or in a container
// whose profile denies landlock_*, sees this: Landlock may be there, but
// this process cannot use it. It is not a missing feature, and callers
// that were asked to restrict paths must say so.
var ErrLandlockRefused = errors.New("a seccomp filter refuses the Landlock system calls")

// MaxKnownLandlockABI is the newest Landlock ABI whose access rights this
// probe (and go-landlock v0.11.2) knows. A kernel reporting a newer ABI is
// used at this level.
const MaxKnownLandlockABI = 11

// Result is what the kernel can do for this process.
type Result struct {
	// OS is runtime.GOOS; Arch is runtime.GOARCH.
	OS   string `json:"os"`
	Arch string `json:"arch"`
	// Kernel is the kernel release (uname -r).
	Kernel string `json:"kernel,omitempty"`

	// Seccomp is true when seccomp filter mode is supported. Method:
	// seccomp(SECCOMP_SET_MODE_FILTER, 0, NULL) fails with EFAULT when the
	// kernel would accept a filter (it validates the flags, then faults
	// copying the NULL program) and EINVAL or ENOSYS when it has no filter
	// mode. Nothing is installed either way.
	Seccomp bool `json:"seccomp"`
	// SeccompErr says why Seccomp is false, or why the flags and actions
	// could not be asked (for example: a filter already installed denies
	// seccomp(2) itself).
	SeccompErr error `json:"-"`
	// SeccompFlags says which filter flags the kernel accepts. Method, for
	// each flag: seccomp(SECCOMP_SET_MODE_FILTER, flag, NULL) answers
	// EINVAL for a flag the kernel does not know and EFAULT (the NULL
	// program) for one it knows; flags are checked before the program is
	// copied. wait_killable_recv is only valid together with new_listener,
	// so it is asked as new_listener|wait_killable_recv. Nothing is
	// installed either way.
	SeccompFlags map[string]bool `json:"seccomp_flags"`
	// SeccompActions says which filter return actions the kernel supports.
	// Method: seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &action) for each
	// action (Linux 4.14), cross-checked against
	// /proc/sys/kernel/seccomp/actions_avail; a disagreement is written to
	// Notes. Kernels without GET_ACTION_AVAIL fall back to the /proc file.
	SeccompActions map[string]bool `json:"seccomp_actions"`

	// LandlockABI is the Landlock ABI pledgekit may use: the version the
	// kernel reports, verified by creating a ruleset that handles every
	// filesystem, network and scope right of that ABI and stepping down
	// one ABI at a time while the kernel answers EINVAL (some vendor
	// kernels report an ABI whose rights they reject). An ABI of 6 or more
	// whose errata lack the signal-scoping fix (erratum 2) is used as ABI
	// 5, as go-landlock does. 0 means Landlock is unavailable.
	LandlockABI int `json:"landlock_abi"`
	// LandlockDeferred is true when the Landlock questions were not asked
	// (Seccomp, under a filter already in force); LandlockABI is then 0
	// and LandlockErr nil, which do not mean Landlock is missing.
	LandlockDeferred bool `json:"landlock_deferred,omitempty"`
	// LandlockReportedABI is what landlock_create_ruleset(NULL, 0,
	// LANDLOCK_CREATE_RULESET_VERSION) returned (0 on error).
	LandlockReportedABI int `json:"landlock_reported_abi"`
	// LandlockErrata is the bit set of fixed Landlock errata
	// (LANDLOCK_CREATE_RULESET_ERRATA); 0 on kernels that predate it.
	LandlockErrata uint32 `json:"landlock_errata"`
	// LandlockErr says why LandlockABI is 0. It wraps ErrLandlockNotBuilt
	// (ENOSYS), ErrLandlockDisabled (EOPNOTSUPP), ErrLandlockRefused (a
	// seccomp filter refused the calls), ErrUnsupportedOS, or the raw
	// errno, and says what to do.
	LandlockErr error `json:"-"`

	// NoNewPrivs is true when no_new_privs is already set on the calling
	// thread (prctl(PR_GET_NO_NEW_PRIVS)).
	NoNewPrivs bool `json:"no_new_privs"`
	// SeccompMode is the calling thread's seccomp mode (prctl(PR_GET_SECCOMP)):
	// 0 none, 1 strict, 2 filter.
	SeccompMode int `json:"seccomp_mode"`
	// SeccompFilters is the Seccomp_filters count from /proc/self/status
	// (-1 when the kernel does not show it). When the probe runs on the
	// main thread and that thread has no filter (SeccompMode 0), it is 0
	// without reading the file, which could only say the same (a thread
	// in mode 0 has no filter), on kernels that do not show the count too.
	SeccompFilters int `json:"seccomp_filters"`
	// SeccompFilterInstalled is true when a seccomp filter is already in
	// force (mode 2, or a non-zero filter count).
	SeccompFilterInstalled bool `json:"seccomp_filter_installed"`

	// Cgo is true when the program was built with cgo (the cgo build tag).
	// go-landlock then restricts all threads through libpsx (C) instead of
	// the Go runtime's AllThreadsSyscall.
	Cgo bool `json:"cgo"`

	// Notes are observations worth a reader's attention: probe
	// disagreements, capped ABIs, errata downgrades.
	Notes []string `json:"notes,omitempty"`
}

var (
	once   sync.Once
	cached *Result

	seccompOnce   sync.Once
	seccompCached atomic.Pointer[Result]
)

// Get returns the process-wide probe result, probing on first use. The
// returned value is shared: do not modify it.
func Get() *Result {
	once.Do(func() {
		if r := seccompCached.Load(); r != nil && !r.LandlockDeferred {
			cached = r // Seccomp already asked everything
			return
		}
		cached = Fresh()
	})
	return cached
}

// Seccomp is Get for a caller that needs the seccomp answers and the
// process's state but not the Landlock ABI (package pledge, when it has
// nothing to unveil). When a seccomp filter is already in force (the
// process was started by a sandboxed one), it does not ask Landlock: that
// filter may refuse landlock_create_ruleset by ending the process, and
// then the result has LandlockDeferred set and no Landlock answers. Get
// asks every question; call it when something is to be unveiled. Without
// a filter in force Seccomp asks everything, as Get does, once.
func Seccomp() *Result {
	seccompOnce.Do(func() {
		r := freshSeccomp()
		seccompCached.Store(r)
	})
	return seccompCached.Load()
}

// Fresh probes the kernel again, without the cache (for tests, and for
// showing the state after a sandbox was applied).
func Fresh() *Result { return fresh() }

// FSRights returns the filesystem rights the verified ABI supports.
func (r *Result) FSRights() uint64 { return llaccess.Mask(llaccess.FS, r.LandlockABI) }

// NetRights returns the network rights the verified ABI supports.
func (r *Result) NetRights() uint64 { return llaccess.Mask(llaccess.Net, r.LandlockABI) }

// Scopes returns the scopes the verified ABI supports.
func (r *Result) Scopes() uint64 { return llaccess.Mask(llaccess.Scope, r.LandlockABI) }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// MarshalJSON writes the result with the errors as strings.
func (r *Result) MarshalJSON() ([]byte, error) {
	type plain Result
	return json.Marshal(struct {
		*plain
		SeccompErr       string   `json:"seccomp_error,omitempty"`
		LandlockErr      string   `json:"landlock_error,omitempty"`
		LandlockFeatures []string `json:"landlock_features"`
	}{(*plain)(r), errString(r.SeccompErr), errString(r.LandlockErr), r.LandlockFeatureList()})
}

// JSON returns the result as indented JSON.
func (r *Result) JSON() ([]byte, error) {
	return json.MarshalIndent(r, "", "  ")
}

func names(m map[string]bool, order []string, want bool) string {
	var out []string
	for _, n := range order {
		if v, ok := m[n]; ok && v == want {
			out = append(out, n)
		}
	}
	// Keys the order does not know (none today) still show up.
	var extra []string
	for n, v := range m {
		if v == want && !contains(order, n) {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	out = append(out, extra...)
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// WriteTable prints the result as an aligned two-column table.
func (r *Result) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "os/arch\t%s/%s\n", r.OS, r.Arch)
	if r.Kernel != "" {
		fmt.Fprintf(tw, "kernel\t%s\n", r.Kernel)
	}
	fmt.Fprintf(tw, "cgo\t%v\n", r.Cgo)
	if r.Seccomp {
		fmt.Fprintf(tw, "seccomp filter mode\tsupported\n")
	} else {
		fmt.Fprintf(tw, "seccomp filter mode\tunavailable\n")
	}
	if r.SeccompErr != nil {
		fmt.Fprintf(tw, "seccomp error\t%v\n", r.SeccompErr)
	}
	if len(r.SeccompFlags) > 0 {
		fmt.Fprintf(tw, "seccomp flags\t%s\n", names(r.SeccompFlags, FlagNames, true))
		if missing := names(r.SeccompFlags, FlagNames, false); missing != "-" {
			fmt.Fprintf(tw, "seccomp flags missing\t%s\n", missing)
		}
	}
	if len(r.SeccompActions) > 0 {
		fmt.Fprintf(tw, "seccomp actions\t%s\n", names(r.SeccompActions, ActionNames, true))
		if missing := names(r.SeccompActions, ActionNames, false); missing != "-" {
			fmt.Fprintf(tw, "seccomp actions missing\t%s\n", missing)
		}
	}
	filters := "unknown"
	if r.SeccompFilters >= 0 {
		filters = fmt.Sprint(r.SeccompFilters)
	}
	fmt.Fprintf(tw, "seccomp now\tmode %d, %s filters, installed %v\n", r.SeccompMode, filters, r.SeccompFilterInstalled)
	fmt.Fprintf(tw, "no_new_privs now\t%v\n", r.NoNewPrivs)
	if r.LandlockDeferred {
		fmt.Fprintf(tw, "landlock abi\tnot asked (a seccomp filter was in force)\n")
	} else if r.LandlockABI > 0 {
		fmt.Fprintf(tw, "landlock abi\t%d (kernel reports %d, errata %#x)\n", r.LandlockABI, r.LandlockReportedABI, r.LandlockErrata)
	} else {
		fmt.Fprintf(tw, "landlock abi\tnone (kernel reports %d)\n", r.LandlockReportedABI)
	}
	if r.LandlockErr != nil {
		fmt.Fprintf(tw, "landlock error\t%v\n", r.LandlockErr)
	}
	fmt.Fprintf(tw, "landlock features\t%s\n", landlockFeatureNames(r.LandlockABI, true))
	if missing := landlockFeatureNames(r.LandlockABI, false); missing != "-" {
		fmt.Fprintf(tw, "landlock features missing\t%s\n", missing)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(tw, "note\t%s\n", n)
	}
	return tw.Flush()
}

// String returns the table form.
func (r *Result) String() string {
	var b strings.Builder
	_ = r.WriteTable(&b)
	return b.String()
}
