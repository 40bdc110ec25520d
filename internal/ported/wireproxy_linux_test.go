//go:build linux

package ported

import (
	"bufio"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/landlock-lsm/go-landlock/landlock"
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// wireproxy's lock stages, from cmd/wireproxy/main.go of windtf/wireproxy
// at commit 01ff4f6 (version "1.0.8-dev"), which calls suah.dev/protect
// (unix.Unveil and unix.PledgePromises on OpenBSD) and go-landlock on
// Linux:
//   - "boot": unveil "/" "r" and its own executable "x", pledge
//     "stdio rpath inet dns proc exec", then landlock.V1 RODirs("/");
//   - "read-config" (not in the daemon): pledge "stdio rpath inet dns";
//   - lockNetwork: landlock.V4 BindTCP for the http and info addresses,
//     ConnectTCP for a TCPServerTunnel's target;
//   - "ready": pledge "stdio inet dns", then landlock.V1 read-only and
//     read-write files (the list below, each IgnoreIfMissing).
const (
	wireproxyBoot    = "stdio rpath inet dns proc exec"
	wireproxyConfig  = "stdio rpath inet dns"
	wireproxyReady   = "stdio inet dns"
	wireproxyConfEnv = "PLEDGEKIT_PORTED_WIREPROXY_CONF"
)

// wireproxyReadyFiles are the files the "ready" stage keeps, read-only
// then read-write.
var wireproxyReadyFiles = [2][]string{
	{"/etc/resolv.conf", "/dev/fd", "/dev/zero", "/dev/urandom", "/etc/localtime", "/proc/self/stat",
		"/proc/self/status", "/usr/share/locale", "/proc/self/cmdline", "/usr/share/zoneinfo",
		"/proc/sys/kernel/version", "/proc/sys/kernel/ngroups_max", "/proc/sys/kernel/cap_last_cap",
		"/proc/sys/vm/overcommit_memory"},
	{"/dev/log", "/dev/null", "/dev/full", "/proc/self/fd"},
}

// wireproxyLock runs one stage.
func wireproxyLock(stage, exe string) error {
	switch stage {
	case "boot":
		if err := unveil.Unveil("/", "r"); err != nil {
			return err
		}
		if err := unveil.Unveil(exe, "x"); err != nil {
			return err
		}
		if err := pledge.PledgePromises(wireproxyBoot); err != nil {
			return err
		}
		return landlock.V1.BestEffort().RestrictPaths(landlock.RODirs("/"))
	case "read-config":
		return pledge.PledgePromises(wireproxyConfig)
	case "ready":
		if err := pledge.PledgePromises(wireproxyReady); err != nil {
			return err
		}
		net.DefaultResolver.PreferGo = true
		return wireproxyReadyLandlock()
	case "ready, landlock first":
		// The ready stage with its go-landlock call made before the pledge:
		// go-landlock opens each path with O_PATH, which needs rpath under
		// pledgekit's filter, and "stdio inet dns" has none.
		if err := wireproxyReadyLandlock(); err != nil {
			return err
		}
		net.DefaultResolver.PreferGo = true
		return pledge.PledgePromises(wireproxyReady)
	}
	return fmt.Errorf("invalid stage %q", stage)
}

// wireproxyReadyLandlock is the ready stage's go-landlock call.
func wireproxyReadyLandlock() error {
	var rules []landlock.Rule
	for _, p := range wireproxyReadyFiles[0] {
		rules = append(rules, landlock.ROFiles(p).IgnoreIfMissing())
	}
	for _, p := range wireproxyReadyFiles[1] {
		rules = append(rules, landlock.RWFiles(p).IgnoreIfMissing())
	}
	return landlock.V1.BestEffort().RestrictPaths(rules...)
}

// wireproxyConf is the part of a wireproxy configuration the scenario
// uses: an http proxy's bind address and a TCP server tunnel's target.
type wireproxyConf struct{ httpBind, target string }

// parseWireproxyConf reads key = value lines.
func parseWireproxyConf(path string) (*wireproxyConf, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &wireproxyConf{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		switch strings.TrimSpace(k) {
		case "BindAddress":
			c.httpBind = strings.TrimSpace(v)
		case "Target":
			c.target = strings.TrimSpace(v)
		}
		_ = ok
	}
	return c, sc.Err()
}

func port(addr string) uint16 {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return uint16(n)
}

// wireproxyRun is main after the boot stage: read the configuration,
// restrict the network, become ready, start the WireGuard UDP socket (with
// wireguard-go's SO_RCVBUFFORCE/SO_SNDBUFFORCE), log, serve http and tunnel
// to the target.
func wireproxyRun(exe string, daemon bool, ready string) {
	if !daemon {
		must("lock read-config", wireproxyLock("read-config", exe))
	}
	conf, err := parseWireproxyConf(os.Getenv(wireproxyConfEnv))
	must("parse config", err)
	must("lock network", landlock.V4.BestEffort().RestrictNet(
		landlock.BindTCP(port(conf.httpBind)), landlock.ConnectTCP(port(conf.target))))
	if daemon {
		devnull, err := os.Open(os.DevNull)
		must("open /dev/null", err)
		os.Stdout = devnull
	}
	must("lock "+ready, wireproxyLock(ready, exe))

	// wireguard-go's logger: timestamped lines (time.Local after a pledge
	// without rpath).
	logger := log.New(os.Stderr, "DEBUG: ", log.Ldate|log.Ltime)
	udp, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	must("wireguard socket", err)
	rc, err := udp.SyscallConn()
	must("syscall conn", err)
	rc.Control(func(fd uintptr) {
		// wireguard-go ignores these errors (EPERM without CAP_NET_ADMIN).
		for _, opt := range []int{unix.SO_RCVBUFFORCE, unix.SO_SNDBUFFORCE} {
			err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, opt, 7<<20)
			logger.Printf("setsockopt(%d): %v", opt, err)
		}
	})
	logger.Printf("UDP bind has been updated")

	c, err := net.Dial("tcp", conf.target)
	must("tunnel to target", err)
	fmt.Fprintln(c, "ping")
	echo, err := bufio.NewReader(c).ReadString('\n')
	must("read from target", err)
	c.Close()
	say("tunnel: %s", strings.TrimSpace(echo))

	ln, err := net.Listen("tcp", conf.httpBind)
	must("http listen", err)
	go http.Serve(ln, http.NotFoundHandler())
	say("http proxy listening")
	// wireproxy's own Landlock rules hold under the pledge: no connect to
	// the http port, no bind elsewhere (ABI 4).
	if probe.Get().LandlockABI >= 4 {
		if _, err := net.Dial("tcp", conf.httpBind); !errors.Is(err, syscall.EACCES) {
			testproc.Fatalf("connect to the http port: want EACCES from wireproxy's rule, got %v", err)
		}
		if _, err := net.Listen("tcp", "127.0.0.1:0"); !errors.Is(err, syscall.EACCES) {
			testproc.Fatalf("bind to another port: want EACCES from wireproxy's rule, got %v", err)
		}
		say("landlock network rules hold")
	}
}

