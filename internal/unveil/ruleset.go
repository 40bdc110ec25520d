package unveil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/pathres"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/promises"
)

// ErrLandlockUnavailable is wrapped by the error Commit returns when a
// protection the caller required (see Ruleset.Require) cannot be enforced
// on this kernel: Landlock is missing entirely, or its ABI is too old for
// that protection. Nothing is enforced when this error is returned.
var ErrLandlockUnavailable = errors.New("landlock protection unavailable on this kernel")

// ErrNotExpressible is wrapped by the error Commit returns for a request
// Landlock cannot express without granting more than asked: hiding a path
// (permissions "") beneath a directory unveiled with permissions. Landlock
// rules only add access, so the parent's access would reach the hidden
// path. Nothing is enforced when this error is returned.
var ErrNotExpressible = errors.New("cannot be expressed with Landlock")

// ErrLocked is wrapped by the error Unveil returns after a pledge without
// the "unveil" promise (OpenBSD treats such a call as a pledge violation).
// It also matches syscall.EPERM.
var ErrLocked = errors.New("unveil is locked")

// ErrTooManyLayers is wrapped by the error Commit returns when the kernel
// refuses another Landlock layer (E2BIG: at most 16 per process,
// counting layers inherited from the parent process). It also matches
// syscall.E2BIG.
var ErrTooManyLayers = errors.New("too many Landlock layers")

type lockedError struct{}

func (lockedError) Error() string {
	return "unveil: " + ErrLocked.Error() + ": a pledge without the \"unveil\" promise is in force; unveil before pledging, or pledge \"unveil\" too"
}
func (lockedError) Is(target error) bool { return target == ErrLocked || target == syscall.EPERM }

// Protection names one thing Landlock protects, each available from some
// Landlock ABI on. Ruleset.Require makes Commit fail when a protection the
// ruleset uses is missing; the default (Prefer) degrades and reports.
type Protection uint8

const (
	// Paths: filesystem access by path at all (Landlock ABI 1, Linux 5.13).
	Paths Protection = iota + 1
	// Refer: renames and hard links across directories follow the c
	// permission (ABI 2). Below, every such rename or link fails with
	// EXDEV: stricter than asked, but programs that move files break.
	Refer
	// Truncate: truncate(2) and O_TRUNC need w (ABI 3). Below, truncation
	// is not restricted at all.
	Truncate
	// TCP: TCP connect and bind port rules (ABI 4).
	TCP
	// IoctlDev: ioctl(2) on device files follows the r/w permissions
	// (ABI 5). Below, ioctls on devices that can be opened are unrestricted.
	IoctlDev
	// Scopes: signal and abstract unix socket scoping (ABI 6).
	Scopes
	// UnixSockets: connect(2)/sendmsg(2) on pathname unix sockets need w
	// (ABI 9). Below, they are not restricted by path.
	UnixSockets
	// UDP: UDP bind and connect/send port rules (ABI 10).
	UDP
	numProtections
)

// protectionNames are the probe's feature names (probe.LandlockFeatures
// has their ABIs).
var protectionNames = [numProtections]string{
	Paths: "paths", Refer: "refer", Truncate: "truncate", TCP: "tcp",
	IoctlDev: "ioctl_dev", Scopes: "scopes", UnixSockets: "unix_sockets", UDP: "udp",
}

// protectionNamed returns the protection of a feature name (0 for a
// name that is none).
func protectionNamed(name string) Protection {
	for p := Paths; p < numProtections; p++ {
		if protectionNames[p] == name {
			return p
		}
	}
	return 0
}

func (p Protection) String() string {
	if p > 0 && p < numProtections {
		return protectionNames[p]
	}
	return fmt.Sprintf("protection(%d)", uint8(p))
}

// ABI returns the first Landlock ABI that provides p.
func (p Protection) ABI() int {
	if p > 0 && p < numProtections {
		return probe.LandlockFeatureABI(protectionNames[p])
	}
	return 0
}

// UnavailableError says which required protection this kernel lacks.
// It matches ErrLandlockUnavailable, and the probe's reason when Landlock
// is missing entirely (for example probe.ErrLandlockDisabled).
type UnavailableError struct {
	Protection Protection
	HaveABI    int   // the verified Landlock ABI (0: none)
	Reason     error // why Landlock is missing, when it is
}

