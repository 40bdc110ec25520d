package unveil

import (
	"fmt"
	"path/filepath"
	"syscall"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// Landlock rules with explicit rights, for Landlock Config path_beneath
// rules and for callers that choose Landlock rights themselves. They
// complement Unveil, whose OpenBSD permissions are translated to rights
// by this package.

// KnownFSRights are the Landlock filesystem access rights (the kernel's
// LANDLOCK_ACCESS_FS_* bits, as in golang.org/x/sys/unix) that HandleFS
// and AllowFS accept: those of Landlock ABI 1 to 9, from execute (bit 0)
// to resolve_unix (bit 16).
const KnownFSRights uint64 = llaccess.AllFS

// rawRule is one AllowFS rule.
type rawRule struct {
	path   string // absolute and clean; the key
	rights uint64
}

// HandleFS makes the ruleset handle the given Landlock filesystem rights
// (LANDLOCK_ACCESS_FS_* bits): Commit denies them wherever no rule allows
// them. Unveil rules already handle every right the kernel has; HandleFS
// is for rulesets of AllowFS rules that restrict only some kinds of
// access, such as one that handles LANDLOCK_ACCESS_FS_EXECUTE alone so
// that only the files it allows can be executed, and leaves reading and
// writing to other layers. Rights outside KnownFSRights make Commit fail;
// rights this kernel lacks are dropped as AllowFS describes.
func (r *Ruleset) HandleFS(rights uint64) *Ruleset {
	r.rawHandled |= rights
	return r
}

// AllowFS adds a Landlock rule as Landlock Config's path_beneath does:
// the filesystem rights (LANDLOCK_ACCESS_FS_* bits) are allowed beneath
// path, or on path itself if it is not a directory, and the ruleset
// handles them (HandleFS), so that they are denied where no rule allows
// them. Adding rights for a path already added adds them to its rule. A
// relative path is taken relative to the current directory now. Rights 0
// add nothing.
//
// At Commit, as with Landlock itself: a path that is not a directory keeps
// only the rights of files (execute, read_file, write_file, truncate,
// ioctl_dev, resolve_unix), and the report says what was left out; a path
// that does not exist gets no rule and is reported as dropped; a path
// that cannot be examined (stat fails otherwise, for example with EACCES)
// makes Commit fail and enforce nothing. Rights this kernel lacks are
// dropped and reported, or make Commit fail when Require names the
// protection they belong to (Paths; Refer, Truncate, IoctlDev and
// UnixSockets for the rights those ABIs added).
//
// AllowFS rules and Unveil rules add up, as every Landlock rule does: a
// path gets the rights of every rule on the way to it. Hiding a path with
// Unveil (permissions "") beneath a directory that AllowFS grants rights
// is therefore not expressible, and Commit fails with ErrNotExpressible.
//
// AllowFS fails, adding nothing, for an empty path or one with a NUL byte
// (ErrPath), and for rights outside KnownFSRights (syscall.EINVAL).
func (r *Ruleset) AllowFS(path string, rights uint64) error {
	if err := checkPath(path); err != nil {
		return err
	}
	if bad := rights &^ KnownFSRights; bad != 0 {
		return fmt.Errorf("unveil: rule for %q: unknown Landlock filesystem rights %#x (known: %#x): %w", path, bad, KnownFSRights, syscall.EINVAL)
	}
	if rights == 0 {
		return nil
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("unveil: rule for %q: cannot make the path absolute: %w", path, err)
	}
	r.rawHandled |= rights
	for i := range r.raw {
		if r.raw[i].path == abs {
			r.raw[i].rights |= rights
			return nil
		}
	}
	r.raw = append(r.raw, rawRule{path: abs, rights: rights})
	return nil
}
