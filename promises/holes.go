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