func (e *UnavailableError) Error() string {
	if e.HaveABI == 0 {
		return fmt.Sprintf("unveil: required protection %q: %v: %v", e.Protection, ErrLandlockUnavailable, e.Reason)
	}
	return fmt.Sprintf("unveil: required protection %q: %v: it needs Landlock ABI %d, this kernel has %d; use a newer kernel or Prefer(%s)",
		e.Protection, ErrLandlockUnavailable, e.Protection.ABI(), e.HaveABI, e.Protection)
}

func (e *UnavailableError) Unwrap() []error {
	if e.Reason != nil {
		return []error{ErrLandlockUnavailable, e.Reason}
	}
	return []error{ErrLandlockUnavailable}
}

// Scope is a Landlock IPC scope: communication with processes outside the
// sandbox (its Landlock domain) that the sandbox denies.
type Scope uint8

const (
	// ScopeSignal denies sending signals to processes outside the sandbox.
	ScopeSignal Scope = 1 << iota
	// ScopeAbstractUnix denies connecting to abstract unix sockets
	// created outside the sandbox.
	ScopeAbstractUnix
)

// scopeBits maps each Scope to its Landlock scope (whose name it prints
// with), in the order String prints them.
var scopeBits = []struct {
	scope Scope
	bit   uint64
}{{ScopeSignal, llaccess.ScopeSignal}, {ScopeAbstractUnix, llaccess.ScopeAbstractUnixSocket}}

// landlock returns the Landlock scope bits of s.
func (s Scope) landlock() uint64 {
	var b uint64
	for _, e := range scopeBits {
		if s&e.scope != 0 {
			b |= e.bit
		}
	}
	return b
}

func (s Scope) String() string {
	var out []string
	for _, e := range scopeBits {
		if s&e.scope != 0 {
			out = append(out, llaccess.Names(llaccess.Scope, e.bit)...)
		}
	}
	return strings.Join(out, "+")
}

type pathRule struct {
	path string // absolute and clean; the key
	perm Perm
}

type portSet struct {
	on    bool // handled: deny every port not listed
	ports []uint16
}

func (s *portSet) add(ports []uint16) {
	s.on = true
	for _, p := range ports {
		if !slices.Contains(s.ports, p) {
			s.ports = append(s.ports, p)
		}
	}
}

// Ruleset is a set of unveil rules that Commit turns into one Landlock
// layer: paths with OpenBSD permissions, TCP and UDP port rules, IPC
// scopes, and paths implied by pledge promises. Build it with New, add
// rules, then Commit. A Ruleset is not safe for concurrent use; Commit
// itself is serialized process-wide.
type Ruleset struct {
	paths      []pathRule
	connectTCP portSet
	bindTCP    portSet
	bindUDP    portSet
	sendUDP    portSet
	scopes     Scope
	unscoped   Scope  // default scopes opted out of (Unscope)
	require    uint16 // bit per Protection
	implied    promises.Set
	hasImplied bool
	raw        []rawRule // AllowFS rules, one per path
	rawHandled uint64    // rights HandleFS and AllowFS handle

	// probe replaces probe.Get() (tests play other kernels with it).
	probe *probe.Result
	// pre is what prepare examined and opened (linux), or nil.
	pre *prepared
	// lookups answers a commit's look-ups of paths when set
	// (unveillink.ShareLookups); nil: each commit has a cache of its own.
	lookups *pathres.Cache
}

// New returns an empty Ruleset.
func New() *Ruleset { return &Ruleset{} }

// Unveil adds path with OpenBSD permissions ("r", "w", "x", "c" in any
// combination, or "" to hide the path). A relative path is taken relative
// to the current directory now. Unveiling the same path again replaces
// its permissions, as on OpenBSD. Like OpenBSD, Unveil fails with ENOENT
// when a directory leading to path does not exist; the last component may
// be missing (see the package documentation for what that grants).
func (r *Ruleset) Unveil(path, permissions string) error {
	perm, err := ParsePerm(permissions)
	if err != nil {
		return err
	}
	if err := sealedError(fmt.Sprintf("unveiling %q", path)); err != nil {
		return err // examining path would end the process
	}
	abs, err := absPath(path)
	if err != nil {
		return err
	}
	for i := range r.paths {
		if r.paths[i].path == abs {
			r.paths[i].perm = perm
			return nil
		}
	}
	r.paths = append(r.paths, pathRule{path: abs, perm: perm})
	return nil
}

