package promises

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/syscalls"
)

type ownedRule struct {
	owner string // promise name, or "baseline"
	set   Set    // what must be pledged for the rule to apply
	Rule
}

func allRules() []ownedRule {
	var out []ownedRule
	for _, r := range Baseline() {
		out = append(out, ownedRule{"baseline", 0, r})
	}
	for _, p := range All() {
		for _, r := range Rules(p) {
			out = append(out, ownedRule{p.String(), r.Also.With(p), r})
		}
	}
	return out
}

func TestRuleWellFormed(t *testing.T) {
	for _, r := range allRules() {
		where := fmt.Sprintf("%s: %s %+v", r.owner, r.Syscall, r.Args)
		if r.Syscall == "" {
			t.Errorf("%s: empty syscall name", where)
		}
		switch r.Action {
		case Allow:
			if r.Errno != 0 {
				t.Errorf("%s: Allow rule with errno %d", where, r.Errno)
			}
		case Errno:
			if r.Errno == 0 || r.Errno > 4095 {
				t.Errorf("%s: bad errno %d", where, r.Errno)
			}
		default:
			t.Errorf("%s: bad action %d", where, r.Action)
		}
		if r.Arch != "" && r.Arch != "amd64" && r.Arch != "arm64" {
			t.Errorf("%s: bad arch %q", where, r.Arch)
		}
		if p, ok := Lookup(r.owner); ok && r.Also.Has(p) {
			t.Errorf("%s: Also contains the owner", where)
		}
		for _, q := range r.Also.Promises() {
			if !Describe(q).Linux {
				t.Errorf("%s: Also names %v, which means nothing on Linux", where, q)
			}
		}
		seen := map[uint8]bool{}
		for _, c := range r.Args {
			if c.Arg > 5 {
				t.Errorf("%s: argument index %d", where, c.Arg)
			}
			if c.Width != W32 && c.Width != W64 {
				t.Errorf("%s: width %d", where, c.Width)
			}
			if c.Value&^c.EffectiveMask() != 0 {
				t.Errorf("%s: value %#x has bits outside mask %#x (never matches)", where, c.Value, c.EffectiveMask())
			}
			if seen[c.Arg] {
				// Allowed, but every current rule uses one condition per
				// argument; a second one is probably a mistake.
				t.Errorf("%s: two conditions on arg%d", where, c.Arg)
			}
			seen[c.Arg] = true
		}
	}
}

// TestSyscallNamesExist checks the table's names against the generated
// syscall tables: every name exists on at least one arch, and a rule
// restricted to an arch names a syscall of that arch.
func TestSyscallNamesExist(t *testing.T) {
	tables := map[string]*syscalls.Table{}
	for _, a := range syscalls.Arches() {
		tb, err := syscalls.ByArch(a)
		if err != nil {
			t.Fatal(err)
		}
		tables[a] = tb
	}
	for _, r := range allRules() {
		if r.Arch != "" {
			tb, ok := tables[r.Arch]
			if !ok || !tb.Has(r.Syscall) {
				t.Errorf("%s: %s rule names %s, which %s lacks", r.owner, r.Arch, r.Syscall, r.Arch)
			}
			continue
		}
		found := false
		for _, tb := range tables {
			found = found || tb.Has(r.Syscall)
		}
		if !found {
			t.Errorf("%s: %s exists on no architecture", r.owner, r.Syscall)
		}
	}
	// The names the Go runtime uses on each arch are present in stdio.
	for arch, names := range map[string][]string{
		"amd64": {"arch_prctl", "epoll_pwait", "pipe2", "newfstatat", "fstat"},
		"arm64": {"epoll_pwait", "pipe2", "newfstatat", "fstat"},
	} {
		for _, n := range names {
			if !tables[arch].Has(n) {
				t.Errorf("%s lacks %s", arch, n)
			}
		}
	}
}

// overlap reports whether some argument vector satisfies both condition
// lists (each a conjunction of masked equalities).
func overlap(x, y []Cond) bool {
	var mask, val [6]uint64
	for _, c := range append(append([]Cond(nil), x...), y...) {
		m := c.EffectiveMask()
		common := mask[c.Arg] & m
		if val[c.Arg]&common != c.Value&common {
			return false
		}
		mask[c.Arg] |= m
		val[c.Arg] |= c.Value & m
	}
	return true
}

