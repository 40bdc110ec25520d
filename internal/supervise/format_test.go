package supervise

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// (Moved from package pledge's violation_test.go with the decoder. The
// formats that changed when the two decoders became one: protocols are
// named, open's mode shows with O_CREAT or O_TMPFILE only.)
func TestFormatCall(t *testing.T) {
	for _, c := range []struct {
		name string
		args [6]uint64
		want string
	}{
		{"socket", [6]uint64{2, 1 | 0o2000000 | 0o4000, 6}, "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_TCP)"},
		{"socket", [6]uint64{16 | 1<<32, 3, 0}, "socket(AF_NETLINK (upper bits 0x1 ignored), SOCK_RAW, 0)"},
		{"socket", [6]uint64{99, 9, 0}, "socket(99, 9, 0)"},
		{"openat", [6]uint64{uint64(0xffffff9c), 0x1000, 0o1101 | 0o2000000, 0o644}, "openat(AT_FDCWD, 0x1000, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644)"},
		{"openat", [6]uint64{3, 0x1000, 0, 0}, "openat(3, 0x1000, O_RDONLY)"},
		{"mprotect", [6]uint64{0x1000, 4096, 5}, "mprotect(0x1000, 0x1000, PROT_READ|PROT_EXEC)"},
		{"mmap", [6]uint64{0, 4096, 0, 0x22, ^uint64(0), 0}, "mmap(0x0, 0x1000, PROT_NONE, 0x22, -1, 0x0)"},
		{"clone", [6]uint64{0x11 | 0x4000 | 0x100}, "clone(CLONE_VM|CLONE_VFORK|0x11)"},
		{"kill", [6]uint64{42, 9}, "kill(42, 9)"},
		{"getpid", [6]uint64{}, "getpid()"},
		{"write", [6]uint64{1, 0xc000, 5}, "write(0x1, 0xc000, 0x5)"},
	} {
		if got := FormatCall(c.name, c.args); got != c.want {
			t.Errorf("FormatCall(%s, %#x) = %q, want %q", c.name, c.args, got, c.want)
		}
	}
}

func nr(t *testing.T, arch, name string) int32 {
	tab, err := syscalls.ByArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	n, ok := tab.Number(name)
	if !ok {
		t.Fatalf("no %s on %s", name, arch)
	}
	return int32(n)
}

// call builds the Call Decode would, from register arguments alone.
func call(arch string, audit uint32, nr int32, args [6]uint64, comm string, tgid int) *Call {
	name := SyscallName(arch, audit, nr)
	return &Call{Pid: tgid, Tgid: tgid, Comm: comm, Arch: arch, Audit: audit, Nr: nr, Name: name, Args: args, Port: -1, Text: FormatCall(name, args)}
}

func TestViolationMessage(t *testing.T) {
	for _, arch := range syscalls.Arches() {
		tab, _ := syscalls.ByArch(arch)
		socket := nr(t, arch, "socket")
		openat := nr(t, arch, "openat")
		for _, c := range []struct {
			d    Denial
			want []string
		}{
			{Denial{Prefix: "pledge", Call: call(arch, tab.AuditArch, socket, [6]uint64{2, 1, 0}, "app", 7), Pledged: promises.MustParse("stdio rpath"), Outcome: "killing the process"},
				[]string{"pledge: denied socket(AF_INET, SOCK_STREAM, 0) [syscall ", " in app[7]: needs promise \"inet\" (or \"dns\" or \"anet\")", `(pledged: "stdio rpath"); killing the process`}},
			// O_CREAT|O_RDWR needs rpath, wpath and cpath together; what is
			// missing is named.
			{Denial{Prefix: "pledge", Call: call(arch, tab.AuditArch, openat, [6]uint64{uint64(0xffffff9c), 1, 0o102, 0o600}, "sh", 9), Pledged: promises.MustParse("stdio rpath"), Child: true, Outcome: "the call fails with EPERM"},
				[]string{"denied openat(AT_FDCWD, 0x1, O_RDWR|O_CREAT, 0600)", "in sh[9], a program this process started", `needs promises "wpath cpath"`, "the call fails with EPERM"}},
			{Denial{Prefix: "pledge", Call: call(arch, tab.AuditArch, nr(t, arch, "ptrace"), [6]uint64{}, "", 0), Pledged: promises.MustParse("stdio")},
				[]string{"denied ptrace() [syscall ", ": no promise allows it"}},
			{Denial{Prefix: "pledge", Call: call(arch, 0x40000003, 20, [6]uint64{}, "", 0), Pledged: promises.MustParse("stdio")},
				[]string{"denied unknown system call 20 (audit arch 0x40000003)", "not a native system call"}},
		} {
			got := c.d.String()
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s: message %q lacks %q", arch, got, w)
				}
			}
			if strings.Contains(got, "\n") {
				t.Errorf("message spans lines: %q", got)
			}
		}
	}
}

// Messages are built from numbers the pledged process chooses: any of
// them must give one printable line, never a panic.
func FuzzViolationMessage(f *testing.F) {
	f.Add(int32(41), uint32(0xc000003e), uint64(2), uint64(1), uint64(0), uint64(0), uint64(0), uint64(0), uint64(3))
	f.Add(int32(-1), uint32(0), ^uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(int32(257), uint32(0xc000003e), uint64(0xffffff9c), uint64(0), uint64(0o102), uint64(0), uint64(0), uint64(0), uint64(1<<40))
	f.Fuzz(func(t *testing.T, n int32, audit uint32, a0, a1, a2, a3, a4, a5, set uint64) {
		d := Denial{Prefix: "pledge", Call: call("amd64", audit, n, [6]uint64{a0, a1, a2, a3, a4, a5}, "x", 1), Pledged: promises.Set(set)}
		s := d.String()
		if !strings.HasPrefix(s, "pledge: denied ") || strings.ContainsAny(s, "\n\r") {
			t.Fatalf("bad message %q", s)
		}
	})
}

// The promises that allow a call are searched in the table
// (Requirements): opening O_RDWR|O_CREAT takes rpath, wpath and cpath
// together. (Moved from cmd/unveil's TestAllowingPromises with the
// lookup.)
func TestAllowingPromises(t *testing.T) {
	stdio := promises.Of(promises.Stdio)
	str := func(alts []promises.Set) string {
		var s []string
		for _, a := range alts {
			s = append(s, a.String())
		}
		return strings.Join(s, ", ")
	}
	for _, tc := range []struct {
		name string
		args [6]uint64
		want string
	}{
		{"openat", [6]uint64{0xffffff9c, 0, unix.O_RDONLY}, "rpath"},
		{"openat", [6]uint64{0xffffff9c, 0, unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC, 0o644}, "wpath cpath"},
		{"openat", [6]uint64{0xffffff9c, 0, unix.O_RDWR | unix.O_CREAT, 0o644}, "rpath wpath cpath"},
		{"openat", [6]uint64{0xffffff9c, 0, unix.O_RDWR | unix.O_CREAT, 0o4755}, ""}, // setuid bit: never
		{"mount", [6]uint64{}, ""},
	} {
		if got := str(Needed(stdio, "amd64", tc.name, tc.args, 0)); got != tc.want {
			t.Errorf("%s%v: %q, want %q", tc.name, tc.args[2:4], got, tc.want)
		}
	}
}