func absPath(path string) (string, error) {
	if err := checkPath(path); err != nil {
		return "", err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("unveil %q: cannot make the path absolute: %w", path, err)
	}
	if parent := filepath.Dir(abs); parent != abs {
		fi, err := os.Stat(parent)
		if err != nil {
			return "", fmt.Errorf("unveil %q: the directory it is in is not usable: %w", path, err)
		}
		if !fi.IsDir() {
			return "", fmt.Errorf("unveil %q: %s is not a directory: %w", path, parent, syscall.ENOTDIR)
		}
	}
	return abs, nil
}

// ConnectTCP allows TCP connections to the given remote ports and makes
// Commit deny connections to every other port (Landlock ABI 4). Calling it
// with no ports denies all TCP connects.
func (r *Ruleset) ConnectTCP(ports ...uint16) *Ruleset { r.connectTCP.add(ports); return r }

// BindTCP allows binding TCP sockets to the given local ports and makes
// Commit deny binding any other port (ABI 4). Port 0 allows binding to a
// kernel-chosen port. With no ports, all TCP binds are denied. See the
// package documentation on MPTCP.
func (r *Ruleset) BindTCP(ports ...uint16) *Ruleset { r.bindTCP.add(ports); return r }

// BindUDP allows binding UDP sockets to the given local ports (port 0:
// kernel-chosen, including the implicit bind of a first send) and denies
// every other (ABI 10).
func (r *Ruleset) BindUDP(ports ...uint16) *Ruleset { r.bindUDP.add(ports); return r }

// ConnectUDP allows connecting UDP sockets to, and sending datagrams to,
// the given remote ports, and denies every other (ABI 10).
func (r *Ruleset) ConnectUDP(ports ...uint16) *Ruleset { r.sendUDP.add(ports); return r }

// Scope denies the given kinds of communication with processes outside
// the sandbox (ABI 6).
func (r *Ruleset) Scope(s ...Scope) *Ruleset {
	for _, x := range s {
		r.scopes |= x
	}
	return r
}

// Unscope opts out of scopes a veil gets by default. Unveil rules
// committed by a pledge (pledge.Options.Unveil, the commits of a pledge) deny, from
// Landlock ABI 6 on, connections to abstract unix sockets created outside
// the sandbox and signals to processes outside it (not signals when the
// promises include "proc"), as UnveilBlock's do; Unscope(ScopeSignal)
// keeps signals open, Unscope(ScopeAbstractUnix) abstract sockets. It
// does not undo Scope. Commit and CommitThread have only the scopes
// asked with Scope.
func (r *Ruleset) Unscope(s ...Scope) *Ruleset {
	for _, x := range s {
		r.unscoped |= x
	}
	return r
}

// Require makes Commit fail, enforcing nothing, when one of the given
// protections is used by the ruleset but unavailable on this kernel. With
// no arguments, every protection the ruleset uses is required. The error
// wraps ErrLandlockUnavailable.
func (r *Ruleset) Require(ps ...Protection) *Ruleset {
	if len(ps) == 0 {
		r.require = ^uint16(0)
	}
	for _, p := range ps {
		r.require |= 1 << p
	}
	return r
}

// Prefer undoes Require for the given protections (with no arguments:
// all): when unavailable they are dropped and the report says so. This
// is the default.
func (r *Ruleset) Prefer(ps ...Protection) *Ruleset {
	if len(ps) == 0 {
		r.require = 0
	}
	for _, p := range ps {
		r.require &^= 1 << p
	}
	return r
}

func (r *Ruleset) required(p Protection) bool {
	return r.require&(1<<p) != 0
}

// Implied adds, read-only or as promises.ImpliedPaths says, the paths the
// given pledge promises imply (for example /dev/null and /etc/localtime
// for stdio, resolver files for dns), so that Go's standard library, which
// opens them lazily, keeps working. Each one is listed in the report.
func (r *Ruleset) Implied(ps promises.Set) *Ruleset {
	r.implied |= ps
	r.hasImplied = true
	return r
}

// empty reports whether the ruleset asks for nothing at all.
func (r *Ruleset) empty() bool {
	return len(r.paths) == 0 && !r.connectTCP.on && !r.bindTCP.on && !r.bindUDP.on && !r.sendUDP.on && r.scopes == 0 &&
		r.rawHandled == 0
}

func (r *Ruleset) probeResult() *probe.Result {
	if r.probe != nil {
		return r.probe
	}
	return probe.Get()
}
