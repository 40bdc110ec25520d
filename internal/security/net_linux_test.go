package security

import (
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

// freePort returns a TCP port nothing listens on right now.
func freePort() int {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	must("listen", err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// bindTCP binds a socket of protocol proto (0 or IPPROTO_MPTCP) to
// 127.0.0.1:port and returns the errno.
func bindTCP(proto, port int) syscall.Errno {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return err.(syscall.Errno)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return err.(syscall.Errno)
	}
	return 0
}

// reportItem finds the report item whose What starts with prefix.
func reportItem(rep *report.Report, layer report.Layer, prefix string) *report.Item {
	for i := range rep.Items {
		if rep.Items[i].Layer == layer && strings.HasPrefix(rep.Items[i].What, prefix) {
			return &rep.Items[i]
		}
	}
	return nil
}

// Landlock's TCP port rules apply to TCP sockets; an MPTCP socket is
// another protocol and is not checked, and Go's net.Listen asks for MPTCP
// first since Go 1.24. Alone, unveil cannot close this: the report must
// say so. With pledge, the filter answers MPTCP sockets with
// EPROTONOSUPPORT and Go falls back to TCP, which Landlock checks.
func TestMPTCPAgainstLandlockTCP(t *testing.T) {
	abi := landlockABI(t)
	t.Run("unveil alone", func(t *testing.T) {
		r := testproc.Run(t, "mptcp", func() {
			allowed, other := freePort(), freePort()
			say("mptcp unfiltered: %s", errnoName(bindTCP(unix.IPPROTO_MPTCP, other)))
			rep, err := unveil.New().BindTCP(uint16(allowed)).Commit()
			must("commit", err)
			it := reportItem(rep, report.LayerLandlockNet, "tcp bind")
			if it == nil {
				testproc.Fatalf("no tcp bind item in the report:\n%s", rep)
			}
			say("report: %s", it.Status)
			if strings.Contains(it.Reason, "MPTCP") {
				say("report names MPTCP")
			}
			say("tcp allowed port: %s", errnoName(bindTCP(0, allowed)))
			say("tcp other port: %s", errnoName(bindTCP(0, other)))
			say("mptcp other port: %s", errnoName(bindTCP(unix.IPPROTO_MPTCP, other)))
		})
		if !r.Exited(0) {
			t.Fatal(r)
		}
		if abi < 4 {
			wantLines(t, r, "report: dropped", "tcp other port: success")
			return
		}
		wantLines(t, r, "tcp allowed port: success", "tcp other port: EACCES")
		mptcpWorks := strings.Contains(r.Stdout, "mptcp unfiltered: success\n")
		if strings.Contains(r.Stdout, "mptcp other port: success\n") {
			// The kernel cannot deny it: the report must not claim it does.
			wantLines(t, r, "report: partial", "report names MPTCP")
			t.Logf("Landlock does not restrict MPTCP on this kernel; the report says so")
		} else if mptcpWorks {
			t.Logf("Landlock restricts MPTCP on this kernel: %s", r.Stdout)
		}
	})
	t.Run("with pledge", func(t *testing.T) {
		r := testproc.Run(t, "mptcp", func() {
			allowed, other := freePort(), freePort()
			_, err := unveil.New().BindTCP(uint16(allowed)).Commit()
			must("commit", err)
			apply("stdio inet", pledge.PenaltyKill)
			say("mptcp socket: %s", errnoName(raw(unix.SYS_SOCKET, true, unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_MPTCP)))
			say("mptcp socket high bits: %s", errnoName(raw(unix.SYS_SOCKET, true, unix.AF_INET6|hi, unix.SOCK_STREAM, unix.IPPROTO_MPTCP|hi)))
			// What Go does: try MPTCP, fall back to TCP.
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(other))
			say("listen other port: %s", errnoOf(err))
			if l != nil {
				l.Close()
			}
			l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(allowed))
			say("listen allowed port: %s", errnoOf(err))
			if l != nil {
				l.Close()
			}
		})
		wantLines(t, r, "mptcp socket: EPROTONOSUPPORT", "mptcp socket high bits: EPROTONOSUPPORT", "listen allowed port: success")
		if abi >= 4 {
			wantLines(t, r, "listen other port: EACCES")
		} else {
			wantLines(t, r, "listen other port: success")
		}
	})
}