// TestErrnoRulesShadowNoAllow: Errno rules win over Allow rules, so an
// Errno rule must never match a call some promise's Allow rule allows;
// otherwise pledging that promise would not work.
func TestErrnoRulesShadowNoAllow(t *testing.T) {
	rules := allRules()
	for _, e := range rules {
		if e.Action != Errno {
			continue
		}
		for _, r := range rules {
			if r.Action != Allow || r.Syscall != e.Syscall {
				continue
			}
			if e.Arch != "" && r.Arch != "" && e.Arch != r.Arch {
				continue
			}
			if overlap(e.Args, r.Args) {
				t.Errorf("%s's errno rule %s%v shadows %s's allow rule %v", e.owner, e.Syscall, e.Args, r.owner, r.Args)
			}
		}
	}
	// The overlap check itself.
	for _, c := range []struct {
		x, y []Cond
		want bool
	}{
		{[]Cond{eq(0, 1)}, []Cond{eq(0, 2)}, false},
		{[]Cond{eq(0, 1)}, []Cond{eq(1, 2)}, true},
		{[]Cond{eq(0, 1)}, []Cond{masked(0, 0xf0, 0)}, true},
		{[]Cond{eq(0, 1)}, []Cond{eq64(0, 1<<33|1)}, true},
		{[]Cond{eq(0, 1)}, []Cond{eq64(0, 1<<33)}, false},
		{nil, []Cond{eq(2, 5)}, true},
	} {
		if got := overlap(c.x, c.y); got != c.want {
			t.Errorf("overlap(%v, %v) = %v", c.x, c.y, got)
		}
	}
}

func TestOpenBSDOnlyPromises(t *testing.T) {
	want := "tmppath tape ps pf wroute audio video bpf disklabel drm vmm"
	var got []string
	for _, p := range All() {
		i := Describe(p)
		if i.Name != p.String() || i.Summary == "" {
			t.Errorf("Describe(%v) = %+v", p, i)
		}
		if i.Linux {
			if !linuxSet().Has(p) {
				t.Errorf("%v: Linux but not in LinuxSet", p)
			}
			continue
		}
		got = append(got, p.String())
		if linuxSet().Has(p) {
			t.Errorf("%v: in LinuxSet", p)
		}
		if Rules(p) != nil || Syscalls(p) != nil || ImpliedPaths(p) != nil {
			t.Errorf("%v is OpenBSD-only but grants something", p)
		}
		if p == Tmppath {
			if !strings.Contains(i.Summary, "refuses") {
				t.Errorf("Describe(tmppath).Summary does not say Parse refuses it: %q", i.Summary)
			}
		} else if !strings.Contains(i.Summary, "ignored") {
			t.Errorf("Describe(%v).Summary does not say it is ignored: %q", p, i.Summary)
		}
		// Adding it to a set changes no decision.
		for _, sys := range []string{"ioctl", "openat", "socket", "sysctl", "read"} {
			for _, args := range [][6]uint64{a(), a(3, tcgets), a(0, 0, oRdwr), a(afNetlink, sockRaw, 0)} {
				r1, ok1 := Decide(Of(Stdio), "amd64", sys, args)
				r2, ok2 := Decide(Of(Stdio, p), "amd64", sys, args)
				if ok1 != ok2 || r1.Syscall != r2.Syscall {
					t.Errorf("adding %v changes Decide(%s%v)", p, sys, args)
				}
			}
		}
	}
	if strings.Join(got, " ") != want {
		t.Errorf("OpenBSD-only promises = %q, want %q", strings.Join(got, " "), want)
	}
	// Linux promises without system calls, by design.
	for _, p := range All() {
		if Describe(p).Linux && Rules(p) == nil && p != Error && p != Getpw && p != Vminfo && p != Unveil {
			t.Errorf("%v means something on Linux but has no rules", p)
		}
	}
	// Grants says whether the promise has rules of its own.
	for _, p := range All() {
		if got, want := Describe(p).Grants, Rules(p) != nil; got != want {
			t.Errorf("Describe(%v).Grants = %v, want %v", p, got, want)
		}
	}
	if i := Describe(Promise(99)); i.Linux || i.Grants || i.Name == "" {
		t.Errorf("Describe(99) = %+v", i)
	}
}

