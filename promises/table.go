package promises

// This file is the promise table: for every promise, the system calls it
// allows on Linux and the argument conditions under which it allows them.
// It is data; the helpers below only make it shorter to write. The package
// documentation (doc.go) explains the choices and the holes.
//
// This file is the source of truth, but the package does not run it: the
// tables in force, baseline and table, are in ztable.go, generated from
// buildTable as static composite literals that the linker lays out as data,
// so importing the package and compiling the first pledge cost no table
// building. TestGeneratedTable fails when the two differ; after changing
// this file, regenerate with
//
//	go generate ./promises
//
// (which runs go test -run TestGeneratedTable -update).

//go:generate go test -run TestGeneratedTable -update

// ---------------------------------------------------------------------------
// Helpers for writing rules.

// eq is "argument == v" on the low 32 bits (int-typed arguments).
func eq(arg uint8, v uint64) Cond { return Cond{Arg: arg, Width: W32, Value: v} }

// eq64 is "argument == v" on all 64 bits (pointers).
func eq64(arg uint8, v uint64) Cond { return Cond{Arg: arg, Width: W64, Value: v} }

// self is "argument == the caller's pid" (pid_t, low 32 bits), bound when
// a filter is built (Cond.Self).
func self(arg uint8) Cond { return Cond{Arg: arg, Width: W32, Self: true} }

// masked is "argument & mask == v" on the low 32 bits.
func masked(arg uint8, mask, v uint64) Cond {
	return Cond{Arg: arg, Width: W32, Mask: mask, Value: v}
}

// none is "argument has none of the bits in mask" on the low 32 bits.
func none(arg uint8, mask uint64) Cond { return masked(arg, mask, 0) }

// rule allows one syscall when all conditions hold.
func rule(sys string, conds ...Cond) Rule { return Rule{Syscall: sys, Args: conds} }

// calls allows syscalls unconditionally.
func calls(names ...string) []Rule {
	out := make([]Rule, len(names))
	for i, n := range names {
		out[i] = Rule{Syscall: n}
	}
	return out
}

// oneOf allows sys when argument arg (low 32 bits) equals one of vals, plus
// the extra conditions.
func oneOf(sys string, arg uint8, vals []uint64, extra ...Cond) []Rule {
	out := make([]Rule, len(vals))
	for i, v := range vals {
		out[i] = rule(sys, append([]Cond{eq(arg, v)}, extra...)...)
	}
	return out
}

// errnoRule answers sys with errno e when the conditions hold.
func errnoRule(sys string, e uint16, conds ...Cond) Rule {
	return Rule{Syscall: sys, Args: conds, Action: Errno, Errno: e}
}

// errnos answers each of the syscalls with errno e, unconditionally.
func errnos(e uint16, names ...string) []Rule {
	out := make([]Rule, len(names))
	for i, n := range names {
		out[i] = errnoRule(n, e)
	}
	return out
}

// mknodTypes allows sys when its mode argument (arg) makes a regular file
// (type 0 or S_IFREG), a FIFO or a socket without setuid, setgid or sticky
// bits: one rule per type.
func mknodTypes(sys string, arg uint8) []Rule {
	var out []Rule
	for _, typ := range []uint64{0, sIFREG, sIFIFO, sIFSOCK} {
		out = append(out, rule(sys, masked(arg, sIFMT|modeSpecial, typ)))
	}
	return out
}

// requiring returns rules with Also extended by ps.
func requiring(rules []Rule, ps ...Promise) []Rule {
	for i := range rules {
		rules[i].Also |= Of(ps...)
	}
	return rules
}

