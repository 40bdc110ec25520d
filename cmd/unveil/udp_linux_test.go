//go:build linux

package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
)

const udpHelperEnv = "PLEDGEKIT_UNVEIL_UDP_HELPER"

// TestHelperUDP is not a test: run under unveil by the tests below, it
// sends one datagram to each unix socket path and one UDP datagram to
// 127.0.0.1 at each port in its environment
// (raw system calls: no resolver, no MPTCP) and binds one UDP socket to
// port 0, printing each errno.
func TestHelperUDP(t *testing.T) {
	ports := os.Getenv(udpHelperEnv)
	if ports == "" {
		t.Skip("helper process for the UDP tests")
	}
	for _, p := range strings.Split(ports, ",") {
		if strings.HasPrefix(p, "/") { // a unix datagram socket by path
			fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM, 0)
			if err == nil {
				err = syscall.Sendto(fd, []byte("ping"), 0, &syscall.SockaddrUnix{Name: p})
			}
			fmt.Printf("send %s: %v\n", p, err)
			continue
		}
		var port int
		fmt.Sscan(p, &port)
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
		if err == nil {
			err = syscall.Sendto(fd, []byte("ping"), 0, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}})
		}
		fmt.Printf("send %d: %v\n", port, err)
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err == nil {
		err = syscall.Bind(fd, &syscall.SockaddrInet4{Port: 0, Addr: [4]byte{127, 0, 0, 1}})
	}
	fmt.Printf("bind 0: %v\n", err)
	os.Exit(0)
}

func udpListen(t *testing.T) (*net.UDPConn, int) {
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().(*net.UDPAddr).Port
}

// --udp-connect and --udp-bind restrict UDP from Landlock ABI 10: a
// datagram to a port not listed is refused (EACCES), one to a listed
// port arrives. The first send of an unbound socket binds it to a
// kernel-chosen port, which Landlock checks as a bind to port 0: with
// --udp-bind 0 it works, with only other ports listed it is refused too.
// Below ABI 10 the report says the rules are dropped, and UDP reaches
// every port.
func TestUDPFlags(t *testing.T) {
	needKernel(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	_, allowed := udpListen(t)
	_, other := udpListen(t)
	run := func(bind string) result {
		return unveil(t, "--report", "--env", fmt.Sprintf("%s=%d,%d", udpHelperEnv, allowed, other), "-p", "stdio rpath inet",
			"--udp-connect", fmt.Sprint(allowed), "--udp-bind", bind, "--", exe, "-test.run=^TestHelperUDP$")
	}
	line := func(what string, port int, res string) string { return fmt.Sprintf("%s %d: %s", what, port, res) }
	r := run("0")
	wantOK(t, r)
	if !strings.Contains(r.stdout, line("send", allowed, "<nil>")) || !strings.Contains(r.stdout, line("bind", 0, "<nil>")) {
		t.Fatalf("datagram to the allowed port, bind 0: want both to work\n%v", r)
	}
	if probe.Get().LandlockABI < 10 {
		if !strings.Contains(r.stdout, line("send", other, "<nil>")) || !strings.Contains(r.stderr, "udp connect/send port rules") || !strings.Contains(r.stderr, "needs 10") {
			t.Fatalf("ABI %d: want UDP unrestricted and the rules reported dropped\n%v", probe.Get().LandlockABI, r)
		}
		return
	}
	if !strings.Contains(r.stdout, line("send", other, "permission denied")) {
		t.Fatalf("want the datagram to another port refused (EACCES)\n%v", r)
	}
	r = run("5353")
	wantOK(t, r)
	if !strings.Contains(r.stdout, line("send", allowed, "permission denied")) || !strings.Contains(r.stdout, line("bind", 0, "permission denied")) {
		t.Fatalf("--udp-bind 5353: want bind 0 and the implicit bind of a first send refused (EACCES)\n%v", r)
	}
}

// "dns" without "inet" reaches port 53 only (TCP from ABI 4, UDP from
// ABI 10), as on OpenBSD; before, curl under "stdio rpath dns" reached
// any HTTP server.
func TestDNSWithoutInetPinned(t *testing.T) {
	needKernel(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "reached") }))
	defer srv.Close()
	_, other := udpListen(t)
	abi := probe.Get().LandlockABI
	if curl, err := exec.LookPath("curl"); err == nil {
		r := unveil(t, "-p", "stdio rpath dns", "--", curl, "-sS", srv.URL)
		if reached := strings.Contains(r.stdout, "reached"); reached != (abi < 4) {
			t.Errorf("ABI %d: curl under dns without inet reached %s: %v\n%v", abi, srv.URL, reached, r)
		}
	}
	r := unveil(t, "--report", "--env", fmt.Sprintf("%s=53,%d", udpHelperEnv, other), "-p", "stdio rpath dns", "--", exe, "-test.run=^TestHelperUDP$")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "send 53: <nil>") {
		t.Fatalf("datagram to port 53 refused\n%v", r)
	}
	want := map[bool]string{true: "permission denied", false: "<nil>"}[abi >= 10]
	if !strings.Contains(r.stdout, fmt.Sprintf("send %d: %s", other, want)) || !strings.Contains(r.stdout, "bind 0: <nil>") {
		t.Fatalf("ABI %d: datagram to port %d: want %s; bind 0 allowed\n%v", abi, other, want, r)
	}
	if !strings.Contains(r.stderr, "dns without inet: port 53 only") {
		t.Fatalf("no report item for the pin\n%v", r)
	}
}

// -v and unix sockets by path: from Landlock ABI 9 a pathname unix socket
// is reachable only beneath a path unveiled with w (as on OpenBSD); one
// outside the veil is refused (EACCES). Below ABI 9 both are reached and
// the report says sockets are not restricted by path.
func TestUnixSocketsUnveiledW(t *testing.T) {
	needKernel(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, out := t.TempDir(), t.TempDir()
	var socks []string
	for _, dir := range []string{in, out} {
		p := dir + "/sock"
		c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: p, Net: "unixgram"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		socks = append(socks, p)
	}
	r := unveil(t, "--report", "--env", udpHelperEnv+"="+strings.Join(socks, ","), "-p", "stdio rpath unix", "-v", "w:"+in, "--", exe, "-test.run=^TestHelperUDP$")
	wantOK(t, r)
	if !strings.Contains(r.stdout, "send "+socks[0]+": <nil>") {
		t.Fatalf("datagram to a socket unveiled w refused\n%v", r)
	}
	if abi := probe.Get().LandlockABI; abi < 9 {
		if !strings.Contains(r.stdout, "send "+socks[1]+": <nil>") || !strings.Contains(r.stderr, "unix sockets by path") {
			t.Fatalf("ABI %d: want the outside socket reached and the gap reported\n%v", abi, r)
		}
		return
	}
	if !strings.Contains(r.stdout, "send "+socks[1]+": permission denied") {
		t.Fatalf("datagram to a socket outside the veil: want EACCES\n%v", r)
	}
}