// openOracle independently states which promises an open needs, or
// returns ok=false if no promise set may make it.
func openOracle(flags, mode uint64) (need Set, ok bool) {
	flags &= 0xffffffff // int argument
	mode &= 0xffffffff
	acc := flags & 3
	creat := flags&0o100 != 0
	tmpfile := flags&0o20000000 != 0
	if acc == 3 || (creat && tmpfile) || (tmpfile && acc == 0) {
		return 0, false
	}
	if (creat || tmpfile) && mode&0o7000 != 0 {
		return 0, false
	}
	if acc == 0 || acc == 2 {
		need = need.With(Rpath)
	}
	if acc == 1 || acc == 2 || flags&0o1000 != 0 {
		need = need.With(Wpath)
	}
	if creat || tmpfile {
		need = need.With(Cpath)
	}
	return need, true
}

// TestOpenMatrix checks every combination of the deciding open flags, with
// arch-specific and irrelevant flags mixed in, under every subset of
// rpath/wpath/cpath, on both arches and for open and openat.
func TestOpenMatrix(t *testing.T) {
	// Flags that must not change the decision, with their per-arch values.
	extra := map[string][]uint64{
		"amd64": {0, 0o2000000 /* O_CLOEXEC */, 0o200000 /* O_DIRECTORY */, 0o400000 /* O_NOFOLLOW */, 0o40000, /* O_DIRECT */
			0o4000 /* O_NONBLOCK */, 0o2000 /* O_APPEND */, 0o200 /* O_EXCL */, 0o10000000 /* O_PATH */, 1 << 32, 0xffffffff00000000},
		"arm64": {0, 0o2000000, 0o40000 /* O_DIRECTORY */, 0o100000 /* O_NOFOLLOW */, 0o200000 /* O_DIRECT */, 0o400000, /* O_LARGEFILE */
			0o4000, 0o2000, 0o200, 0o10000000, 1 << 32},
	}
	modes := []uint64{0, 0o644, 0o777, 0o1777, 0o2755, 0o4755, 0o644 | 1<<32}
	subsets := []Set{0}
	for _, p := range []Promise{Rpath, Wpath, Cpath} {
		for _, s := range subsets {
			subsets = append(subsets, s.With(p))
		}
	}
	n := 0
	for arch, extras := range extra {
		for _, sys := range []struct {
			name        string
			flags, mode int
		}{{"openat", 2, 3}, {"open", 1, 2}} {
			if sys.name == "open" && arch == "arm64" {
				continue // no open(2) on arm64
			}
			for acc := uint64(0); acc < 4; acc++ {
				for _, trunc := range []uint64{0, oTrunc} {
					for _, create := range []uint64{0, oCreat, oTmpfileB, oCreat | oTmpfileB} {
						for _, x := range extras {
							for _, mode := range modes {
								flags := acc | trunc | create | x
								need, possible := openOracle(flags, mode)
								var args [6]uint64
								args[sys.flags], args[sys.mode] = flags, mode
								for _, sub := range subsets {
									s := sub.With(Stdio)
									_, ok := Decide(s, arch, sys.name, args)
									want := possible && need.SubsetOf(s)
									if ok != want {
										t.Fatalf("%s %s(flags %#o, mode %#o) under %q: ok=%v, want %v (needs %q)",
											arch, sys.name, flags, mode, s, ok, want, need)
									}
									n++
								}
								if possible {
									reqs := Requirements(arch, sys.name, args)
									if len(reqs) != 1 || reqs[0] != need {
										t.Fatalf("%s %s(%#o): Requirements = %v, want [%v]", arch, sys.name, flags, reqs, need)
									}
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d open decisions checked", n)
	// cpath alone never opens an existing file, read-write or otherwise.
	for _, acc := range []uint64{oRdonly, oWronly, oRdwr} {
		if _, ok := Decide(MustParse("stdio cpath"), "amd64", "openat", a(0, 0, acc)); ok {
			t.Errorf("cpath alone opens with access mode %d", acc)
		}
	}
}

func TestImpliedPaths(t *testing.T) {
	for _, p := range All() {
		seen := map[string]bool{}
		for _, ip := range ImpliedPaths(p) {
			if !path.IsAbs(ip.Path) || path.Clean(ip.Path) != ip.Path {
				t.Errorf("%v: path %q is not absolute and clean", p, ip.Path)
			}
			if ip.Perm == "" || strings.Trim(ip.Perm, "rwxc") != "" {
				t.Errorf("%v: %s has bad permissions %q", p, ip.Path, ip.Perm)
			}
			if seen[ip.Path] {
				t.Errorf("%v: %s listed twice", p, ip.Path)
			}
			seen[ip.Path] = true
		}
	}
	has := func(p Promise, file, perm string) {
		t.Helper()
		for _, ip := range ImpliedPaths(p) {
			if ip.Path == file {
				if ip.Perm != perm {
					t.Errorf("%v: %s has %q, want %q", p, file, ip.Perm, perm)
				}
				return
			}
		}
		t.Errorf("%v does not imply %s", p, file)
	}
	has(Stdio, "/dev/null", "rw")
	has(Stdio, "/dev/urandom", "r")
	has(Stdio, "/etc/localtime", "r")
	has(Stdio, "/usr/share/zoneinfo", "r")
	has(DNS, "/etc/resolv.conf", "r")
	has(DNS, "/etc/hosts", "r")
	has(DNS, "/etc/nsswitch.conf", "r")
	has(Inet, "/etc/ssl/certs", "r")
	has(Inet, "/usr/share/ca-certificates", "r")
	has(TTY, "/dev/tty", "rw")
	has(Rpath, "/proc/filesystems", "r")
	has(Vminfo, "/proc/meminfo", "r")
	has(Getpw, "/etc/passwd", "r")
	has(Exec, "/usr/lib", "rx")
	for _, p := range []Promise{Unveil, Error, Proc, ID, Settime} {
		if ImpliedPaths(p) != nil {
			t.Errorf("%v implies paths", p)
		}
	}
	// No secrets: nothing under private key or shadow directories.
	for _, p := range All() {
		for _, ip := range ImpliedPaths(p) {
			if strings.Contains(ip.Path, "private") || strings.Contains(ip.Path, "shadow") || ip.Path == "/" || ip.Path == "/etc" || ip.Path == "/proc" {
				t.Errorf("%v implies a sensitive path %s", p, ip.Path)
			}
		}
	}
	ip := ImpliedPaths(Stdio)
	ip[0].Path = "mutated"
	if ImpliedPaths(Stdio)[0].Path == "mutated" {
		t.Error("ImpliedPaths returns shared storage")
	}
}

// TestStdioCoversGoRuntime lists, per arch, the calls (with the arguments
// the Go runtime uses) the runtime makes once main runs; the inventory test
// in internal/inventory measures the same on the running kernel.
func TestStdioCoversGoRuntime(t *testing.T) {
	runtimeCalls := []struct {
		sys  string
		args [6]uint64
	}{
		{"read", a()}, {"write", a()}, {"close", a()}, {"munmap", a()}, {"madvise", a(0, 0, 4)},
		{"mmap", a(0, 1<<20, protReadWrite, 0x22, ^uint64(0), 0)}, {"mincore", a()},
		{"rt_sigaction", a()}, {"rt_sigprocmask", a()}, {"rt_sigreturn", a()}, {"sigaltstack", a()},
		{"sched_yield", a()}, {"nanosleep", a()}, {"getpid", a()}, {"gettid", a()},
		{"tgkill", a(100, 101, 23)}, {"kill", a(100, 3)}, {"futex", a()}, {"exit", a()}, {"exit_group", a()},
		{"sched_getaffinity", a()}, {"pread64", a()}, {"fcntl", a(0, fGetfd)}, {"fcntl", a(3, fGetfl)},
		{"epoll_create1", a(0x80000)}, {"epoll_ctl", a()}, {"epoll_pwait", a()}, {"eventfd2", a()},
		{"pipe2", a()}, {"getrandom", a()}, {"clock_gettime", a()}, {"prctl", a(prSetVMA, 0)},
		{"mprotect", a(0, 4096, protRead)}, {"setitimer", a()}, {"timer_create", a()},
		{"timer_settime", a()}, {"timer_delete", a()}, {"uname", a()}, {"fstat", a()},
		{"prlimit64", a(0, 7, 0, 0x1000)}, {"clone", a(0x50f00)}, {"waitid", a()}, {"dup3", a()},
	}
	for _, arch := range []string{"amd64", "arm64"} {
		for _, c := range runtimeCalls {
			if _, ok := DecideFor(Of(Stdio), 100, arch, c.sys, c.args); !ok {
				t.Errorf("%s: stdio denies the runtime's %s%v", arch, c.sys, c.args)
			}
		}
	}
	if _, ok := Decide(Of(Stdio), "amd64", "clone", a(0xd0f00)); !ok {
		t.Error("stdio denies amd64 runtime threads")
	}
}

func TestLinuxSetParses(t *testing.T) {
	s := linuxSet()
	if s.Has(Audio) || !s.Has(Stdio) || !s.Has(Anet) {
		t.Errorf("LinuxSet = %v", s)
	}
	if got, err := Parse(s.String()); err != nil || got != s {
		t.Errorf("Parse(linuxSet().String()) = %v, %v", got, err)
	}
	if !slices.Contains(Allowing("amd64", "read", a()), Stdio) {
		t.Error("read not allowed by stdio")
	}
}

// TestNoDeviceNodes: under every promise, mknod and mknodat make only
// regular files (type 0 or S_IFREG), FIFOs and sockets, and only with dpath;
// every other type of the 16 (S_IFCHR and S_IFBLK above all) is refused,
// whatever bits above the kernel's 16 are set.
func TestNoDeviceNodes(t *testing.T) {
	allowed := map[uint64]bool{0: true, sIFREG: true, sIFIFO: true, sIFSOCK: true}
	every := linuxSet()
	for typ := uint64(0); typ <= sIFMT; typ += 0o10000 {
		for _, high := range []uint64{0, 1 << 16, 1 << 31, 1 << 32} {
			mode := typ | 0o644 | high
			for _, c := range []struct {
				arch, sys string
				mode      int
				args      [6]uint64
			}{
				{"amd64", "mknod", 1, a(0, mode, 0x801)},
				{"amd64", "mknodat", 2, a(0xffffff9c, 0, mode, 0x801)},
				{"arm64", "mknodat", 2, a(0xffffff9c, 0, mode, 0x801)},
			} {
				_, ok := Decide(every, c.arch, c.sys, c.args)
				if ok != allowed[typ] {
					t.Errorf("%s %s(mode %#o) under every promise: allowed %v, want %v", c.arch, c.sys, mode, ok, allowed[typ])
				}
				if _, ok := Decide(every.Without(Dpath), c.arch, c.sys, c.args); ok {
					t.Errorf("%s %s(mode %#o) allowed without dpath", c.arch, c.sys, mode)
				}
				if ok && (Allowing(c.arch, c.sys, c.args)[0] != Dpath || len(Allowing(c.arch, c.sys, c.args)) != 1) {
					t.Errorf("%s %s(mode %#o) allowed by %v, want dpath alone", c.arch, c.sys, mode, Allowing(c.arch, c.sys, c.args))
				}
				special := c.args
				special[c.mode] |= 0o4000
				if _, ok := Decide(every, c.arch, c.sys, special); ok {
					t.Errorf("%s %s(mode %#o) with S_ISUID allowed", c.arch, c.sys, mode)
				}
			}
		}
	}
}

// TestNoXattrChanges: no promise allows setting or removing extended
// attributes (seccomp cannot read the name: security.capability would be
// a file capability); fattr answers them with EOPNOTSUPP.
func TestNoXattrChanges(t *testing.T) {
	calls := []string{"setxattr", "lsetxattr", "fsetxattr", "removexattr",
		"lremovexattr", "fremovexattr", "setxattrat", "removexattrat"}
	for _, sys := range calls {
		for _, arch := range []string{"amd64", "arm64"} {
			if ps := Allowing(arch, sys, a(0, 0, 0, 0, 0)); len(ps) != 0 {
				t.Errorf("%s %s allowed by %v", arch, sys, ps)
			}
			r, ok := Decide(linuxSet(), arch, sys, a(0, 0, 0, 0, 0))
			if !ok || r.Action != Errno || r.Errno != eOPNOTSUPP {
				t.Errorf("%s %s under every promise = %v %v, want EOPNOTSUPP", arch, sys, r, ok)
			}
			if _, ok := Decide(linuxSet().Without(Fattr), arch, sys, a(0, 0, 0, 0, 0)); ok {
				t.Errorf("%s %s decided without fattr", arch, sys)
			}
		}
	}
}

// TestUnixDatagramsByPath: the promise sets that can send to a unix
// datagram socket by path without "unix" (socketpair is stdio's, the
// addressed send inet's, dns's, route's or sendfd's).
func TestUnixDatagramsByPath(t *testing.T) {
	for _, c := range []struct {
		set  string
		want bool
	}{
		{"stdio inet", true},
		{"stdio dns", true},
		{"stdio sendfd", true},
		{"stdio route", true}, // sendto for netlink requests, any address
		{"stdio rpath wpath cpath inet dns", true},
		{"stdio", false},
		{"stdio recvfd", false},
		{"stdio anet", false}, // no addressed send, no sendmsg
		{"stdio unix", false}, // promised
		{"stdio inet unix", false},
		{"inet", false}, // no socketpair without stdio
		{"stdio rpath wpath cpath dpath fattr proc exec", false},
	} {
		for _, arch := range []string{"amd64", "arm64"} {
			if got := UnixDatagramsByPath.In(MustParse(c.set), arch); got != c.want {
				t.Errorf("UnixDatagramsByPath(%q, %s) = %v, want %v", c.set, arch, got, c.want)
			}
		}
	}
	// Exactly the sets with stdio, without unix, and with one of the
	// promises that grant an addressed send.
	for _, p := range All() {
		s := MustParse("stdio").With(p)
		want := p == Inet || p == DNS || p == Sendfd || p == Route
		if got := UnixDatagramsByPath.In(s, "amd64"); got != want {
			t.Errorf("stdio %s: %v, want %v", p, got, want)
		}
	}
}

// TestStatByPath: the sets whose fstat rule also stats paths without
// rpath.
func TestStatByPath(t *testing.T) {
	for _, c := range []struct {
		set  string
		want bool
	}{
		{"stdio", true},
		{"stdio inet proc exec", true},
		{"stdio rpath", false},
		{"inet", false},
		{"", false},
	} {
		for _, arch := range []string{"amd64", "arm64"} {
			if got := StatByPath.In(MustParse(c.set), arch); got != c.want {
				t.Errorf("StatByPath(%q, %s) = %v, want %v", c.set, arch, got, c.want)
			}
		}
	}
}

// linuxSet returns the set of promises that have a meaning on Linux
// (Describe(p).Linux); the others are accepted and ignored.
func linuxSet() Set {
	var s Set
	for p := Promise(0); p < numPromises; p++ {
		if infos[p].Linux {
			s = s.With(p)
		}
	}
	return s
}

// TestHoles: Holes lists exactly the holes whose In holds, in constant
// order, and every hole has a name and a reason.
func TestHoles(t *testing.T) {
	all := []Hole{StatByPath, UnixDatagramsByPath}
	for _, set := range []string{"", "stdio", "stdio rpath", "stdio inet", "stdio rpath inet", "stdio unix", linuxSet().String()} {
		s := MustParse(set)
		for _, arch := range []string{"amd64", "arm64"} {
			var want []Hole
			for _, h := range all {
				if h.In(s, arch) {
					want = append(want, h)
				}
			}
			if got := Holes(s, arch); !slices.Equal(got, want) {
				t.Errorf("Holes(%q, %s) = %v, want %v", set, arch, got, want)
			}
		}
	}
	if got := Holes(MustParse("stdio inet"), "amd64"); !slices.Equal(got, all) {
		t.Errorf("Holes(stdio inet) = %v, want %v", got, all)
	}
	for _, h := range all {
		if h.String() == "" || strings.HasPrefix(h.String(), "hole(") || h.Reason() == "" {
			t.Errorf("hole %d: name %q, reason %q", h, h.String(), h.Reason())
		}
	}
	if StatByPath.LandlockABI() != 0 || UnixDatagramsByPath.LandlockABI() != 9 {
		t.Errorf("LandlockABI: stat %d, datagrams %d", StatByPath.LandlockABI(), UnixDatagramsByPath.LandlockABI())
	}
	if bad := Hole(99); bad.In(linuxSet(), "amd64") || bad.Reason() != "" || bad.String() != "hole(99)" || bad.LandlockABI() != 0 {
		t.Errorf("Hole(99): %v %q %q %d", bad.In(linuxSet(), "amd64"), bad.Reason(), bad.String(), bad.LandlockABI())
	}
}
