package unveil

import (
	impl "github.com/pledgekit/pledgekit/internal/unveil"
	"github.com/pledgekit/pledgekit/report"
)

// The implementation is internal/unveil, which the unveil command shares:
// it restricts one thread and so must not link libpsx, and with it cgo,
// which this package registers for whole-process layers
// (allthreads_linux.go). The types below are aliases of that package's,
// so a Ruleset is the same type on both sides; their methods are
// documented there and summarized here.

// Ruleset is a set of unveil rules that Commit turns into one Landlock
// layer: paths with OpenBSD permissions (Unveil), TCP and UDP port rules
// (ConnectTCP, BindTCP, BindUDP, ConnectUDP, OnlyDNS), IPC scopes (Scope,
// Unscope), paths implied by pledge promises (Implied), Landlock rights
// chosen by the caller (HandleFS, AllowFS), and what to do when the
// kernel lacks a protection (Require, Prefer). Build it with New, add
// rules, then Commit (every thread of the process) or CommitThread (the
// calling thread, for a launcher that executes a program next). Both
// return a report.Report of what the kernel enforces. A Ruleset is not
// safe for concurrent use; commits are serialized process-wide.
//
// Ruleset is an alias, so go doc lists its methods with the implementation:
// go doc github.com/pledgekit/pledgekit/internal/unveil.Ruleset
type Ruleset = impl.Ruleset

// Perm is a set of OpenBSD unveil permissions (PermRead, PermWrite,
// PermExec, PermCreate). FSRights gives the Landlock rights it stands for
// on a file or a directory.
type Perm = impl.Perm

// The permissions.
const (
	PermRead   = impl.PermRead   // r: read files, list directories
	PermWrite  = impl.PermWrite  // w: write to and truncate existing files
	PermExec   = impl.PermExec   // x: execute files (and read them: see the package doc)
	PermCreate = impl.PermCreate // c: create, remove, rename and link entries
)

// PermError reports a bad permission string. It matches ErrPermission and
// the errno OpenBSD would return (syscall.EINVAL or syscall.ENAMETOOLONG)
// with errors.Is.
type PermError = impl.PermError

// Protection is what one Landlock ABI brought, as Require and Prefer name
// it; ABI gives the version that has it.
type Protection = impl.Protection

// The protections, in the order Landlock gained them.
const (
	Paths       = impl.Paths       // access by path at all (ABI 1)
	Refer       = impl.Refer       // renames and links across directories follow c (ABI 2)
	Truncate    = impl.Truncate    // truncation needs w (ABI 3)
	TCP         = impl.TCP         // TCP port rules (ABI 4)
	IoctlDev    = impl.IoctlDev    // ioctl on devices follows r/w (ABI 5)
	Scopes      = impl.Scopes      // signal and abstract unix socket scopes (ABI 6)
	UnixSockets = impl.UnixSockets // pathname unix sockets need w (ABI 9)
	UDP         = impl.UDP         // UDP port rules (ABI 10)
)

// Scope is a Landlock IPC scope: communication with processes outside the
// sandbox (its Landlock domain) that the sandbox denies.
type Scope = impl.Scope

// The scopes.
const (
	ScopeSignal       = impl.ScopeSignal       // signals to processes outside the sandbox
	ScopeAbstractUnix = impl.ScopeAbstractUnix // abstract unix sockets created outside it
)

// UnavailableError says which required protection this kernel lacks. It
// matches ErrLandlockUnavailable, and the probe's reason when Landlock is
// missing entirely.
type UnavailableError = impl.UnavailableError

// DNSPort is the one remote port a "dns" pledge without "inet" reaches,
// as on OpenBSD, whose kernel pins the sockets of such a pledge to it.
const DNSPort = impl.DNSPort

// KnownFSRights are the Landlock filesystem access rights (the kernel's
// LANDLOCK_ACCESS_FS_* bits, as in golang.org/x/sys/unix) that HandleFS
// and AllowFS accept: those of Landlock ABI 1 to 9, from execute (bit 0)
// to resolve_unix (bit 16).
const KnownFSRights = impl.KnownFSRights

// The errors, for errors.Is.
var (
	// ErrLandlockUnavailable: a protection the caller required (Require)
	// cannot be enforced on this kernel, or UnveilBlock cannot restrict
	// any path. Nothing is enforced.
	ErrLandlockUnavailable = impl.ErrLandlockUnavailable
	// ErrNotExpressible: Landlock cannot express the request without
	// granting more than asked (hiding a path beneath a directory unveiled
	// with permissions). Nothing is enforced.
	ErrNotExpressible = impl.ErrNotExpressible
	// ErrLocked: Unveil after a pledge without the "unveil" promise
	// (OpenBSD treats such a call as a pledge violation). Also matches
	// syscall.EPERM.
	ErrLocked = impl.ErrLocked
	// ErrTooManyLayers: the kernel refuses another Landlock layer (E2BIG:
	// at most 16 per process, counting inherited ones). Also matches
	// syscall.E2BIG.
	ErrTooManyLayers = impl.ErrTooManyLayers
	// ErrPermission: a permission string not made of r, w, x and c
	// (OpenBSD: EINVAL), or longer than four characters (ENAMETOOLONG).
	ErrPermission = impl.ErrPermission
	// ErrPath: an empty path (OpenBSD: EINVAL) or one with a NUL byte.
	// Also matches syscall.EINVAL.
	ErrPath = impl.ErrPath
)

// New returns an empty Ruleset.
func New() *Ruleset { return impl.New() }

// ParsePerm reads a permission string as OpenBSD's unveil(2) does: any of
// the letters r, w, x, c in any order, duplicates allowed, at most four
// characters; "" means no access. A bad string gives a *PermError.
func ParsePerm(s string) (Perm, error) { return impl.ParsePerm(s) }

// Unveil adds path with permissions (any of "r", "w", "x", "c", or "" to
// hide it) to the process's pending unveils, as OpenBSD's unveil(2). The
// unveils take effect together when UnveilBlock is called or when pledge
// is called without the "unveil" promise. See the package documentation
// for how Linux differs. On OpenBSD it is unix.Unveil; elsewhere without
// Landlock it checks its arguments, then fails with an error matching
// errors.ErrUnsupported.
func Unveil(path, permissions string) error { return impl.Unveil(path, permissions) }

// UnveilBlock commits the pending unveils, as OpenBSD's unveil(NULL,
// NULL): from now on only the unveiled paths are accessible, to every
// thread of the process and to processes it starts. It adds the paths the
// stdio, dns and inet promises imply (read-only, plus /dev/null
// read-write). Without pending unveils it does nothing. When no path can
// be restricted (a kernel without Landlock, or a seccomp filter inherited
// from the parent that refuses the Landlock calls) it fails with an error
// wrapping ErrLandlockUnavailable and the probe's reason
// (probe.ErrLandlockRefused, ...), and the unveils are dropped: the caller
// asked for a protection it does not get. Use a Ruleset to run on
// regardless, with a report of what was enforced.
func UnveilBlock() error { return impl.UnveilBlock() }

// Block is UnveilBlock returning the report of what was enforced (nil
// when nothing was pending).
func Block() (*report.Report, error) { return impl.Block() }

// Pending reports whether Unveil was called since the last commit (always
// false on OpenBSD, where unveils take effect at once).
func Pending() bool { return impl.Pending() }
