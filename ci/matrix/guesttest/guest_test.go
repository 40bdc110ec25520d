// Package guesttest checks the kernel-matrix guest environment itself, so a
// broken guest setup shows up as its own failure rather than as confusing
// failures in the project's tests. Outside the matrix every test skips.
package guesttest

import (
	"errors"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
)

func inMatrix(t *testing.T) {
	t.Helper()
	if os.Getenv(proto.EnvMatrix) != "1" {
		t.Skip("only meaningful under ci/matrix (" + proto.EnvMatrix + " is not 1)")
	}
}

func TestEnvironment(t *testing.T) {
	inMatrix(t)
	for _, k := range []string{proto.EnvCell, proto.EnvExpectABI, proto.EnvUser, "TMPDIR", "HOME"} {
		if os.Getenv(k) == "" {
			t.Errorf("%s is not set", k)
		}
	}
	if abi, err := strconv.Atoi(os.Getenv(proto.EnvExpectABI)); err != nil || abi < 0 {
		t.Errorf("%s=%q is not a non-negative number", proto.EnvExpectABI, os.Getenv(proto.EnvExpectABI))
	}
}

func TestUser(t *testing.T) {
	inMatrix(t)
	want := 0
	if os.Getenv(proto.EnvUser) == proto.UserNobody {
		want = proto.NobodyID
	}
	if os.Getuid() != want || os.Geteuid() != want || os.Getgid() != want {
		t.Fatalf("running as uid %d euid %d gid %d, %s=%s wants %d",
			os.Getuid(), os.Geteuid(), os.Getgid(), proto.EnvUser, os.Getenv(proto.EnvUser), want)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatalf("user.Current: %v", err)
	}
	if u.Uid != strconv.Itoa(want) {
		t.Errorf("user.Current().Uid = %s, want %d", u.Uid, want)
	}
	if os.Getuid() != 0 {
		// The unprivileged user must really be unprivileged.
		if err := os.WriteFile("/etc/pledgekit-guesttest", nil, 0o644); err == nil {
			os.Remove("/etc/pledgekit-guesttest")
			t.Errorf("uid %d could write to /etc", os.Getuid())
		} else if !errors.Is(err, os.ErrPermission) {
			t.Errorf("writing /etc as uid %d: %v, want a permission error", os.Getuid(), err)
		}
	}
}

func TestTempDir(t *testing.T) {
	inMatrix(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatalf("TMPDIR is not writable: %v", err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "x" {
		t.Fatalf("read back %q, %v", b, err)
	}
}

func TestDevices(t *testing.T) {
	inMatrix(t)
	f, err := os.Open("/dev/urandom")
	if err != nil {
		t.Fatalf("open /dev/urandom: %v", err)
	}
	defer f.Close()
	if _, err := io.ReadFull(f, make([]byte, 16)); err != nil {
		t.Fatalf("read /dev/urandom: %v", err)
	}
	if err := os.WriteFile("/dev/null", []byte("x"), 0); err != nil {
		t.Fatalf("write /dev/null: %v", err)
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Fatalf("/proc is not mounted: %v", err)
	}
}

func TestLoopbackTCP(t *testing.T) {
	inMatrix(t)
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("listen %s: %v", addr, err)
		}
		go func() {
			c, err := l.Accept()
			if err == nil {
				c.Write([]byte("ok"))
				c.Close()
			}
		}()
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			l.Close()
			t.Fatalf("dial %s: %v", l.Addr(), err)
		}
		b, err := io.ReadAll(c)
		c.Close()
		l.Close()
		if err != nil || string(b) != "ok" {
			t.Fatalf("loopback TCP via %s: read %q, %v", addr, b, err)
		}
	}
}
