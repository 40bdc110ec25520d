package pledge

import (
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

func TestFormatCall(t *testing.T) {
	for _, c := range []struct {
		name string
		args [6]uint64
		want string
	}{
		{"socket", [6]uint64{2, 1 | 0o2000000 | 0o4000, 6}, "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, 6)"},
		{"socket", [6]uint64{16 | 1<<32, 3, 0}, "socket(AF_NETLINK (upper bits 0x1 ignored), SOCK_RAW, 0)"},
		{"socket", [6]uint64{99, 9, 0}, "socket(99, 9, 0)"},
		{"openat", [6]uint64{uint64(0xffffff9c), 0x1000, 0o1101 | 0o2000000, 0o644}, "openat(AT_FDCWD, 0x1000, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644)"},
		{"openat", [6]uint64{3, 0x1000, 0, 0}, "openat(3, 0x1000, O_RDONLY, 0)"},
		{"mprotect", [6]uint64{0x1000, 4096, 5}, "mprotect(0x1000, 0x1000, PROT_READ|PROT_EXEC)"},
		{"mmap", [6]uint64{0, 4096, 0, 0x22, ^uint64(0), 0}, "mmap(0x0, 0x1000, PROT_NONE, 0x22, -1, 0x0)"},
		{"clone", [6]uint64{0x11 | 0x4000 | 0x100}, "clone(CLONE_VM|CLONE_VFORK|0x11)"},
		{"kill", [6]uint64{42, 9}, "kill(42, 9)"},
		{"getpid", [6]uint64{}, "getpid()"},
		{"write", [6]uint64{1, 0xc000, 5}, "write(0x1, 0xc000, 0x5)"},
	} {
		if got := formatCall(c.name, c.args); got != c.want {
			t.Errorf("formatCall(%s, %#x) = %q, want %q", c.name, c.args, got, c.want)
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

func TestViolationMessage(t *testing.T) {
	for _, arch := range syscalls.Arches() {
		tab, _ := syscalls.ByArch(arch)
		socket := nr(t, arch, "socket")
		openat := nr(t, arch, "openat")
		for _, c := range []struct {
			v    violation
			want []string
		}{
			{violation{Arch: arch, Audit: tab.AuditArch, Nr: socket, Args: [6]uint64{2, 1, 0}, Pledged: promises.MustParse("stdio rpath"), Who: "app[7]"},
				[]string{"pledge: denied socket(AF_INET, SOCK_STREAM, 0) [syscall ", " in app[7]: needs promise \"inet\" (or \"dns\" or \"anet\")", `(pledged: "stdio rpath"); killing the process`}},
			// O_CREAT|O_RDWR needs rpath, wpath and cpath together; what is
			// missing is named.
			{violation{Arch: arch, Audit: tab.AuditArch, Nr: openat, Args: [6]uint64{uint64(0xffffff9c), 1, 0o102, 0o600}, Pledged: promises.MustParse("stdio rpath"), Who: "sh[9]", Child: true},
				[]string{"denied openat(AT_FDCWD, 0x1, O_RDWR|O_CREAT, 0600)", "in sh[9], a program this process started", `needs promises "wpath cpath"`, "the call fails with EPERM"}},
			{violation{Arch: arch, Audit: tab.AuditArch, Nr: nr(t, arch, "ptrace"), Pledged: promises.MustParse("stdio")},
				[]string{"denied ptrace() [syscall ", ": no promise allows it"}},
			{violation{Arch: arch, Audit: 0x40000003, Nr: 20, Pledged: promises.MustParse("stdio")},
				[]string{"denied unknown system call 20 (audit arch 0x40000003)", "not a native system call"}},
		} {
			got := c.v.String()
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

func TestParsePenalty(t *testing.T) {
	for p := PenaltyDefault; p < numPenalties; p++ {
		got, err := ParsePenalty(p.String())
		if err != nil || got != p {
			t.Errorf("ParsePenalty(%q) = %v, %v", p.String(), got, err)
		}
	}
	if _, err := ParsePenalty("Abort"); err == nil {
		t.Error("ParsePenalty is case-insensitive")
	}
	if s := Penalty(200).String(); s != "penalty(200)" {
		t.Errorf("String of an unknown penalty: %q", s)
	}
}

func FuzzParsePenalty(f *testing.F) {
	for _, s := range penaltyNames {
		f.Add(s)
	}
	f.Add("")
	f.Add("abort ")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePenalty(s)
		if err == nil && p.String() != s {
			t.Fatalf("ParsePenalty(%q) = %v, which prints as %q", s, p, p.String())
		}
	})
}

// Messages are built from numbers the pledged process chooses: any of
// them must give one printable line, never a panic.
func FuzzViolationMessage(f *testing.F) {
	f.Add(int32(41), uint32(0xc000003e), uint64(2), uint64(1), uint64(0), uint64(0), uint64(0), uint64(0), uint64(3))
	f.Add(int32(-1), uint32(0), ^uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Add(int32(257), uint32(0xc000003e), uint64(0xffffff9c), uint64(0), uint64(0o102), uint64(0), uint64(0), uint64(0), uint64(1<<40))
	f.Fuzz(func(t *testing.T, n int32, audit uint32, a0, a1, a2, a3, a4, a5, set uint64) {
		v := violation{Arch: "amd64", Audit: audit, Nr: n, Args: [6]uint64{a0, a1, a2, a3, a4, a5}, Pledged: promises.Set(set), Who: "x[1]"}
		s := v.String()
		if !strings.HasPrefix(s, "pledge: denied ") || strings.ContainsAny(s, "\n\r") {
			t.Fatalf("bad message %q", s)
		}
	})
}
