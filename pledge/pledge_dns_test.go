//go:build linux

package pledge_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	pkreport "github.com/pledgekit/pledgekit/report"
)

// sockTo makes a socket of type typ and connects (TCP) or sends (UDP) to
// 127.0.0.1:port with raw system calls (no MPTCP, no resolver).
func sockTo(typ, port int) error {
	fd, err := syscall.Socket(syscall.AF_INET, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(fd)
	sa := &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}
	if typ == syscall.SOCK_DGRAM {
		return syscall.Sendto(fd, []byte("x"), 0, sa)
	}
	return syscall.Connect(fd, sa)
}

func bindTCP() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	return syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
}

// "dns" without "inet" reaches port 53 only, as on OpenBSD: the attack is
// a TCP connect to a server on another port (curl under "stdio rpath dns"
// reached any HTTP server). TCP is pinned from Landlock ABI 4, UDP from
// ABI 10; below, the report says what reaches any port.
func TestDNSWithoutInetPinnedToPort53(t *testing.T) {
	pr := probe.Get()
	if !pr.Seccomp {
		t.Skip("needs seccomp")
	}
	r := testproc.Run(t, "dns-pin", func() {
		l, err := net.Listen("tcp4", "127.0.0.1:0") // a server on another port, made before the pledge
		if err != nil {
			testproc.Fatalf("listen: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio dns", Penalty: pledge.PenaltyEPERM})
		if err != nil {
			testproc.Fatalf("apply: %v", err)
		}
		var pin pkreport.Item
		for _, it := range rep.Items {
			if strings.HasPrefix(it.What, "dns without inet") {
				pin = it
			}
		}
		abi := rep.LandlockABI
		tcpErr, tcp53 := sockTo(syscall.SOCK_STREAM, port), sockTo(syscall.SOCK_STREAM, 53)
		udpErr, udp53 := sockTo(syscall.SOCK_DGRAM, port), sockTo(syscall.SOCK_DGRAM, 53)
		if tcp53 != nil && !errors.Is(tcp53, syscall.ECONNREFUSED) || udp53 != nil {
			testproc.Fatalf("port 53 refused: tcp %v, udp %v", tcp53, udp53)
		}
		switch {
		case abi < 4:
			if pin.Status != pkreport.Dropped || tcpErr != nil {
				testproc.Fatalf("ABI %d: pin item %+v, tcp connect %v: want dropped and reached", abi, pin, tcpErr)
			}
			fmt.Println("dropped as reported")
			return
		case !errors.Is(tcpErr, syscall.EACCES):
			testproc.Fatalf("tcp connect to port %d under dns without inet: want EACCES, got %v", port, tcpErr)
		case !errors.Is(bindTCP(), syscall.EACCES):
			testproc.Fatalf("tcp bind under dns without inet: want EACCES, got %v", bindTCP())
		case abi < 10 && (pin.Status != pkreport.Partial || !strings.Contains(pin.Reason, "UDP reaches any port") || udpErr != nil):
			testproc.Fatalf("ABI %d: pin item %+v, udp send %v: want partial, UDP unrestricted", abi, pin, udpErr)
		case abi >= 10 && (pin.Status != pkreport.Enforced || !errors.Is(udpErr, syscall.EACCES)):
			testproc.Fatalf("ABI %d: pin item %+v, udp send to port %d: %v, want enforced and EACCES", abi, pin, port, udpErr)
		}
		// Another pledge adds no second layer.
		rep, err = pledge.Apply(pledge.Options{Promises: "stdio", Penalty: pledge.PenaltyEPERM})
		if err != nil || rep.Landlock {
			testproc.Fatalf("second pledge: %v (landlock %v)", err, rep != nil && rep.Landlock)
		}
		fmt.Println("pinned")
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	t.Log(strings.TrimSpace(r.Stdout))
}

// With "inet" nothing is pinned: no layer, any port.
func TestDNSWithInetNotPinned(t *testing.T) {
	if !probe.Get().Seccomp {
		t.Skip("needs seccomp")
	}
	r := testproc.Run(t, "dns-inet", func() {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			testproc.Fatalf("listen: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio dns inet", Penalty: pledge.PenaltyEPERM})
		if err != nil || rep.Landlock {
			testproc.Fatalf("apply: %v (landlock %v)", err, rep != nil && rep.Landlock)
		}
		if err := sockTo(syscall.SOCK_STREAM, l.Addr().(*net.TCPAddr).Port); err != nil {
			testproc.Fatalf("tcp connect under inet: %v", err)
		}
		os.Stdout.WriteString("reached\n")
	})
	if !r.Exited(0) || !strings.Contains(r.Stdout, "reached") {
		t.Fatal(r)
	}
}
