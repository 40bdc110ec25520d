package syscalls

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/syscalls/linux_amd64"
	"github.com/pledgekit/pledgekit/syscalls/linux_arm64"
)

func mustArch(t *testing.T, a string) *Table {
	t.Helper()
	tb, err := ByArch(a)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestByArch(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"amd64", "amd64"}, {"x86_64", "amd64"}, {"arm64", "arm64"}, {"aarch64", "arm64"},
	} {
		tb, err := ByArch(c.in)
		if err != nil || tb.Arch != c.want {
			t.Errorf("ByArch(%q) = %v, %v; want %s", c.in, tb, err, c.want)
		}
	}
	for _, bad := range []string{"", "386", "riscv64", "AMD64", "arm"} {
		tb, err := ByArch(bad)
		if tb != nil || !errors.Is(err, ErrUnknownArch) {
			t.Errorf("ByArch(%q) = %v, %v; want ErrUnknownArch", bad, tb, err)
		}
		if err != nil && !strings.Contains(err.Error(), "amd64") {
			t.Errorf("error %q should list supported arches", err)
		}
	}
	if got := Arches(); !slices.Equal(got, []string{"amd64", "arm64"}) {
		t.Errorf("Arches() = %v", got)
	}
}

func TestNative(t *testing.T) {
	tb, err := Native()
	switch runtime.GOARCH {
	case "amd64", "arm64":
		if err != nil || tb.Arch != runtime.GOARCH {
			t.Fatalf("Native() = %v, %v", tb, err)
		}
	default:
		if !errors.Is(err, ErrUnknownArch) {
			t.Fatalf("Native() on %s = %v, want ErrUnknownArch", runtime.GOARCH, err)
		}
	}
}

func TestArchConstants(t *testing.T) {
	amd, arm := mustArch(t, "amd64"), mustArch(t, "arm64")
	if amd.AuditArch != 0xc000003e || arm.AuditArch != 0xc00000b7 {
		t.Errorf("AuditArch = %#x, %#x", amd.AuditArch, arm.AuditArch)
	}
	if amd.X32SyscallBit != 0x40000000 || arm.X32SyscallBit != 0 {
		t.Errorf("X32SyscallBit = %#x, %#x", amd.X32SyscallBit, arm.X32SyscallBit)
	}
	if amd.Kernel == "" || amd.Kernel != arm.Kernel {
		t.Errorf("Kernel = %q, %q", amd.Kernel, arm.Kernel)
	}
}

func TestKnownNumbers(t *testing.T) {
	amd, arm := mustArch(t, "amd64"), mustArch(t, "arm64")
	for _, c := range []struct {
		tb   *Table
		name string
		nr   uint32
	}{
		{amd, "read", 0}, {amd, "openat", 257}, {amd, "newfstatat", 262}, {amd, "clone3", 435},
		{amd, "open", 2}, {amd, "fork", 57}, {amd, "arch_prctl", 158}, {amd, "exit_group", 231},
		{arm, "read", 63}, {arm, "openat", 56}, {arm, "newfstatat", 79}, {arm, "fstat", 80},
		{arm, "clone", 220}, {arm, "clone3", 435}, {arm, "renameat", 38}, {arm, "getrlimit", 163},
		{arm, "memfd_secret", 447}, {arm, "exit_group", 94},
	} {
		nr, ok := c.tb.Number(c.name)
		if !ok || nr != c.nr {
			t.Errorf("%s %s = %d, %v; want %d", c.tb.Arch, c.name, nr, ok, c.nr)
		}
		if n, ok := c.tb.Name(c.nr); !ok || n != c.name {
			t.Errorf("%s Name(%d) = %q, %v; want %s", c.tb.Arch, c.nr, n, ok, c.name)
		}
	}
	// arm64 has only the modern forms, and no 32-bit-only calls.
	for _, name := range []string{"open", "stat", "lstat", "fork", "vfork", "dup2", "pipe", "poll", "select",
		"epoll_wait", "epoll_create", "fstatat", "access", "unlink", "rename", "arch_prctl",
		"clock_gettime64", "futex_time64", "fcntl64", "mmap2", "fstatat64", "statfs64"} {
		if nr, ok := arm.Number(name); ok {
			t.Errorf("arm64 has %s = %d, want absent", name, nr)
		}
		if arm.Has(name) {
			t.Errorf("arm64 Has(%s)", name)
		}
	}
	for _, name := range []string{"fstatat", "clock_gettime64", "fcntl64"} {
		if amd.Has(name) {
			t.Errorf("amd64 has %s, want absent", name)
		}
	}
	if _, ok := amd.Name(600); ok {
		t.Error("amd64 Name(600) found")
	}
	if _, ok := amd.Name(512); ok {
		t.Error("amd64 lists the x32 number 512")
	}
}

