package promises

import "strconv"

// A Hole is something a process pledged to a promise set can do although
// the set does not promise it, because seccomp sees system call numbers
// and registers, never paths, a descriptor's type or memory. Holes lists
// the holes of a set; the package documentation ("Differences from
// OpenBSD, and holes") describes the limits that hold for every set, such
// as paths not being checked.
type Hole uint8

const (
	// StatByPath: without "rpath", stdio's fstat rule (newfstatat and
	// statx with AT_EMPTY_PATH on a descriptor, which glibc and musl
	// make for fstat) also reads the metadata, never the contents, of any
	// file named by an absolute path (or one relative to a directory
	// descriptor): seccomp cannot see that the path is empty. Landlock
	// does not govern stat, so unveil does not close it. With rpath,
	// stat is promised.
	StatByPath Hole = iota + 1
	// UnixDatagramsByPath: without "unix", stdio allows
	// socketpair(AF_UNIX, SOCK_DGRAM), and an addressed sendto, sendmsg
	// or sendmmsg (inet, dns, route, sendfd) on such a socket reaches any
	// unconnected unix datagram socket the file permissions let it write
	// to (syslog's /dev/log, a service's notify socket): seccomp sees the
	// descriptor's number, never its family, and cannot read the address.
	// Landlock closes it from ABI 9 (LANDLOCK_ACCESS_FS_RESOLVE_UNIX,
	// which package unveil handles); below that nothing can.
	UnixDatagramsByPath
)

// holes lists every Hole, in the order Holes reports them.
var holes = [...]struct {
	name, reason string
	abi          int
	in           func(s Set, arch string) bool
}{
	StatByPath - 1: {
		"stat without rpath",
		"fstat (AT_EMPTY_PATH on a descriptor) also reads the metadata, never the contents, of any file named by an absolute path: seccomp cannot see the path and Landlock does not govern stat",
		0, statByPath,
	},
	UnixDatagramsByPath - 1: {
		"unix datagrams by path",
		"without unix, an AF_UNIX datagram socket from socketpair (stdio) can still send to any unix datagram socket by path with an addressed sendto or sendmsg (seccomp cannot see a descriptor's family)",
		9, unixDatagramsByPath,
	},
}

// Holes returns the holes a process pledged to s on arch (a Go
// architecture name) has, in the order of the Hole constants. It is
// empty when the set's filter enforces exactly what its promises say,
// apart from the limits every set shares.
func Holes(s Set, arch string) []Hole {
	var out []Hole
	for i := range holes {
		if h := Hole(i + 1); h.In(s, arch) {
			out = append(out, h)
		}
	}
	return out
}

// In reports whether a process pledged to s on arch has hole h. It is
// false for a value that is not one of the Hole constants.
func (h Hole) In(s Set, arch string) bool {
	if h == 0 || int(h) > len(holes) {
		return false
	}
	return holes[h-1].in(s, arch)
}

// String returns the hole's short name, as a report item names it
// ("stat without rpath").
func (h Hole) String() string {
	if h == 0 || int(h) > len(holes) {
		return "hole(" + strconv.Itoa(int(h)) + ")"
	}
	return holes[h-1].name
}

// Reason says in one sentence what the hole lets a process do and why
// seccomp cannot close it.
func (h Hole) Reason() string {
	if h == 0 || int(h) > len(holes) {
		return ""
	}
	return holes[h-1].reason
}

// LandlockABI returns the lowest Landlock ABI whose unveil closes h (when
// a Landlock layer with paths is in force), or 0 when no kernel mechanism
// closes it.
func (h Hole) LandlockABI() int {
	if h == 0 || int(h) > len(holes) {
		return 0
	}
	return holes[h-1].abi
}

func unixDatagramsByPath(s Set, arch string) bool {
	if s.Has(Unix) {
		return false
	}
	if _, ok := Decide(s, arch, "socketpair", [6]uint64{afUnix, sockDgram, 0, 1}); !ok {
		return false
	}
	for _, c := range []struct {
		sys  string
		args [6]uint64
	}{
		{"sendto", [6]uint64{3, 1, 1, 0, 1, 110}}, // an address and its length
		{"sendmsg", [6]uint64{3, 1, 0}},
		{"sendmmsg", [6]uint64{3, 1, 1, 0}},
	} {
		if r, ok := Decide(s, arch, c.sys, c.args); ok && r.Action == Allow {
			return true
		}
	}
	return false
}

func statByPath(s Set, arch string) bool {
	if s.Has(Rpath) {
		return false
	}
	_, ok := Decide(s, arch, "newfstatat", [6]uint64{3, 1, 1, atEmptyPath})
	return ok
}
