// Package promfacts answers questions about the promise table that the
// sandbox's own layers ask while planning, and that users have no use for:
// whether a set can truncate files (so a Landlock layer committed with a
// pledge may leave truncation to the filter), and which promises have a
// meaning on Linux. It reads the table only through package promises'
// public semantics (promises.Decide, promises.Describe).
package promfacts

import "github.com/pledgekit/pledgekit/promises"

// Open flags and AT_FDCWD, with the values every Linux architecture
// pledgekit supports gives them.
const (
	oRdonly = 0o0
	oWronly = 0o1
	oRdwr   = 0o2
	oTrunc  = 0o1000
	atFDCWD = ^uint64(99) // -100
)

// Truncates reports whether the promises let a process on arch truncate
// a file by path or open one for writing (after which ftruncate(2), which
// "stdio" allows, can truncate it): truncate(2), creat(2), or open, openat
// or open_by_handle_at with O_TRUNC, O_WRONLY or O_RDWR, as promises.Decide
// answers them (a call answered with an errno counts as refused). With the
// current table that is exactly the sets with "wpath". A Landlock layer
// committed with a pledge whose promises do not truncate may leave
// truncation to that pledge's filter.
func Truncates(s promises.Set, arch string) bool {
	allows := func(name string, args [6]uint64) bool {
		r, ok := promises.Decide(s, arch, name, args)
		return ok && r.Action != promises.Errno
	}
	if allows("truncate", [6]uint64{}) || allows("creat", [6]uint64{0, 0o644}) {
		return true
	}
	for _, flags := range []uint64{oRdonly | oTrunc, oWronly, oWronly | oTrunc, oRdwr, oRdwr | oTrunc} {
		if allows("openat", [6]uint64{atFDCWD, 0, flags, 0o644}) || allows("open", [6]uint64{0, flags, 0o644}) ||
			allows("open_by_handle_at", [6]uint64{0, 0, flags}) {
			return true
		}
	}
	return false
}

// LinuxSet returns the set of the promises that have a meaning on Linux
// (promises.Describe(p).Linux); the others are accepted and ignored.
func LinuxSet() promises.Set {
	var s promises.Set
	for _, p := range promises.All() {
		if promises.Describe(p).Linux {
			s = s.With(p)
		}
	}
	return s
}
