package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/promises"
)

// pending reports whether a connection waits on l, without waiting: one
// accept4 on its (non-blocking) descriptor.
func pending(t *testing.T, l *net.UnixListener) bool {
	t.Helper()
	rc, err := l.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var aerr error
	got := false
	if err := rc.Control(func(fd uintptr) {
		var nfd int
		nfd, _, aerr = unix.Accept4(int(fd), unix.SOCK_CLOEXEC)
		if aerr == nil {
			got = true
			unix.Close(nfd)
		}
	}); err != nil {
		t.Fatal(err)
	}
	if aerr != nil && aerr != unix.EAGAIN {
		t.Fatalf("accept4: %v", aerr)
	}
	return got
}

// TestUnixSocketWithoutPromise: without unix (and without any promise
// that allows connect, bind, listen or accept), the supervisor hands out
// an inert AF_UNIX stream socket, answers a connect to a missing file
// with ENOENT, and refuses every other use naming unix.
func TestUnixSocketWithoutPromise(t *testing.T) {
	needKernel(t)
	py := need(t, "python3")
	dir := t.TempDir()
	sock := filepath.Join(dir, "s.sock")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	connect := func(path string) string {
		return "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(" + pyQuote(path) + ")\nprint('connected')\n"
	}

	// glibc's nscd probe (getpwuid): quiet, and the lookup works.
	if id := need(t, "id"); id != "" {
		want, err := exec.Command(id, "-un").Output()
		if err != nil {
			t.Fatal(err)
		}
		r := unveil(t, "-v", "/etc", "--", id, "-un")
		wantOK(t, r)
		if r.stdout != string(want) || strings.Contains(r.stderr, "unix") {
			t.Errorf("id -un: %v; want %q and no refusal", r, want)
		}
	}
	// A socket file that does not exist: ENOENT, as without unveil.
	r := unveil(t, "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", connect(filepath.Join(dir, "missing.sock")))
	if r.code == 0 || !strings.Contains(r.stderr, "FileNotFoundError") || strings.Contains(r.stderr, "unveil:") {
		t.Errorf("connect to a missing socket: %v", r)
	}
	// The same, relative to the program's working directory.
	r = unveil(t, "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", "import os\nos.chdir("+pyQuote(dir)+")\n"+connect("missing.sock"))
	if r.code == 0 || !strings.Contains(r.stderr, "FileNotFoundError") {
		t.Errorf("connect to a missing relative socket: %v", r)
	}
	// An existing socket: refused, naming unix; nothing reaches it.
	r = unveil(t, "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", connect(sock))
	wantDenied(t, r, `denied connect(3, {AF_UNIX "`+sock+`"}) [syscall `, `needs promise "unix"`, "the call fails with EPERM")
	if strings.Contains(r.stdout, "connected") || pending(t, l) {
		t.Errorf("the program connected without unix: %v", r)
	}
	// ... also when it is relative (resolved from the program's cwd).
	r = unveil(t, "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", "import os\nos.chdir("+pyQuote(dir)+")\n"+connect("s.sock"))
	wantDenied(t, r, `needs promise "unix"`)
	if pending(t, l) {
		t.Error("the program connected without unix (relative path)")
	}
	// -k: killed at the connect.
	r = unveil(t, "-k", "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", connect(sock))
	if r.code != 128+9 || pending(t, l) {
		t.Errorf("-k: %v", r)
	}
	// Binding, datagram sockets and addressed sends stay refused.
	for _, code := range []string{
		"import socket\nsocket.socket(socket.AF_UNIX).bind(" + pyQuote(filepath.Join(dir, "new.sock")) + ")",
		"import socket\nsocket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
		"import socket\nsocket.socket(socket.AF_UNIX).sendto(b'x', " + pyQuote(sock) + ")",
	} {
		r = unveil(t, "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", code)
		wantDenied(t, r, `needs promise "unix"`)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.sock")); err == nil {
		t.Error("bind created a socket file without unix")
	}
	// The socket itself can send nowhere (sendfd allows sendmsg).
	r = unveil(t, "-p", "stdio rpath sendfd", "-v", "/usr/lib", "--", py, "-c", `import socket, errno
s = socket.socket(socket.AF_UNIX)
for f in (lambda: s.sendmsg([b"x"], [], 0, `+pyQuote(sock)+`), lambda: s.send(b"x")):
    try:
        f()
        print("sent")
    except OSError as e:
        print(errno.errorcode[e.errno])
`)
	wantOK(t, r)
	if (r.stdout != "EOPNOTSUPP\nENOTCONN\n" && r.stdout != "ENOTSUP\nENOTCONN\n") || pending(t, l) {
		t.Errorf("sending on the emulated socket: %v", r)
	}
	// With a promise that allows connect but not AF_UNIX sockets (inet),
	// nothing is emulated: the socket call itself is refused.
	r = unveil(t, "-p", "stdio rpath inet", "-v", "/usr/lib", "--", py, "-c", connect(sock))
	wantDenied(t, r, "socket(AF_UNIX", `needs promise "unix"`)
	if pending(t, l) {
		t.Error("the program connected with inet")
	}
	// With unix it connects.
	r = unveil(t, "-p", "stdio rpath unix", "-v", "/usr/lib", "--", py, "-c", connect(sock))
	wantOK(t, r)
	if !pending(t, l) {
		t.Error("no connection with unix")
	}
	// Direct mode: no supervisor, the socket call fails; id still works.
	r = unveil(t, "-q", "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", connect(filepath.Join(dir, "missing.sock")))
	if r.code == 0 || !strings.Contains(r.stderr, "PermissionError") {
		t.Errorf("-q: %v", r)
	}
}

func pyQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// TestExecMissingPath: an execve of a file that does not exist fails with
// ENOENT, not EPERM, so env, execvp and shells go on along PATH: a
// "#!/usr/bin/env sh" script runs with a PATH whose first directories lack
// sh.
func TestExecMissingPath(t *testing.T) {
	needKernel(t)
	need(t, "env")
	dir := t.TempDir()
	script := filepath.Join(dir, "s")
	os.WriteFile(script, []byte("#!/usr/bin/env sh\necho ran\n"), 0o755)
	path := filepath.Join(dir, "nonexistent") + ":" + dir + ":/usr/bin:/bin"
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			r := inMode(t, m.pre, "--env", "PATH="+path, "-p", "stdio rpath", "--", script)
			wantOK(t, r)
			if r.stdout != "ran\n" {
				t.Errorf("stdout %q", r.stdout)
			}
			// Another program is still refused.
			r = inMode(t, m.pre, "--env", "PATH="+path, "-p", "stdio rpath", "--", need(t, "env"), "true")
			if r.code == 0 {
				t.Errorf("env ran true without exec: %v", r)
			}
		})
	}
}

// Emulation is on exactly where no promise lets a socket connect, bind,
// listen or accept.
func TestUnixEmulated(t *testing.T) {
	for _, tc := range []struct {
		set  string
		want bool
	}{
		{"stdio", true}, {"stdio rpath wpath cpath getpw", true}, {"stdio sendfd recvfd", true},
		{"stdio unix", false}, {"stdio inet", false}, {"stdio dns", false}, {"stdio anet", false},
	} {
		set, err := promises.Parse(tc.set)
		if err != nil {
			t.Fatal(err)
		}
		for _, arch := range []string{"amd64", "arm64"} {
			if got := unixEmulated(set, arch); got != tc.want {
				t.Errorf("%s on %s: %v, want %v", tc.set, arch, got, tc.want)
			}
		}
	}
	a := func(v ...uint64) (r [6]uint64) { copy(r[:], v); return }
	for _, tc := range []struct {
		args [6]uint64
		want bool
	}{
		{a(unix.AF_UNIX, unix.SOCK_STREAM), true},
		{a(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK), true},
		{a(unix.AF_UNIX, unix.SOCK_DGRAM), false},
		{a(unix.AF_UNIX, unix.SOCK_SEQPACKET), false},
		{a(unix.AF_UNIX, unix.SOCK_STREAM, 1), false},
		{a(unix.AF_INET, unix.SOCK_STREAM), false},
		{a(unix.AF_UNIX|1<<32, unix.SOCK_STREAM), true}, // the kernel reads 32 bits
	} {
		if got := isUnixStreamSocket("socket", tc.args); got != tc.want {
			t.Errorf("socket%v: %v, want %v", tc.args[:3], got, tc.want)
		}
	}
}

// TestAllowingPromises moved to internal/supervise with the lookup.
