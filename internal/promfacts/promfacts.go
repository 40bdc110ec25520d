// Package promfacts answers questions about the promise table that the
// sandbox's own layers ask while planning, and that users have no use for:
// whether a set can truncate files (so a Landlock layer committed with a
// pledge may leave truncation to the filter), whether a filter refuses
// MPTCP sockets (which Landlock's TCP port rules do not see), and which
// promises have a meaning on Linux; and it words, once for package pledge
// and the unveil command, the report item of the unix-datagram hole a
// filter leaves to Landlock. It reads the table only through package
// promises' public semantics (promises.Decide, promises.Describe).
package promfacts

import (
	"fmt"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// Open flags and AT_FDCWD, with the values every Linux architecture
// pledgekit supports gives them.
const (
	oRdonly = 0o0
	oWronly = 0o1
	oRdwr   = 0o2
	oTrunc  = 0o1000
	atFDCWD = ^uint64(99) // -100

	afInet       = 2
	afInet6      = 10
	sockStream   = 1
	ipprotoMPTCP = 262
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

// RefusesMPTCP reports whether a filter for s on arch refuses MPTCP
// sockets, socket(AF_INET or AF_INET6, SOCK_STREAM, IPPROTO_MPTCP), as
// promises.Decide answers them: a call answered with an errno is refused
// (the table does so for every set, so that Go's net falls back to TCP);
// a call s does not allow is refused only by a filter that enforces (not
// one that only logs). Such a filter closes the hole MPTCP leaves in
// Landlock's TCP port rules (reportlink.MPTCP).
func RefusesMPTCP(s promises.Set, arch string, enforces bool) bool {
	for _, family := range []uint64{afInet, afInet6} {
		r, ok := promises.Decide(s, arch, "socket", [6]uint64{family, sockStream, ipprotoMPTCP})
		if ok && r.Action != promises.Errno || !ok && !enforces {
			return false
		}
	}
	return true
}

// UnixDatagramsItem is the report item of the hole
// promises.UnixDatagramsByPath names, for a filter whose promises have it
// and no Landlock layer in force that restricts unix sockets by path
// (Landlock ABI 9 does): Partial, with why as the reason no layer closes
// it; an empty why says that this kernel's Landlock (ABI abi) cannot.
func UnixDatagramsItem(abi int, why string) report.Item {
	if why == "" {
		why = fmt.Sprintf("this kernel's Landlock (ABI %d) cannot restrict it (ABI %d can)", abi, promises.UnixDatagramsByPath.LandlockABI())
	}
	return report.Item{Layer: report.LayerPromise, What: "unix datagrams by path", Status: report.Partial, Reason: why,
		Detail: "without \"unix\", an AF_UNIX datagram socket from socketpair (stdio) can still send to any unix datagram socket by path with an addressed sendto or sendmsg (seccomp cannot see a descriptor's family)"}
}