// wireproxy in the foreground, exactly: the three narrowing pledges,
// go-landlock at start-up and after the last pledge, the work above.
//
// Known failure (issue #15, reported to the lead): the ready stage's
// go-landlock call opens its paths with O_PATH after "stdio inet dns",
// and pledgekit's filter wants rpath for any open, O_PATH too
// (promises' decide test keeps "stdio unveil" + O_PATH denied), so the
// real wireproxy is killed there. The test skips on exactly that death
// and fails on any other; TestWireproxyReadyLandlockFirst runs the rest.
func TestWireproxy(t *testing.T) {
	r := wireproxyForeground(t, "ready")
	if r.Signaled(syscall.SIGKILL) && strings.Contains(r.Stderr, "O_PATH") &&
		strings.Contains(r.Stderr, `needs promise "rpath" (pledged: "stdio inet dns")`) {
		t.Skipf("issue #15: go-landlock's O_PATH opens after the pledge \"stdio inet dns\" need rpath under pledgekit:\n%s", r.Stderr)
	}
	wireproxyWantOK(t, r)
}

// The same with the ready stage's go-landlock call before its pledge (the
// order a wireproxy port needs while O_PATH opens need rpath).
func TestWireproxyReadyLandlockFirst(t *testing.T) {
	wireproxyWantOK(t, wireproxyForeground(t, "ready, landlock first"))
}

// wireproxyForeground runs wireproxy in the foreground with the given
// ready stage.
func wireproxyForeground(t *testing.T, ready string) *testproc.Result {
	t.Helper()
	conf := wireproxyFixture(t)
	return testproc.Run(t, "foreground", func() {
		exe := executable()
		if wireproxyBooted(exe) {
			say("wireproxy, version 1.0.8-dev")
			wireproxyRun(exe, false, ready)
		}
	}, testproc.WithEnv(wireproxyConfEnv+"="+conf))
}

// wireproxyBooted runs the boot stage. Where Landlock cannot restrict
// anything, the pledge that commits the unveils must fail saying so (and
// wireproxy stops there, log.Fatal): it returns false.
func wireproxyBooted(exe string) bool {
	err := wireproxyLock("boot", exe)
	if !canUnveil() {
		if !errors.Is(err, unveil.ErrLandlockUnavailable) {
			testproc.Fatalf("boot without Landlock: want ErrLandlockUnavailable, got %v", err)
		}
		say("boot refused: %v", err)
		return false
	}
	must("lock boot", err)
	return true
}

