package unveil

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// Perm is a set of unveil permissions: the letters r, w, x and c.
type Perm uint8

// The permission letters, as OpenBSD's unveil(2) defines them; bit i is
// the i-th letter of "rwxc", as in pledgekit's letter table
// (internal/llaccess), which maps them to Landlock rights (see
// Perm.FSRights).
const (
	// PermRead (r): read files, list directories.
	PermRead Perm = 1 << iota
	// PermWrite (w): write to and truncate existing files.
	PermWrite
	// PermExec (x): execute files.
	PermExec
	// PermCreate (c): create and remove files, directories, symlinks,
	// sockets and FIFOs (and rename or link them, with c on both sides).
	PermCreate
)

// maxPermLen is OpenBSD's limit: the kernel copies the permission string
// into a 5-byte buffer, so more than 4 characters is ENAMETOOLONG.
const maxPermLen = 4

// ErrPermission is wrapped by the error for a permission string that is
// not made of the letters r, w, x and c (OpenBSD: EINVAL), or that is
// longer than four characters (OpenBSD: ENAMETOOLONG).
var ErrPermission = errors.New("invalid unveil permissions")

// PermError reports a bad permission string. It matches ErrPermission and
// the errno OpenBSD would return (syscall.EINVAL or syscall.ENAMETOOLONG)
// with errors.Is.
type PermError struct {
	Perms  string // the whole permission string
	Offset int    // byte offset of the first bad character (-1 when too long)
	Errno  syscall.Errno
}

func (e *PermError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("unveil permissions %q: too long (%d bytes, at most %d); use the letters r, w, x, c", e.Perms, len(e.Perms), maxPermLen)
	}
	return fmt.Sprintf("unveil permissions %q: bad letter %q at offset %d; use only r (read), w (write), x (execute), c (create/remove)", e.Perms, e.Perms[e.Offset:e.Offset+1], e.Offset)
}

// Letter returns the offending character ("" when the string is too long).
func (e *PermError) Letter() string {
	if e.Offset < 0 {
		return ""
	}
	return e.Perms[e.Offset : e.Offset+1]
}

// Is makes errors.Is(err, ErrPermission) and errors.Is(err, syscall.EINVAL)
// (or ENAMETOOLONG) true.
func (e *PermError) Is(target error) bool {
	return target == ErrPermission || target == e.Errno
}

// ParsePerm reads a permission string as OpenBSD's unveil(2) does: any of
// the letters r, w, x, c in any order, duplicates allowed, at most four
// characters. The empty string is valid and means "no access" (see the
// package documentation for what Landlock can do with it).
func ParsePerm(s string) (Perm, error) {
	if len(s) > maxPermLen {
		return 0, &PermError{Perms: s, Offset: -1, Errno: syscall.ENAMETOOLONG}
	}
	var p Perm
	for i := 0; i < len(s); i++ {
		b := llaccess.LetterBit(s[i])
		if b == 0 {
			return 0, &PermError{Perms: s, Offset: i, Errno: syscall.EINVAL}
		}
		p |= Perm(b)
	}
	return p, nil
}

// String returns the permissions in the canonical order "rwxc" ("" for none).
func (p Perm) String() string { return llaccess.LetterString(uint8(p)) }

// ErrPath is wrapped by the error for an unusable path: empty (OpenBSD:
// EINVAL) or containing a NUL byte. It also matches syscall.EINVAL.
var ErrPath = errors.New("invalid unveil path")

type pathError struct {
	path   string
	reason string
}

func (e *pathError) Error() string {
	return fmt.Sprintf("unveil %q: %v: %s", e.path, ErrPath, e.reason)
}

func (e *pathError) Is(target error) bool { return target == ErrPath || target == syscall.EINVAL }

func checkPath(path string) error {
	if path == "" {
		return &pathError{path, "the path is empty; name a file or directory"}
	}
	if strings.IndexByte(path, 0) >= 0 {
		return &pathError{path, "the path contains a NUL byte"}
	}
	return nil
}