func join(groups ...[]Rule) []Rule {
	var out []Rule
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// sockopt names one (level, option) pair for setsockopt/getsockopt.
type sockopt struct {
	name  string // kernel name, for docs and tests
	level uint64
	opt   uint64
}

// sockopts allows setsockopt and getsockopt for each pair.
func sockopts(list []sockopt) []Rule {
	return append(optRules("setsockopt", list), optRules("getsockopt", list)...)
}

// getsockopts allows only reading each pair.
func getsockopts(list []sockopt) []Rule { return optRules("getsockopt", list) }

func optRules(sys string, list []sockopt) []Rule {
	out := make([]Rule, len(list))
	for i, o := range list {
		out[i] = rule(sys, eq(1, o.level), eq(2, o.opt))
	}
	return out
}

// ioctlReq names one ioctl request.
type ioctlReq struct {
	name string
	req  uint64
}

func ioctls(list []ioctlReq) []Rule {
	out := make([]Rule, len(list))
	for i, r := range list {
		out[i] = rule("ioctl", eq(1, r.req))
	}
	return out
}

func values[T any](list []T, f func(T) uint64) []uint64 {
	out := make([]uint64, len(list))
	for i, x := range list {
		out[i] = f(x)
	}
	return out
}

// ---------------------------------------------------------------------------
// Open flags: which promises an open needs.

// openArgs describes where an open-like syscall keeps its flags and mode.
type openArgs struct {
	sys   string
	flags uint8
	mode  uint8
}

var openSyscalls = []openArgs{
	{"openat", 2, 3},
	{"open", 1, 2}, // amd64 only
}

// openMask is the set of flag bits that decide the promises an open needs.
// All of them have the same value on amd64 and arm64.
const openMask = oAccmode | oCreat | oTrunc | oTmpfileB

// openNeeds returns the promises an open with the given flags needs:
// reading (O_RDONLY, O_RDWR) needs rpath; writing (O_WRONLY, O_RDWR) or
// truncating (O_TRUNC) needs wpath; creating (O_CREAT, O_TMPFILE) needs
// cpath. ok is false for flag combinations the kernel refuses anyway
// (O_ACCMODE == 3 is handled by the caller; O_CREAT|O_TMPFILE and a
// read-only O_TMPFILE are EINVAL).
func openNeeds(acc, trunc, create uint64) (need Set, ok bool) {
	switch acc {
	case oRdonly:
		need = need.With(Rpath)
	case oWronly:
		need = need.With(Wpath)
	case oRdwr:
		need = need.With(Rpath).With(Wpath)
	default:
		return 0, false
	}
	if trunc != 0 {
		need = need.With(Wpath)
	}
	switch create {
	case 0:
	case oCreat:
		need = need.With(Cpath)
	case oTmpfileB:
		if acc == oRdonly {
			return 0, false
		}
		need = need.With(Cpath)
	default:
		return 0, false
	}
	return need, true
}

// openRules builds, for every promise, the open rules it owns. Each
// combination of access mode, O_TRUNC and O_CREAT/O_TMPFILE becomes one
// rule owned by the most specific promise it needs (cpath, else wpath, else
// rpath) with the others in Also. Creating opens also require a mode
// without setuid, setgid or sticky bits.
func openRules() map[Promise][]Rule {
	out := map[Promise][]Rule{}
	for _, o := range openSyscalls {
		for _, acc := range []uint64{oRdonly, oWronly, oRdwr} {
			for _, trunc := range []uint64{0, oTrunc} {
				for _, create := range []uint64{0, oCreat, oTmpfileB} {
					need, ok := openNeeds(acc, trunc, create)
					if !ok {
						continue
					}
					owner := Rpath
					switch {
					case need.Has(Cpath):
						owner = Cpath
					case need.Has(Wpath):
						owner = Wpath
					}
					r := rule(o.sys, masked(o.flags, openMask, acc|trunc|create))
					if create != 0 {
						r.Args = append(r.Args, none(o.mode, modeSpecial))
					}
					r.Also = need.Without(owner)
					out[owner] = append(out[owner], r)
				}
			}
		}
	}
	// creat(path, mode) is open(O_CREAT|O_WRONLY|O_TRUNC): cpath and wpath.
	out[Cpath] = append(out[Cpath], Rule{Syscall: "creat", Args: []Cond{none(1, modeSpecial)}, Also: Of(Wpath)})
	return out
}

// ---------------------------------------------------------------------------
// Socket options.

// stdioSockopts work on sockets already held, as OpenBSD's stdio list
// (SO_RCVBUF, SO_ERROR, TCP_NODELAY, IP_TOS, IPV6_TCLASS) does, plus what
// only describes the socket or mirrors an entry of that list.
var stdioSockopts = []sockopt{
	{"SO_TYPE", solSocket, 3},        // read-only: what socket is this (Go's net.FileConn)
	{"SO_ERROR", solSocket, 4},       // a non-blocking connect's result (OpenBSD: stdio)
	{"SO_SNDBUF", solSocket, 7},      // SO_RCVBUF's twin, within the system's limits
	{"SO_RCVBUF", solSocket, 8},      // OpenBSD: stdio
	{"SO_PROTOCOL", solSocket, 38},   // read-only, as SO_TYPE
	{"SO_DOMAIN", solSocket, 39},     // read-only, as SO_TYPE
	{"TCP_NODELAY", ipprotoTCP, 1},   // OpenBSD: stdio; Go sets it on every TCP socket
	{"IP_TOS", ipprotoIP, 1},         // OpenBSD: stdio
	{"IPV6_TCLASS", ipprotoIPv6, 67}, // OpenBSD: stdio
}

// inetSockopts are the options inet, anet and dns add: each changes only
// how this socket behaves (buffers, timeouts, keepalives, hop limits, path
// MTU, timestamps, ancillary data), within limits the kernel enforces for
// unprivileged users. Left out: what needs CAP_NET_ADMIN or CAP_NET_RAW or
// escapes routing policy (SO_BINDTODEVICE, SO_MARK, IP_TRANSPARENT,
// SO_DEBUG, TCP_REPAIR), source routing (IP_OPTIONS, IPV6_RTHDR), raw
// headers (IP_HDRINCL), and filters (SO_ATTACH_FILTER and BPF).
var inetSockopts = []sockopt{
	{"SO_REUSEADDR", solSocket, 2},             // rebinding a port in TIME_WAIT (every server)
	{"SO_DONTROUTE", solSocket, 5},             // bypass routing to a directly connected host only
	{"SO_BROADCAST", solSocket, 6},             // send to a broadcast address (DHCP, discovery)
	{"SO_KEEPALIVE", solSocket, 9},             // TCP keepalives (Go sets it on every TCP connection)
	{"SO_OOBINLINE", solSocket, 10},            // urgent data inline
	{"SO_PRIORITY", solSocket, 12},             // queueing priority; above 6 the kernel wants CAP_NET_ADMIN
	{"SO_LINGER", solSocket, 13},               // how close waits for unsent data
	{"SO_REUSEPORT", solSocket, 15},            // load-balanced listeners of the same user
	{"SO_RCVLOWAT", solSocket, 18},             // wake-up threshold
	{"SO_SNDLOWAT", solSocket, 19},             // wake-up threshold (read-only on Linux)
	{"SO_RCVTIMEO_OLD", solSocket, 20},         // receive timeout
	{"SO_SNDTIMEO_OLD", solSocket, 21},         // send timeout
	{"SO_TIMESTAMP_OLD", solSocket, 29},        // receive timestamps
	{"SO_ACCEPTCONN", solSocket, 30},           // read-only: is it listening
	{"SO_TIMESTAMPNS_OLD", solSocket, 35},      // receive timestamps
	{"SO_RXQ_OVFL", solSocket, 40},             // count of dropped datagrams
	{"SO_INCOMING_CPU", solSocket, 49},         // CPU affinity of a socket
	{"SO_ZEROCOPY", solSocket, 60},             // zero-copy sends of its own memory
	{"SO_TIMESTAMP_NEW", solSocket, 63},        // receive timestamps
	{"SO_TIMESTAMPNS_NEW", solSocket, 64},      // receive timestamps
	{"SO_RCVTIMEO_NEW", solSocket, 66},         // receive timeout
	{"SO_SNDTIMEO_NEW", solSocket, 67},         // send timeout
	{"TCP_MAXSEG", ipprotoTCP, 2},              // segment size
	{"TCP_CORK", ipprotoTCP, 3},                // batching
	{"TCP_KEEPIDLE", ipprotoTCP, 4},            // keepalive timing (Go)
	{"TCP_KEEPINTVL", ipprotoTCP, 5},           // keepalive timing (Go)
	{"TCP_KEEPCNT", ipprotoTCP, 6},             // keepalive timing (Go)
	{"TCP_SYNCNT", ipprotoTCP, 7},              // connect retries
	{"TCP_LINGER2", ipprotoTCP, 8},             // FIN_WAIT2 time
	{"TCP_DEFER_ACCEPT", ipprotoTCP, 9},        // accept only when data arrives
	{"TCP_WINDOW_CLAMP", ipprotoTCP, 10},       // window size
	{"TCP_INFO", ipprotoTCP, 11},               // read-only connection statistics
	{"TCP_QUICKACK", ipprotoTCP, 12},           // ACK timing
	{"TCP_CONGESTION", ipprotoTCP, 13},         // congestion control among those allowed to users (net.ipv4.tcp_allowed_congestion_control)
	{"TCP_USER_TIMEOUT", ipprotoTCP, 18},       // retransmission timeout
	{"TCP_FASTOPEN", ipprotoTCP, 23},           // fast open on a listener
	{"TCP_NOTSENT_LOWAT", ipprotoTCP, 25},      // wake-up threshold
	{"TCP_FASTOPEN_CONNECT", ipprotoTCP, 30},   // fast open on connect (connect is inet's)
	{"IP_TTL", ipprotoIP, 2},                   // hop limit
	{"IP_PKTINFO", ipprotoIP, 8},               // destination address of received datagrams (UDP servers)
	{"IP_MTU_DISCOVER", ipprotoIP, 10},         // path MTU discovery mode
	{"IP_RECVERR", ipprotoIP, 11},              // ICMP errors as messages (Go, QUIC)
	{"IP_RECVTTL", ipprotoIP, 12},              // hop limit of received datagrams
	{"IP_RECVTOS", ipprotoIP, 13},              // TOS of received datagrams
	{"IP_MTU", ipprotoIP, 14},                  // read-only path MTU
	{"IP_FREEBIND", ipprotoIP, 15},             // bind an address not (yet) configured: the socket's own address only
	{"IP_BIND_ADDRESS_NO_PORT", ipprotoIP, 24}, // defer port choice to connect
	{"IPV6_UNICAST_HOPS", ipprotoIPv6, 16},     // hop limit
	{"IPV6_MTU_DISCOVER", ipprotoIPv6, 23},     // path MTU discovery mode
	{"IPV6_MTU", ipprotoIPv6, 24},              // path MTU
	{"IPV6_RECVERR", ipprotoIPv6, 25},          // ICMPv6 errors as messages
	{"IPV6_V6ONLY", ipprotoIPv6, 26},           // dual-stack or not (Go sets it)
	{"IPV6_RECVPKTINFO", ipprotoIPv6, 49},      // destination address of received datagrams
	{"IPV6_RECVHOPLIMIT", ipprotoIPv6, 51},     // hop limit of received datagrams
	{"IPV6_DONTFRAG", ipprotoIPv6, 62},         // no fragmentation (QUIC)
	{"IPV6_RECVTCLASS", ipprotoIPv6, 66},       // traffic class of received datagrams
	{"IPV6_FREEBIND", ipprotoIPv6, 78},         // as IP_FREEBIND
	{"UDP_CORK", ipprotoUDP, 1},                // batching
	{"UDP_SEGMENT", ipprotoUDP, 103},           // GSO sends (QUIC, wireguard-go)
	{"UDP_GRO", ipprotoUDP, 104},               // GRO receives (QUIC, wireguard-go)
}

// inetReadSockopts may be read, not set, under inet and anet:
// OpenBSD lets inet read options it does not let it set. Reading them
// shows the socket's own configuration only. IP_HDRINCL and IP_OPTIONS
// (source routing) would change what is sent; SO_BINDTODEVICE and SO_MARK
// need CAP_NET_RAW or CAP_NET_ADMIN to set and would escape routing
// policy; SO_COOKIE has no setter.
var inetReadSockopts = []sockopt{
	{"IP_HDRINCL", ipprotoIP, 3},
	{"IP_OPTIONS", ipprotoIP, 4},
	{"SO_BINDTODEVICE", solSocket, 25},
	{"SO_MARK", solSocket, 36},
	{"SO_COOKIE", solSocket, 57},
}

// mcastSockopts are the multicast options mcast adds (with inet): joining
// and leaving groups, source filters and the sending interface, hop limit
// and loopback of multicast datagrams, as OpenBSD's mcast.
var mcastSockopts = []sockopt{
	{"IP_MULTICAST_IF", ipprotoIP, 32},
	{"IP_MULTICAST_TTL", ipprotoIP, 33},
	{"IP_MULTICAST_LOOP", ipprotoIP, 34},
	{"IP_ADD_MEMBERSHIP", ipprotoIP, 35},
	{"IP_DROP_MEMBERSHIP", ipprotoIP, 36},
	{"IP_UNBLOCK_SOURCE", ipprotoIP, 37},
	{"IP_BLOCK_SOURCE", ipprotoIP, 38},
	{"IP_ADD_SOURCE_MEMBERSHIP", ipprotoIP, 39},
	{"IP_DROP_SOURCE_MEMBERSHIP", ipprotoIP, 40},
	{"MCAST_JOIN_GROUP", ipprotoIP, 42},
	{"MCAST_BLOCK_SOURCE", ipprotoIP, 43},
	{"MCAST_UNBLOCK_SOURCE", ipprotoIP, 44},
	{"MCAST_LEAVE_GROUP", ipprotoIP, 45},
	{"MCAST_JOIN_SOURCE_GROUP", ipprotoIP, 46},
	{"MCAST_LEAVE_SOURCE_GROUP", ipprotoIP, 47},
	{"IP_MULTICAST_ALL", ipprotoIP, 49},
	{"IPV6_MULTICAST_IF", ipprotoIPv6, 17},
	{"IPV6_MULTICAST_HOPS", ipprotoIPv6, 18},
	{"IPV6_MULTICAST_LOOP", ipprotoIPv6, 19},
	{"IPV6_ADD_MEMBERSHIP", ipprotoIPv6, 20},
	{"IPV6_DROP_MEMBERSHIP", ipprotoIPv6, 21},
	{"IPV6_MULTICAST_ALL", ipprotoIPv6, 29},
	{"MCAST_JOIN_GROUP", ipprotoIPv6, 42},
	{"MCAST_BLOCK_SOURCE", ipprotoIPv6, 43},
	{"MCAST_UNBLOCK_SOURCE", ipprotoIPv6, 44},
	{"MCAST_LEAVE_GROUP", ipprotoIPv6, 45},
	{"MCAST_JOIN_SOURCE_GROUP", ipprotoIPv6, 46},
	{"MCAST_LEAVE_SOURCE_GROUP", ipprotoIPv6, 47},
}

// unixSockopts are the options unix adds: the peer's credentials, pidfd
// and security label (read; SO_PASS* ask for them with each message),
// wake-up thresholds, timeouts and whether it listens, as OpenBSD's unix
// (SO_PEERCRED).
var unixSockopts = []sockopt{
	{"SO_PASSCRED", solSocket, 16},
	{"SO_PEERCRED", solSocket, 17},
	{"SO_RCVLOWAT", solSocket, 18},
	{"SO_SNDLOWAT", solSocket, 19},
	{"SO_RCVTIMEO_OLD", solSocket, 20},
	{"SO_SNDTIMEO_OLD", solSocket, 21},
	{"SO_ACCEPTCONN", solSocket, 30},
	{"SO_PEERSEC", solSocket, 31},
	{"SO_PASSSEC", solSocket, 34},
	{"SO_RCVTIMEO_NEW", solSocket, 66},
	{"SO_SNDTIMEO_NEW", solSocket, 67},
	{"SO_PASSPIDFD", solSocket, 76},
	{"SO_PEERPIDFD", solSocket, 77},
}

// routeSockopts are the netlink options route adds: joining the route
// change notification groups (reading, as OpenBSD's route socket does) and
// how errors are acknowledged.
var routeSockopts = []sockopt{
	{"NETLINK_ADD_MEMBERSHIP", solNetlink, 1},
	{"NETLINK_DROP_MEMBERSHIP", solNetlink, 2},
	{"NETLINK_CAP_ACK", solNetlink, 10},
	{"NETLINK_EXT_ACK", solNetlink, 11},
	{"NETLINK_GET_STRICT_CHK", solNetlink, 12},
}

// ---------------------------------------------------------------------------
// ioctl requests.

// stdioIoctls work on any descriptor, as OpenBSD's stdio always allows
// FIONREAD, FIONBIO, FIOCLEX and FIONCLEX.
var stdioIoctls = []ioctlReq{
	{"FIONREAD", fionread}, // bytes ready to read
	{"FIONBIO", fionbio},   // non-blocking mode, as F_SETFL
	{"FIOCLEX", fioclex},   // close-on-exec, as F_SETFD
	{"FIONCLEX", fionclex}, // close-on-exec, as F_SETFD
	{"TCGETS", tcgets},     // read-only: isatty(3) in glibc and golang.org/x/term (OpenBSD: fcntl F_ISATTY)
}

var ttyIoctls = []ioctlReq{
	{"TCGETS", tcgets},
	{"TCSETS", tcsets},
	{"TCSETSW", tcsetsw},
	{"TCSETSF", tcsetsf},
	{"TCGETS2", tcgets2},
	{"TCSETS2", tcsets2},
	{"TCSETSW2", tcsetsw2},
	{"TCSETSF2", tcsetsf2},
	{"TCSBRK", tcsbrk},
	{"TCSBRKP", tcsbrkp},
	{"TIOCSBRK", tiocsbrk},
	{"TIOCCBRK", tioccbrk},
	{"TCXONC", tcxonc},
	{"TCFLSH", tcflsh},
	{"TIOCOUTQ", tiocoutq},
	{"TIOCGWINSZ", tiocgwinsz},
	{"TIOCSWINSZ", tiocswinsz},
	{"TIOCGPGRP", tiocgpgrp},
	{"TIOCGSID", tiocgsid},
	{"TIOCSCTTY", tiocsctty},
	{"TIOCNOTTY", tiocnotty},
	{"TIOCGPTN", tiocgptn},
	{"TIOCSPTLCK", tiocsptlck},
	{"TIOCGPTPEER", tiocgptpeer},
}

// ttyProcIoctls need proc as well as tty (as on OpenBSD).
var ttyProcIoctls = []ioctlReq{
	{"TIOCSPGRP", tiocspgrp},
}

// neverIoctls are requests no promise allows; the tests check it.
var neverIoctls = []ioctlReq{
	{"TIOCSTI", tiocsti},
	{"TIOCLINUX", tioclinux},
}

var inetIoctls = []ioctlReq{
	{"SIOCATMARK", siocatmark},
}

var routeIoctls = []ioctlReq{
	{"SIOCGIFNAME", siocgifname},
	{"SIOCGIFCONF", siocgifconf},
	{"SIOCGIFFLAGS", siocgifflags},
	{"SIOCGIFADDR", siocgifaddr},
	{"SIOCGIFDSTADDR", siocgifdstaddr},
	{"SIOCGIFBRDADDR", siocgifbrdaddr},
	{"SIOCGIFNETMASK", siocgifnetmask},
	{"SIOCGIFMTU", siocgifmtu},
	{"SIOCGIFHWADDR", siocgifhwaddr},
	{"SIOCGIFINDEX", siocgifindex},
}

// ---------------------------------------------------------------------------
// Sockets.

// inetSocketRules allows socket(AF_INET/AF_INET6, type, protocol) for the
// given (type, protocol) pairs; SOCK_NONBLOCK and SOCK_CLOEXEC may be or'ed
// into the type.
func inetSocketRules(pairs [][2]uint64, icmp bool) []Rule {
	var out []Rule
	for _, dom := range []uint64{afInet, afInet6} {
		ps := pairs
		if icmp {
			proto := uint64(ipprotoICMP)
			if dom == afInet6 {
				proto = ipprotoICMPv6
			}
			ps = append(append([][2]uint64(nil), pairs...), [2]uint64{sockDgram, proto})
		}
		for _, p := range ps {
			out = append(out, rule("socket", eq(0, dom), masked(1, sockTypeMask, p[0]), eq(2, p[1])))
		}
	}
	return out
}

var tcpUDP = [][2]uint64{
	{sockStream, 0}, {sockStream, ipprotoTCP},
	{sockDgram, 0}, {sockDgram, ipprotoUDP},
}

var tcpOnly = [][2]uint64{{sockStream, 0}, {sockStream, ipprotoTCP}}

// ---------------------------------------------------------------------------
// The table.

// buildTable returns the baseline rules and, for every promise, its rules.
// Only the tests and go generate call it; the package uses the same tables
// as generated into ztable.go.
func buildTable() (baseline []Rule, table [numPromises][]Rule) {
	baseline = join(
		calls("exit", "exit_group", "rt_sigreturn"),
		[]Rule{
			// Flags live in user memory BPF cannot read; ENOSYS makes glibc
			// and other runtimes fall back to clone and openat, which the
			// table does check.
			errnoRule("clone3", eNOSYS),
			errnoRule("openat2", eNOSYS),
			// Landlock's TCP port rules do not see MPTCP, which Go's
			// net.Listen tries first; failing it makes Go fall back to TCP.
			errnoRule("socket", ePROTONOSUPPORT, eq(2, ipprotoMPTCP)),
		},
		// Landlock can only narrow what the process may do, as seccomp(2)
		// (stdio) can: creating a ruleset and adding rules to it change
		// nothing until landlock_restrict_self, which adds a domain. So a
		// program's own Landlock use (go-landlock, a second pledgekit
		// pledge, the probe's ABI question) works under every pledge.
		calls("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"),
	)

	opens := openRules()

	table[Stdio] = join(
		// Memory, without PROT_EXEC.
		calls("brk", "munmap", "mremap", "madvise", "mincore", "msync",
			"mlock", "mlock2", "munlock", "mseal", "membarrier"),
		[]Rule{
			rule("mmap", none(2, 0xffffffff&^protReadWrite)),
			rule("mprotect", none(2, 0xffffffff&^protReadWrite)),
			rule("pkey_mprotect", none(2, 0xffffffff&^protReadWrite)),
		},
		// Threads, scheduling, futexes.
		calls("futex", "set_robust_list", "set_tid_address", "rseq",
			"sched_yield", "sched_getaffinity", "getcpu", "restart_syscall"),
		[]Rule{rule("clone", masked(0, cloneThreadNeeds|cloneThreadForbids, cloneThreadNeeds))},
		calls("arch_prctl"), // amd64 only: TLS set-up of C runtimes (glibc, musl)
		// Identity and limits, read-only.
		calls("getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
			"getegid", "getresuid", "getresgid", "getgroups", "getpgid",
			"getpgrp", "getsid", "getrlimit", "getrusage", "times", "capget",
			"uname", "sysinfo", "umask"),
		[]Rule{rule("prlimit64", eq64(2, 0))}, // read a limit; setting one needs proc or id
		// Time.
		calls("clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
			"gettimeofday", "time", "getitimer", "setitimer", "alarm", "pause",
			"timer_create", "timer_settime", "timer_gettime",
			"timer_getoverrun", "timer_delete", "timerfd_create",
			"timerfd_settime", "timerfd_gettime"),
		// Signals, as on OpenBSD: to the caller itself and its own process
		// group; any other process needs proc. The pid is bound when the
		// filter is built (Cond.Self). tgkill(getpid(), tid) is how the Go
		// runtime preempts its threads and glibc's raise and pthread_kill
		// signal a thread; kill(getpid()) is Go's raiseproc and a shell's
		// kill $$. tkill names a thread without its process, so only the
		// main thread (tid == pid: musl's raise there) is provably ours;
		// tkill of any thread with signal 33 (SIGRTMIN+1) stays, because
		// libpsx (go-landlock in cgo builds, so a commit of unveils under
		// a pledge) makes every thread run a system call that way. That
		// is a hole (doc.go, SECURITY.md): a process that does not handle
		// signal 33 dies of it (glibc and Go programs handle it).
		calls("rt_sigaction", "rt_sigprocmask", "rt_sigsuspend",
			"rt_sigpending", "rt_sigtimedwait", "sigaltstack", "signalfd",
			"signalfd4"),
		[]Rule{
			rule("kill", eq(0, sigKillPgrp)),
			rule("kill", self(0)),
			rule("tgkill", self(0)),
			rule("tkill", self(0)),
			rule("tkill", eq(1, sigPsx)),
		},
		// I/O on descriptors the process already holds.
		calls("read", "readv", "pread64", "preadv", "preadv2", "write",
			"writev", "pwrite64", "pwritev", "pwritev2", "lseek", "close",
			"close_range", "dup", "dup2", "dup3", "fstat", "fsync",
			"fdatasync", "ftruncate", "fallocate", "sync_file_range",
			"fadvise64", "readahead", "sendfile", "splice", "tee",
			"vmsplice", "copy_file_range", "fchdir", "getrandom"),
		// fstat as C libraries make it: glibc 2.33+ and musl call
		// newfstatat(fd, "", AT_EMPTY_PATH), and statx likewise. seccomp
		// cannot see the path, so this requires AT_EMPTY_PATH and a
		// descriptor (dirfd >= 0, never AT_FDCWD); a path relative to a
		// directory descriptor, or an absolute one, still reaches metadata
		// (never contents) of other files without rpath (StatByPath; see
		// doc.go).
		[]Rule{
			rule("newfstatat", none(0, fdSignBit), masked(3, atEmptyPath, atEmptyPath)),
			rule("statx", none(0, fdSignBit), masked(2, atEmptyPath, atEmptyPath)),
		},
		// Polling, pipes, events.
		calls("poll", "ppoll", "select", "pselect6", "epoll_create",
			"epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait",
			"epoll_pwait2", "eventfd", "eventfd2", "pipe", "pipe2"),
		// Sockets already held: no new sockets (except socketpair), no
		// addressed sends.
		calls("recvfrom", "shutdown", "getsockname", "getpeername"),
		[]Rule{
			rule("sendto", eq64(4, 0)),
			rule("socketpair", eq(0, afUnix)),
		},
		sockopts(stdioSockopts),
		// SO_SNDBUFFORCE/SO_RCVBUFFORCE exceed the system's buffer limits
		// and need CAP_NET_ADMIN; OpenBSD has no such thing. They fail
		// with EPERM, as for any unprivileged caller, so programs
		// (wireguard-go) fall back to SO_SNDBUF/SO_RCVBUF.
		[]Rule{
			errnoRule("setsockopt", ePERM, eq(1, solSocket), eq(2, soSndbufforce)),
			errnoRule("setsockopt", ePERM, eq(1, solSocket), eq(2, soRcvbufforce)),
		},
		// Children.
		calls("wait4", "waitid"),
		// fcntl as OpenBSD's stdio has it: everything but locks (flock) and
		// F_SETOWN/F_SETSIG (proc, they aim signals). Each command:
		// F_DUPFD, F_DUPFD_CLOEXEC: dup; F_GETFD/F_SETFD: close-on-exec;
		// F_GETFL/F_SETFL: O_NONBLOCK and O_APPEND (Go's poller);
		// F_GETOWN, F_GETOWN_EX, F_GETSIG: read where signals go;
		// F_GETPIPE_SZ: read a pipe's size. F_SETPIPE_SZ, which OpenBSD
		// has nothing like (it takes kernel memory up to
		// /proc/sys/fs/pipe-max-size), fails with EPERM, what the kernel
		// answers an unprivileged caller above its limits.
		oneOf("fcntl", 1, []uint64{fDupfd, fGetfd, fSetfd, fGetfl, fSetfl,
			fDupfdCloexec, fGetown, fGetownEx, fGetsig, fGetpipeSz}),
		[]Rule{errnoRule("fcntl", ePERM, eq(1, fSetpipeSz))},
		ioctls(stdioIoctls),
		// prctl: PR_SET_VMA (naming anonymous memory; Go's runtime),
		// PR_SET_NAME/PR_GET_NAME (thread names, OpenBSD's setthrname),
		// PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAPBSET_DROP and
		// PR_SET_DUMPABLE with 0 only give up rights (gpg-agent and
		// ssh-agent make themselves undumpable; 1 would undo a 0 and
		// needs proc or id on no system, so it is refused); the PR_GET_*
		// and PR_CAPBSET_READ only read the caller's own state (pledging
		// again asks PR_GET_SECCOMP and PR_GET_NO_NEW_PRIVS).
		oneOf("prctl", 0, []uint64{prSetVMA, prSetName, prGetName,
			prSetNoNewPrivs, prGetNoNewPrivs, prGetSeccomp, prSetSeccomp,
			prCapbsetRead, prCapbsetDrop, prGetDumpable, prGetPdeathsig,
			prGetSecurebits, prGetChildSubreaper}),
		[]Rule{rule("prctl", eq(0, prSetDumpable), eq64(1, 0))},
		// Further restricting oneself is always allowed (a new filter can
		// only narrow what earlier filters allow), as pledge(2) is on OpenBSD.
		calls("seccomp"),
	)

	table[Rpath] = join(
		opens[Rpath],
		calls("stat", "lstat", "newfstatat", "statx", "access", "faccessat",
			"faccessat2", "readlink", "readlinkat", "getdents", "getdents64",
			"getcwd", "chdir", "statfs", "fstatfs",
			"getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
			"flistxattr", "getxattrat", "listxattrat",
			"inotify_init", "inotify_init1", "inotify_add_watch",
			"inotify_rm_watch"),
	)

	table[Wpath] = join(
		opens[Wpath],
		calls("truncate"),
	)

	table[Cpath] = join(
		opens[Cpath],
		calls("rename", "renameat", "link", "linkat",
			"symlink", "symlinkat", "unlink", "unlinkat", "rmdir", "mkdir",
			"mkdirat"),
		// renameat2 without RENAME_WHITEOUT, which leaves a 0:0 character
		// device (an overlayfs whiteout) in the old name's place: no
		// promise makes device nodes. RENAME_NOREPLACE and
		// RENAME_EXCHANGE only rename.
		[]Rule{rule("renameat2", none(4, renameWhiteout))},
	)

	// dpath makes FIFOs (and sockets and regular files, which the kernel
	// also makes with mknod), never device nodes: a block device of a disk
	// is raw access to every file on it, and root would get one with
	// CAP_MKNOD. The mode (a umode_t: the kernel reads 16 bits) must have
	// one of these types and no setuid, setgid or sticky bit; S_IFCHR,
	// S_IFBLK, S_IFDIR and the undefined types are refused.
	table[Dpath] = join(
		mknodTypes("mknod", 1),
		mknodTypes("mknodat", 2),
	)

	inetCommon := join(
		calls("bind", "listen", "accept", "accept4", "getsockname",
			"getpeername"),
		sockopts(inetSockopts),
		getsockopts(inetReadSockopts),
		ioctls(inetIoctls),
	)
	table[Inet] = join(
		inetSocketRules(tcpUDP, true),
		inetCommon,
		calls("connect", "sendto", "sendmsg", "sendmmsg", "recvmsg", "recvmmsg"),
	)
	// anet (Cosmopolitan): serve TCP without making connections: no
	// connect, no UDP, and no addressed sendto (TCP fast open connects).
	table[Anet] = join(
		inetSocketRules(tcpOnly, false),
		inetCommon,
	)
	table[Mcast] = requiring(sockopts(mcastSockopts), Inet)

	table[Fattr] = join(
		[]Rule{
			rule("chmod", none(1, modeSpecial)),
			rule("fchmod", none(1, modeSpecial)),
			rule("fchmodat", none(2, modeSpecial)),
			rule("fchmodat2", none(2, modeSpecial)),
		},
		calls("utime", "utimes", "futimesat", "utimensat"),
		// Extended attributes are not fattr's, as on OpenBSD (which has
		// none): seccomp cannot read the attribute's name, and root would
		// set security.capability (file capabilities, which a later exec
		// outside the sandbox honours), security.* or trusted.*. Under
		// fattr they fail with EOPNOTSUPP, so copying programs carry on as
		// on a file system without xattrs; without fattr the penalty
		// applies. No promise allows them.
		errnos(eOPNOTSUPP, "setxattr", "lsetxattr", "fsetxattr", "removexattr",
			"lremovexattr", "fremovexattr", "setxattrat", "removexattrat"),
	)
	table[Chown] = calls("chown", "fchown", "lchown", "fchownat")

	table[Flock] = join(
		calls("flock"),
		oneOf("fcntl", 1, []uint64{fGetlk, fSetlk, fSetlkw, fOFDGetlk, fOFDSetlk, fOFDSetlkw}),
	)

	table[Unix] = join(
		[]Rule{
			rule("socket", eq(0, afUnix), masked(1, sockTypeMask, sockStream), eq(2, 0)),
			rule("socket", eq(0, afUnix), masked(1, sockTypeMask, sockDgram), eq(2, 0)),
			rule("socket", eq(0, afUnix), masked(1, sockTypeMask, sockSeqpacket), eq(2, 0)),
		},
		calls("bind", "listen", "accept", "accept4", "connect", "sendto",
			"getsockname", "getpeername"),
		sockopts(unixSockopts),
	)

	table[DNS] = join(
		inetSocketRules(tcpUDP, false),
		// glibc's resolver sends the A and AAAA queries with sendmmsg.
		calls("connect", "bind", "sendto", "sendmsg", "sendmmsg",
			"getsockname", "getpeername"),
		sockopts(inetSockopts),
	)

	table[Sendfd] = calls("sendmsg", "sendmmsg")
	table[Recvfd] = calls("recvmsg", "recvmmsg")

	table[TTY] = join(
		ioctls(ttyIoctls),
		requiring(ioctls(ttyProcIoctls), Proc),
	)

	table[Proc] = join(
		// Signals to any process (stdio has the caller's own).
		calls("fork", "vfork", "kill", "tgkill", "tkill", "rt_sigqueueinfo",
			"rt_tgsigqueueinfo", "pidfd_open", "pidfd_send_signal",
			"setpgid", "setsid", "getpriority", "setpriority", "setrlimit",
			"prlimit64", "sched_getparam", "sched_setparam",
			"sched_getscheduler", "sched_setscheduler",
			"sched_get_priority_max", "sched_get_priority_min",
			"sched_rr_get_interval", "sched_setaffinity", "sched_getattr",
			"sched_setattr", "ioprio_get", "ioprio_set"),
		// A new process, never in new namespaces or traced.
		[]Rule{rule("clone", none(0, cloneProcForbids))},
		oneOf("fcntl", 1, []uint64{fSetown, fSetownEx, fSetsig}),
		oneOf("prctl", 0, []uint64{prSetPdeathsig, prSetChildSubreaper}),
	)

	table[Exec] = join(
		calls("execve", "execveat"),
		// Lets an exec'd dynamically linked program (which runs under the
		// same filter) map its libraries: file-backed, PROT_EXEC without
		// PROT_WRITE. Anonymous executable memory still needs prot_exec.
		[]Rule{rule("mmap", masked(2, 0xffffffff&^protRead, protExec), none(3, mapAnonymous))},
		// Go's syscall.Exec and os/exec restore the soft RLIMIT_NOFILE the
		// runtime raised at start-up (prlimit64(0, RLIMIT_NOFILE, &orig,
		// NULL)) right before execve whenever soft < hard. Only the own
		// process and only that limit; raising the hard limit still needs
		// CAP_SYS_RESOURCE.
		[]Rule{rule("prlimit64", eq(0, 0), eq(1, rlimitNofile))},
	)

	table[ProtExec] = calls("mmap", "mprotect", "pkey_mprotect")

	table[Settime] = calls("settimeofday", "clock_settime", "clock_adjtime", "adjtimex")

	table[ID] = join(
		calls("setuid", "setgid", "setreuid", "setregid", "setresuid",
			"setresgid", "setfsuid", "setfsgid", "setgroups", "capset",
			"setrlimit", "prlimit64", "getpriority", "setpriority"),
		oneOf("prctl", 0, []uint64{prSetKeepcaps, prCapAmbient, prSetSecurebits}),
	)

	table[Route] = join(
		[]Rule{
			rule("socket", eq(0, afNetlink), masked(1, sockTypeMask, sockRaw), eq(2, netlinkRoute)),
			rule("socket", eq(0, afNetlink), masked(1, sockTypeMask, sockDgram), eq(2, netlinkRoute)),
		},
		calls("bind", "sendto", "getsockname"),
		sockopts(routeSockopts),
		ioctls(routeIoctls),
	)

	// Promises with no system calls on Linux: error (a penalty, not a
	// permission), getpw and vminfo (file access through rpath plus
	// ImpliedPaths), unveil (its Landlock calls are in the baseline), and
	// the OpenBSD-only ones (see linux in describe.go).
	return baseline, table
}
