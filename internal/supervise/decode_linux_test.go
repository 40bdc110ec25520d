package supervise

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/syscalls"
)

// notif is a notification of a call by this test's own thread: Decode
// reads this process's memory as it reads a supervised one's.
func notif(t *testing.T, name string, args [6]uint64) *notify.Notif {
	t.Helper()
	tab, err := syscalls.Native()
	if err != nil {
		t.Skip(err)
	}
	nr, ok := tab.Number(name)
	if !ok {
		t.Skipf("no %s here", name)
	}
	return &notify.Notif{Pid: uint32(unix.Gettid()), Nr: int32(nr), Arch: tab.AuditArch, Args: args}
}

func ptr(b []byte) uint64 { return uint64(uintptr(unsafe.Pointer(&b[0]))) }

func printable(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			t.Fatalf("not printable: %q", s)
		}
	}
}

func TestDecodePaths(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cwd, _ := os.Getwd()
	hostile := []byte("/etc/\x1b[2J\x07evil\nunveil: forged\x00")
	rel := []byte("sub/../file\x00")
	long := []byte(strings.Repeat("a", 3*maxPath)) // no NUL
	const atFdcwd = uint64(0xffffff9c)
	for _, tc := range []struct {
		name      string
		args      [6]uint64
		wantPaths []string
		wantText  string
	}{
		{"openat", [6]uint64{atFdcwd, ptr(hostile), unix.O_RDONLY}, []string{"/etc/\x1b[2J\x07evil\nunveil: forged"},
			`openat(AT_FDCWD, "/etc/\x1b[2J\aevil\nunveil: forged", O_RDONLY)`},
		{"openat", [6]uint64{atFdcwd, ptr(rel), unix.O_WRONLY | unix.O_CREAT, 0o600}, []string{filepath.Join(cwd, "file")},
			`openat(AT_FDCWD, "sub/../file", O_WRONLY|O_CREAT, 0600)`},
		// A NULL or unmapped pointer is shown as a number.
		{"openat", [6]uint64{atFdcwd, 0, unix.O_RDONLY}, nil, `openat(AT_FDCWD, 0x0, O_RDONLY)`},
		{"openat", [6]uint64{atFdcwd, 0x10, unix.O_RDONLY}, nil, `openat(AT_FDCWD, 0x10, O_RDONLY)`},
		{"execve", [6]uint64{ptr(hostile)}, []string{"/etc/\x1b[2J\x07evil\nunveil: forged"}, `execve("/etc/\x1b[2J\aevil\nunveil: forged", [...])`},
		{"getpid", [6]uint64{}, nil, "getpid()"},
	} {
		c := Decode(notif(t, tc.name, tc.args), runtime.GOARCH)
		c.Tgid, c.Comm = tgidOf(c.Pid), commOf(tgidOf(c.Pid)) // Request.Identify's reads
		runtime.KeepAlive(hostile)
		runtime.KeepAlive(rel)
		if strings.Join(c.Paths, "|") != strings.Join(tc.wantPaths, "|") {
			t.Errorf("%s: paths %q, want %q", tc.name, c.Paths, tc.wantPaths)
		}
		if c.Text != tc.wantText {
			t.Errorf("%s: text %q, want %q", tc.name, c.Text, tc.wantText)
		}
		printable(t, c.Text)
		if c.Tgid != os.Getpid() || c.Pid != unix.Gettid() || c.Name != tc.name {
			t.Errorf("%s: caller %d/%d name %q", tc.name, c.Pid, c.Tgid, c.Name)
		}
	}
	// An unterminated string is read up to the bound, no further.
	c := Decode(notif(t, "openat", [6]uint64{atFdcwd, ptr(long), unix.O_RDONLY}), runtime.GOARCH)
	runtime.KeepAlive(long)
	if len(c.Paths) != 1 || len(c.Paths[0]) > len(cwd)+1+maxPath || len(c.Text) > 4*maxPath+64 {
		t.Errorf("an unterminated path: %d paths, text of %d bytes", len(c.Paths), len(c.Text))
	}
	// The caller's command name is printable too.
	c.Tgid, c.Comm = tgidOf(c.Pid), commOf(tgidOf(c.Pid))
	if c.Who() != commOf(os.Getpid())+"["+strconv.Itoa(os.Getpid())+"]" {
		t.Errorf("who %q", c.Who())
	}
}

func TestDecodeSockaddr(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	in4 := make([]byte, 16)
	binary.LittleEndian.PutUint16(in4, unix.AF_INET)
	binary.BigEndian.PutUint16(in4[2:], 8080)
	copy(in4[4:], []byte{127, 0, 0, 1})
	named := make([]byte, 110)
	binary.LittleEndian.PutUint16(named, unix.AF_UNIX)
	copy(named[2:], "/run/\x1b]0;x\x07.sock")
	abstract := make([]byte, 12)
	binary.LittleEndian.PutUint16(abstract, unix.AF_UNIX)
	copy(abstract[3:], "bus")
	for _, tc := range []struct {
		args     [6]uint64
		text     string
		fam      uint64
		port     int
		unixPath string
	}{
		{[6]uint64{3, ptr(in4), 16}, "connect(3, {AF_INET 127.0.0.1:8080})", unix.AF_INET, 8080, ""},
		{[6]uint64{4, ptr(named), 110}, `connect(4, {AF_UNIX "/run/\x1b]0;x\a.sock"})`, unix.AF_UNIX, -1, "/run/\x1b]0;x\x07.sock"},
		// A length past sockaddr_storage is read only that far.
		{[6]uint64{4, ptr(named), 1 << 30}, `connect(4, {AF_UNIX "/run/\x1b]0;x\a.sock"})`, unix.AF_UNIX, -1, "/run/\x1b]0;x\x07.sock"},
		{[6]uint64{5, ptr(abstract), 12}, `connect(5, {AF_UNIX "@bus"})`, unix.AF_UNIX, -1, ""},
		{[6]uint64{5, 0x10, 16}, "connect(5, 0x10)", 0, -1, ""},
	} {
		c := Decode(notif(t, "connect", tc.args), runtime.GOARCH)
		if c.Text != tc.text || c.Family != tc.fam || c.Port != tc.port || c.UnixPath != tc.unixPath {
			t.Errorf("connect%v: %q family %d port %d unix %q; want %q %d %d %q", tc.args[:3], c.Text, c.Family, c.Port, c.UnixPath, tc.text, tc.fam, tc.port, tc.unixPath)
		}
		printable(t, c.Text)
	}
	runtime.KeepAlive(in4)
	runtime.KeepAlive(named)
	runtime.KeepAlive(abstract)
}

// A call of another audit arch (a 32-bit call on a 64-bit kernel) has no
// name; it is still described.
func TestDecodeForeign(t *testing.T) {
	n := notif(t, "getpid", [6]uint64{1})
	n.Arch = 0x40000003 // AUDIT_ARCH_I386
	c := Decode(n, runtime.GOARCH)
	if c.Name != "" || !strings.HasPrefix(c.Text, "syscall_") || !strings.Contains(c.Text, "(0x1)") {
		t.Errorf("foreign call: name %q text %q", c.Name, c.Text)
	}
	d := Denial{Prefix: "pledge", Call: c}
	if s := d.String(); !strings.Contains(s, "not a native system call") {
		t.Errorf("denial %q", s)
	}
}