// Sockets of families and protocols no promise needs: packet sockets and
// raw IP (sniffing and forging packets as root), exotic protocols with a
// record of kernel bugs, and netlink families other than NETLINK_ROUTE.
// Each is attempted under inet (or everything) and must end the process.
func TestSocketFamilies(t *testing.T) {
	cases := []struct {
		name, promises     string
		domain, typ, proto uintptr
	}{
		{"AF_PACKET raw under inet", "stdio inet", unix.AF_PACKET, unix.SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */},
		{"AF_PACKET dgram under everything", allLinux, unix.AF_PACKET, unix.SOCK_DGRAM, 0x0300},
		{"SOCK_PACKET under inet", "stdio inet", unix.AF_INET, unix.SOCK_PACKET, 0x0300},
		{"raw IP under inet", "stdio inet", unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW},
		{"raw ICMP under inet", "stdio inet", unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_ICMP},
		{"raw ICMPv6 under everything", allLinux, unix.AF_INET6, unix.SOCK_RAW, unix.IPPROTO_ICMPV6},
		{"raw TCP type under inet", "stdio inet", unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP},
		{"SCTP under everything", allLinux, unix.AF_INET, unix.SOCK_STREAM, unix.IPPROTO_SCTP},
		{"UDP-Lite under everything", allLinux, unix.AF_INET6, unix.SOCK_DGRAM, unix.IPPROTO_UDPLITE},
		{"seqpacket under inet", "stdio inet", unix.AF_INET, unix.SOCK_SEQPACKET, 0},
		{"AF_ALG under everything", allLinux, unix.AF_ALG, unix.SOCK_SEQPACKET, 0},
		{"AF_VSOCK under everything", allLinux, unix.AF_VSOCK, unix.SOCK_STREAM, 0},
		{"AF_KEY under everything", allLinux, unix.AF_KEY, unix.SOCK_RAW, 2},
		{"AF_XDP under everything", allLinux, unix.AF_XDP, unix.SOCK_RAW, 0},
		{"AF_BLUETOOTH under everything", allLinux, unix.AF_BLUETOOTH, unix.SOCK_RAW, 1},
		{"AF_UNIX under inet", "stdio inet", unix.AF_UNIX, unix.SOCK_STREAM, 0},
		{"netlink route under unix", "stdio unix", unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_ROUTE},
		{"netlink route under inet", "stdio inet dns", unix.AF_NETLINK, unix.SOCK_DGRAM, unix.NETLINK_ROUTE},
		{"netlink audit under everything", allLinux, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_AUDIT},
		{"netlink sock_diag under everything", allLinux, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_SOCK_DIAG},
		{"netlink uevent under everything", allLinux, unix.AF_NETLINK, unix.SOCK_DGRAM, unix.NETLINK_KOBJECT_UEVENT},
		{"netlink netfilter under everything", allLinux, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_NETFILTER},
		{"netlink generic under everything", allLinux, unix.AF_NETLINK, unix.SOCK_RAW, unix.NETLINK_GENERIC},
		{"socketpair netlink under everything", allLinux, 0, 0, 0}, // socketpair(AF_NETLINK)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := testproc.Run(t, "family", func() {
				call := func() syscall.Errno {
					if c.domain == 0 {
						var sv [2]int32
						return raw(unix.SYS_SOCKETPAIR, false, unix.AF_NETLINK, unix.SOCK_RAW, 0, uintptr(unsafe.Pointer(&sv)))
					}
					return raw(unix.SYS_SOCKET, true, c.domain, c.typ|unix.SOCK_CLOEXEC, c.proto)
				}
				say("unfiltered: %s", errnoName(call()))
				apply(c.promises, pledge.PenaltyKill)
				say("survived: %s", errnoName(call()))
			})
			wantKilled(t, r)
			t.Logf("kernel without the filter: %s", strings.SplitN(r.Stdout, "\n", 2)[0])
		})
	}
}