// wireproxyWantOK checks a foreground run.
func wireproxyWantOK(t *testing.T, r *testproc.Result) {
	t.Helper()
	if !canUnveil() {
		wantOK(t, r)
		if !strings.Contains(r.Stdout, "boot refused") {
			t.Fatal(r)
		}
		return
	}
	wantOK(t, r, "wireproxy, version 1.0.8-dev", "tunnel: ping", "http proxy listening")
	if !strings.Contains(r.Stderr, "DEBUG: 20") || !strings.Contains(r.Stderr, "UDP bind has been updated") {
		t.Fatalf("no timestamped log line after the last pledge\n%s", r)
	}
}

// wireproxy -d, exactly: the booted process starts itself again with
// exec.Command(exe, args...).Start(), its standard streams unset, so
// os/exec opens /dev/null for writing under "stdio rpath inet dns proc
// exec". A filter sees no paths: that needs wpath, and the process is
// killed with a message naming the open and the promise (the Linux
// difference pledge's package doc lists under "Files every pledged
// process may open").
func TestWireproxyDaemonStart(t *testing.T) {
	conf := wireproxyFixture(t)
	r := testproc.Run(t, "start", func() {
		exe := executable()
		if !wireproxyBooted(exe) {
			return
		}
		selfCommand(exe, "daemon-process").Start()
		say("not reached")
	}, testproc.WithEnv(wireproxyConfEnv+"="+conf))
	if !canUnveil() {
		wantOK(t, r)
		return
	}
	wantKilled(t, r, "openat", "O_WRONLY", `"wpath"`)
}

// wireproxy -d with the documented remedies (the child's standard
// streams set; a first listen before the last pledge, see below): the
// daemon boots again under the pledge it inherited (unveil,
// pledge and go-landlock inside a pledge), skips read-config, opens
// /dev/null for its standard output and does the same work (ready stage
// as in TestWireproxyReadyLandlockFirst).
func TestWireproxyDaemon(t *testing.T) {
	conf := wireproxyFixture(t)
	r := testproc.Run(t, "daemon", func() {
		exe := executable()
		if !wireproxyBooted(exe) {
			return
		}
		if role() == "daemon-process" {
			// Started under a filter, the daemon's pledge cannot have
			// package net read somaxconn for it (pledge reads it only in
			// an unfiltered process): a listen before the last pledge
			// does (its bind may fail; the read comes first).
			if l, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
				l.Close()
			}
			wireproxyRun(exe, true, "ready, landlock first")
			return
		}
		d := selfCommand(exe, "daemon-process")
		d.Stdin, d.Stdout, d.Stderr = os.Stdin, os.Stdout, os.Stderr
		must("daemon", d.Run())
		say("daemon exited 0")
	}, testproc.WithEnv(wireproxyConfEnv+"="+conf))
	if !canUnveil() {
		wantOK(t, r)
		return
	}
	wantOK(t, r, "daemon exited 0")
	if !strings.Contains(r.Stderr, "UDP bind has been updated") {
		t.Fatalf("the daemon did not reach its work\n%s", r)
	}
}

// After the last narrowing ("stdio inet dns"), reading a file ends the
// process, and the message names the call and "rpath" (issue #15: it was
// a bare SIGSYS traceback).
func TestWireproxyDenied(t *testing.T) {
	r := testproc.Run(t, "read", func() {
		exe := executable()
		if err := pledge.PledgePromises(wireproxyBoot); err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		must("lock read-config", wireproxyLock("read-config", exe))
		must("pledge ready", pledge.PledgePromises(wireproxyReady))
		os.ReadFile("/etc/hostname")
		say("not reached")
	})
	wantKilled(t, r, "openat", `"rpath"`)
}

// wireproxyFixture starts the tunnel's target (an echo server outside the
// sandbox), picks the http proxy's port and writes the configuration. In
// the scenario process it returns the path the parent passed.
func wireproxyFixture(t *testing.T) string {
	if testproc.InChild() {
		return os.Getenv(wireproxyConfEnv)
	}
	target, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Close() })
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Write([]byte(line))
			c.Close()
		}
	}()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpBind := free.Addr().String()
	free.Close()
	conf := filepath.Join(t.TempDir(), "wireproxy.conf")
	text := "[Interface]\nAddress = 10.200.200.2/32\n\n[TCPServerTunnel]\nListenPort = 3422\nTarget = " +
		target.Addr().String() + "\n\n[http]\nBindAddress = " + httpBind + "\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}