func TestNamesAndRoundTrip(t *testing.T) {
	for _, a := range Arches() {
		tb := mustArch(t, a)
		names := tb.Names()
		if len(names) != tb.Len() || len(names) < 300 {
			t.Fatalf("%s: %d names, Len %d", a, len(names), tb.Len())
		}
		if !slices.IsSorted(names) {
			t.Errorf("%s: Names not sorted", a)
		}
		var maxNr uint32
		for _, n := range names {
			nr, ok := tb.Number(n)
			if !ok {
				t.Fatalf("%s: %s listed but has no number", a, n)
			}
			back, ok := tb.Name(nr)
			if !ok || back != n {
				t.Errorf("%s: Name(Number(%s)) = %q", a, n, back)
			}
			maxNr = max(maxNr, nr)
		}
		if tb.Max() != maxNr {
			t.Errorf("%s: Max = %d, want %d", a, tb.Max(), maxNr)
		}
		names[0] = "mutated"
		if tb.Names()[0] == "mutated" {
			t.Errorf("%s: Names returns shared storage", a)
		}
	}
}

// xsysNumbers reads golang.org/x/sys/unix's zsysnum_linux_<arch>.go of the
// module version go.mod pins, for any arch regardless of the host.
func xsysNumbers(t *testing.T, arch string) map[string]uint32 {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil {
		t.Fatalf("locating golang.org/x/sys: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		t.Fatal("golang.org/x/sys is not in the module cache; run `go mod download golang.org/x/sys`")
	}
	data, err := os.ReadFile(filepath.Join(dir, "unix", "zsysnum_linux_"+arch+".go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*SYS_(\w+)\s*=\s*(\d+)\s*$`)
	m := map[string]uint32{}
	for _, g := range re.FindAllStringSubmatch(string(data), -1) {
		n, err := strconv.ParseUint(g[2], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		m[g[1]] = uint32(n)
	}
	if len(m) < 300 {
		t.Fatalf("only %d SYS_ constants parsed for %s", len(m), arch)
	}
	return m
}

// TestAgainstXSys cross-checks every number against golang.org/x/sys/unix,
// which is generated from the kernel headers independently of our source.
func TestAgainstXSys(t *testing.T) {
	// Constants x/sys has that are not syscalls of our pinned kernel:
	// __NR_arch_specific_syscall is a range marker, and x/sys may be
	// generated from a newer kernel than ours.
	notSyscalls := map[string]bool{"ARCH_SPECIFIC_SYSCALL": true}
	for _, a := range Arches() {
		tb := mustArch(t, a)
		xs := xsysNumbers(t, a)
		for _, n := range tb.Names() {
			nr, _ := tb.Number(n)
			x, ok := xs[strings.ToUpper(n)]
			if !ok {
				t.Errorf("%s: %s (%d) unknown to x/sys", a, n, nr)
			} else if x != nr {
				t.Errorf("%s: %s = %d, x/sys says %d", a, n, nr, x)
			}
		}
		// Every x/sys syscall up to our highest number must be ours too.
		for xn, x := range xs {
			if notSyscalls[xn] || x > tb.Max() {
				continue
			}
			if n, ok := tb.Name(x); !ok || strings.ToUpper(n) != xn {
				t.Errorf("%s: x/sys SYS_%s = %d missing (we have %q)", a, xn, x, n)
			}
		}
	}
}

// TestGeneratedPackages checks the generated packages' own API against the
// Table built on it, and that what they return is the caller's to change.
func TestGeneratedPackages(t *testing.T) {
	for _, g := range []struct {
		arch    string
		numbers func() map[string]uint32
		names   func() []string
		count   int
		maxNr   uint32
	}{
		{"amd64", linux_amd64.Numbers, linux_amd64.Names, linux_amd64.Count, linux_amd64.MaxNr},
		{"arm64", linux_arm64.Numbers, linux_arm64.Names, linux_arm64.Count, linux_arm64.MaxNr},
	} {
		tb := mustArch(t, g.arch)
		m := g.numbers()
		if len(m) != g.count || tb.Len() != g.count || tb.Max() != g.maxNr {
			t.Errorf("%s: %d numbers, Count %d, Len %d, Max %d, MaxNr %d", g.arch, len(m), g.count, tb.Len(), tb.Max(), g.maxNr)
		}
		if names := g.names(); !slices.Equal(names, tb.Names()) || len(names) != len(m) {
			t.Errorf("%s: Names() differs from the Table's", g.arch)
		}
		for n, nr := range m {
			if got, ok := tb.Number(n); !ok || got != nr {
				t.Errorf("%s: Numbers()[%s] = %d, Table says %d, %v", g.arch, n, nr, got, ok)
			}
		}
		m["read"] = 9999
		delete(m, "write")
		g.names()[0] = "mutated"
		if nr, _ := tb.Number("read"); nr == 9999 || !tb.Has("write") || g.numbers()["read"] == 9999 || g.names()[0] == "mutated" {
			t.Errorf("%s: changing what Numbers or Names returned changed the table", g.arch)
		}
	}
}
