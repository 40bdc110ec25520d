package promises

// Truncates reports whether the promises let a process on arch truncate
// a file by path or open one for writing (after which ftruncate(2), which
// "stdio" allows, can truncate it): truncate(2), creat(2), or open, openat
// or open_by_handle_at with O_TRUNC, O_WRONLY or O_RDWR, as Decide answers
// them (a call answered with an errno counts as refused). With the current
// table that is exactly the sets with "wpath". Package unveil leaves
// truncation to a pledge whose promises do not truncate; package pledge
// closes that gap (report.GapTruncate) when its filter enforces them.
func Truncates(s Set, arch string) bool {
	allows := func(name string, args [6]uint64) bool {
		r, ok := Decide(s, arch, name, args)
		return ok && r.Action != Errno
	}
	const atFDCWD = ^uint64(99) // AT_FDCWD (-100)
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