// route reads interface configuration; it never changes it.
func TestRouteIoctlsReadOnly(t *testing.T) {
	for _, req := range []struct {
		name string
		nr   uintptr
	}{{"SIOCSIFFLAGS", unix.SIOCSIFFLAGS}, {"SIOCSIFADDR", unix.SIOCSIFADDR}, {"SIOCSIFMTU", unix.SIOCSIFMTU}, {"SIOCSIFNAME", unix.SIOCSIFNAME}, {"SIOCADDRT", unix.SIOCADDRT}} {
		t.Run(req.name, func(t *testing.T) {
			r := testproc.Run(t, "ioctl", func() {
				fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
				must("socket", err)
				apply("stdio route inet", pledge.PenaltyKill)
				var ifr [40]byte
				copy(ifr[:], "lo")
				if e := raw(unix.SYS_IOCTL, false, uintptr(fd), unix.SIOCGIFFLAGS, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
					testproc.Fatalf("SIOCGIFFLAGS under route: %v", e)
				}
				// Write back what was read: harmless if it got through.
				say("survived: %s", errnoName(raw(unix.SYS_IOCTL, false, uintptr(fd), req.nr, uintptr(unsafe.Pointer(&ifr[0])))))
			})
			wantKilled(t, r)
		})
	}
}

// Landlock scopes (ABI 6): a sandboxed process may not connect to abstract
// unix sockets, or send signals, outside its sandbox. Abstract sockets
// have no path, so unveil's path rules never covered them.
func TestScopes(t *testing.T) {
	abi := landlockABI(t)
	t.Run("abstract unix socket", func(t *testing.T) {
		name := "@pledgekit-security-" + strconv.Itoa(os.Getpid())
		if !testproc.InChild() {
			l, err := net.Listen("unix", name)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
		} else {
			name = os.Getenv("PLEDGEKIT_SECURITY_SOCK")
		}
		r := testproc.Run(t, "abstract", func() {
			rep, err := unveil.New().Scope(unveil.ScopeAbstractUnix).Commit()
			must("commit", err)
			say("report: %s", reportItemStatus(rep, report.LayerLandlockScope))
			apply("stdio unix", pledge.PenaltyEPERM)
			c, err := net.Dial("unix", name)
			say("connect: %s", errnoOf(err))
			if c != nil {
				c.Close()
			}
		}, testproc.WithEnv("PLEDGEKIT_SECURITY_SOCK="+name))
		if abi < 6 {
			wantLines(t, r, "report: dropped", "connect: success")
			return
		}
		wantLines(t, r, "connect: EPERM")
		wantScopeReported(t, r)
	})
	t.Run("signal", func(t *testing.T) {
		var sibling int
		if !testproc.InChild() {
			cmd, _ := startSibling(t)
			sibling = cmd.Process.Pid
		} else {
			sibling, _ = strconv.Atoi(os.Getenv("PLEDGEKIT_SECURITY_SIBLING"))
		}
		r := testproc.Run(t, "signal", func() {
			rep, err := unveil.New().Scope(unveil.ScopeSignal).Commit()
			must("commit", err)
			say("report: %s", reportItemStatus(rep, report.LayerLandlockScope))
			apply("stdio proc", pledge.PenaltyEPERM)
			say("kill sibling: %s", errnoName(raw(unix.SYS_KILL, false, uintptr(sibling), 0)))
		}, testproc.WithEnv("PLEDGEKIT_SECURITY_SIBLING="+strconv.Itoa(sibling)))
		if abi < 6 {
			wantLines(t, r, "report: dropped", "kill sibling: success")
			return
		}
		wantLines(t, r, "kill sibling: EPERM")
		wantScopeReported(t, r)
	})
}

// wantScopeReported accepts "enforced" and "partial" (below ABI 8 each
// thread has its own domain, which makes scopes stricter than asked).
func wantScopeReported(t *testing.T, r *testproc.Result) {
	t.Helper()
	if !strings.Contains(r.Stdout, "report: enforced\n") && !strings.Contains(r.Stdout, "report: partial\n") {
		t.Fatalf("the report does not say the scope is in force:\n%s", r)
	}
}

// reportItemStatus is the status of the first item of a layer ("none").
func reportItemStatus(rep *report.Report, layer report.Layer) report.Status {
	for _, it := range rep.Items {
		if it.Layer == layer {
			return it.Status
		}
	}
	return "none"
}
