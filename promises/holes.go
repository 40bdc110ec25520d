package promises

// UnixDatagramsByPath reports whether a process pledged to s on arch can
// send datagrams to unix sockets named by path although s lacks "unix".
// stdio allows socketpair(AF_UNIX, SOCK_DGRAM), and an addressed sendto,
// sendmsg or sendmmsg (inet, dns, route, sendfd) on such a socket reaches any
// unconnected unix datagram socket the file permissions let it write to
// (syslog's /dev/log, a service's notify socket): seccomp sees the
// descriptor's number, never its family, and cannot read the address.
// Landlock closes this from ABI 9 (LANDLOCK_ACCESS_FS_RESOLVE_UNIX, which
// package unveil handles), below that nothing can. With "unix" in s,
// sending to unix sockets is what was promised, and the result is false.
func UnixDatagramsByPath(s Set, arch string) bool {
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

// StatByPath reports whether a process pledged to s on arch can read the
// metadata (never the contents) of files it names by path although s
// lacks "rpath": stdio's fstat rule, newfstatat and statx with
// AT_EMPTY_PATH on a descriptor, is what glibc and musl make for fstat,
// and seccomp cannot see that the path is empty; an absolute path (or one
// relative to a directory descriptor) is then looked up. Landlock does not
// govern stat, so unveil does not close it. With rpath, stat is promised.
func StatByPath(s Set, arch string) bool {
	if s.Has(Rpath) {
		return false
	}
	_, ok := Decide(s, arch, "newfstatat", [6]uint64{3, 1, 1, atEmptyPath})
	return ok
}

// StatByPathReason is the one-line reason a report gives for StatByPath.
const StatByPathReason = "fstat (AT_EMPTY_PATH on a descriptor) also reads the metadata, never the contents, of any file named by an absolute path: seccomp cannot see the path and Landlock does not govern stat"
