package main

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/internal/filter"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/syscalls"
)

// The filter half of issue #17's parity test: for every promise alone and
// a few realistic sets, on amd64 and arm64, the command's seccomp filter
// (compiled by plan.compile, as the command compiles it) and the library's
// (pledge.Program, what pledge.Apply installs first) are run in the
// userspace interpreter (filter.Run) over every system call of the table,
// with argument vectors that satisfy and break every condition of every
// rule of the table. Their verdicts must be identical, deny action
// included, except for the differences listed in filterDiffs, each with
// its reason, and the supervised deny action under "error" (denyWhy). Any
// other difference is a bug of one side: the library is the reference.

// filterCase is one way the command runs a program, and the library's
// penalty whose deny action the command's filter must use.
type filterCase struct {
	name    string
	mode    mode
	dynamic bool // the program has an ELF interpreter or shared libraries
	kill    bool // -k
	trace   bool // --trace
	penalty pledge.Penalty
}

// filterCases: -q (and --exec) executes the program directly, denied calls
// fail with EPERM (the library's PenaltyEPERM) or, with -k, end the
// process (PenaltyKill); supervised, the default, hands denied calls to
// the supervisor by user notification, as PenaltyAbort does (the
// supervisor prints the call and the promise that would allow it, then
// fails it with plan.denyErrno, or with -k kills the program, as
// PenaltyAbort does: the filters are the same). Under the "error" promise
// the library's filter fails calls with ENOSYS (commandDeny, denyWhy).
var filterCases = []filterCase{
	{name: "-q static", mode: modeDirect, penalty: pledge.PenaltyEPERM},
	{name: "-q dynamic", mode: modeDirect, dynamic: true, penalty: pledge.PenaltyEPERM},
	{name: "-q -k static", mode: modeDirect, kill: true, penalty: pledge.PenaltyKill},
	{name: "-q -k dynamic", mode: modeDirect, dynamic: true, kill: true, penalty: pledge.PenaltyKill},
	{name: "supervised static", mode: modeSupervised, penalty: pledge.PenaltyAbort},
	{name: "supervised dynamic", mode: modeSupervised, dynamic: true, penalty: pledge.PenaltyAbort},
	{name: "supervised -k dynamic", mode: modeSupervised, dynamic: true, kill: true, penalty: pledge.PenaltyAbort},
	{name: "supervised --trace dynamic", mode: modeSupervised, dynamic: true, trace: true, penalty: pledge.PenaltyAbort},
}

// testNoFile is the -O the tests' plans have: the listener hand-off
// descriptor is testNoFile+1.
const testNoFile = 64

// filterDiff is an intended difference between the command's filter and
// the library's, with its reason: when it applies, the calls that one of
// calls matches get the command's deny action whatever the library's
// filter says (drop: the supervisor answers them), or are allowed unless
// a promise's rule fails them with an errno of its own (an allowance: an
// errno rule beats any allow, in the compiler as in promises.Decide).
type filterDiff struct {
	why   string
	when  func(c filterCase, set promises.Set) bool
	calls []promises.Rule
	drop  bool   // the command's deny action (the supervisor answers), else an allowance
	errno uint16 // the calls fail with this errno (an errno rule), not an allowance
}

var (
	// Conditions of the loader's allowances, written out here so that a
	// change in plan.compile fails the test.
	mmapFileExec = []promises.Cond{
		{Arg: 2, Width: promises.W32, Mask: ^uint64(0x1 | 0x4), Value: 0}, // prot within PROT_READ|PROT_EXEC
		{Arg: 3, Width: promises.W32, Mask: 0x20, Value: 0},               // not MAP_ANONYMOUS
	}
	readOnlyFlags = uint64(3 | 0o100 | 0o1000 | 0o20000000) // O_ACCMODE|O_CREAT|O_TRUNC|__O_TMPFILE
)

// filterDiffs is the complete list of intended differences.
var filterDiffs = []filterDiff{{
	why: "supervised: every execve and execveat reaches the supervisor; the first is unveil's own (continued), later ones are judged by the exec promise and the program's #! chain, and Landlock limits what runs",
	when: func(c filterCase, _ promises.Set) bool {
		return c.mode == modeSupervised
	},
	calls: []promises.Rule{{Syscall: "execve"}, {Syscall: "execveat"}},
	drop:  true,
}, {
	why: "supervised --trace: path calls reach the supervisor, which lets through what the promises allow and names the missing unveil of what Landlock will refuse",
	when: func(c filterCase, _ promises.Set) bool {
		return c.mode == modeSupervised && c.trace
	},
	calls: ruleNames("open", "openat", "creat", "mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename",
		"renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "truncate", "mknod", "mknodat"),
	drop: true,
}, {
	why: "supervised: the stage hands the seccomp listener to the supervisor with sendmsg on a descriptor above the program's descriptor limit (-O), which the program can never hold",
	when: func(c filterCase, _ promises.Set) bool {
		return c.mode == modeSupervised
	},
	calls: []promises.Rule{{Syscall: "sendmsg", Args: []promises.Cond{{Arg: 0, Width: promises.W32, Value: testNoFile + 1}}}},
}, {
	why: "-q without exec: the filter is installed before unveil executes the program, so execve stays allowed; the promises' Landlock layer lets only the program and its interpreters be executed",
	when: func(c filterCase, set promises.Set) bool {
		return c.mode == modeDirect && !set.Has(promises.Exec)
	},
	calls: []promises.Rule{{Syscall: "execve"}},
}, {
	why: "a dynamic program without prot_exec: its loader maps the libraries executable from files (PROT_READ|PROT_EXEC, not anonymous); anonymous executable memory (W^X) stays refused",
	when: func(c filterCase, set promises.Set) bool {
		return c.dynamic && !set.Has(promises.ProtExec)
	},
	calls: []promises.Rule{{Syscall: "mmap", Args: mmapFileExec}},
}, {
	why: "-q, a dynamic program without rpath: its loader opens its files read-only (no O_CREAT, O_TRUNC, O_TMPFILE); the promises' Landlock layer limits which files (supervised, the supervisor judges these opens)",
	when: func(c filterCase, set promises.Set) bool {
		return c.mode == modeDirect && c.dynamic && !set.Has(promises.Rpath)
	},
	calls: []promises.Rule{
		{Syscall: "openat", Args: []promises.Cond{{Arg: 2, Width: promises.W32, Mask: readOnlyFlags}}},
		{Syscall: "open", Args: []promises.Cond{{Arg: 1, Width: promises.W32, Mask: readOnlyFlags}}},
	},
}, {
	why: "-q, a dynamic program without rpath: the access family fails with EPERM whatever the deny action, as the supervisor answers it: glibc's loader asks access(\"/etc/ld.so.preload\") at every start, and -k killed every such program there (only rpath allows these calls)",
	when: func(c filterCase, set promises.Set) bool {
		return c.mode == modeDirect && c.dynamic && !set.Has(promises.Rpath)
	},
	calls: ruleNames("access", "faccessat", "faccessat2"),
	errno: 1, // EPERM
}}

func ruleNames(names ...string) []promises.Rule {
	out := make([]promises.Rule, len(names))
	for i, n := range names {
		out[i] = promises.Rule{Syscall: n}
	}
	return out
}

// paritySets: every promise alone, then realistic sets.
func paritySets() []promises.Set {
	var out []promises.Set
	for _, p := range promises.All() {
		if _, err := promises.Parse(p.String()); err == nil { // not a removed promise (tmppath)
			out = append(out, promises.Of(p))
		}
	}
	for _, s := range []string{"stdio", "stdio rpath", "stdio inet dns", "stdio proc exec", "stdio rpath wpath cpath",
		"stdio rpath prot_exec", "stdio rpath inet dns unix", "stdio rpath proc exec prot_exec tty", "stdio error"} {
		out = append(out, promises.MustParse(s))
	}
	return out
}

// commandFilter compiles the command's filter for set on arch as plan.compile
// does for a program run as c says.
func commandFilter(t testing.TB, c filterCase, set promises.Set, arch string) *filter.Program {
	t.Helper()
	p := &plan{Mode: c.mode, set: set, rep: &report.Report{}, kill: c.kill, trace: c.trace, UID: -1, GID: -1, SockFd: -1,
		NoFile: &rlim{Name: "nofile", Cur: testNoFile, Max: testNoFile}}
	if err := p.compile(&config{kill: c.kill, trace: c.trace}, arch, &probe.Result{Seccomp: true}, c.dynamic); err != nil {
		t.Fatalf("%s %q on %s: %v", c.name, set, arch, err)
	}
	if !p.Filtered {
		t.Fatalf("%s %q on %s: no filter", c.name, set, arch)
	}
	raw := make([]bpf.RawInstruction, len(p.Filter))
	for i, r := range p.Filter {
		raw[i] = bpf.RawInstruction{Op: r.Code, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return &filter.Program{Arch: arch, Raw: raw}
}

// libraryFilter is the filter pledge.Apply installs first for set with
// penalty (pledge.Program).
func libraryFilter(t testing.TB, set promises.Set, arch string, penalty pledge.Penalty) *filter.Program {
	t.Helper()
	sf, err := pledge.Program(set.String(), arch, penalty)
	if err != nil {
		t.Fatalf("pledge.Program(%q, %s, %s): %v", set, arch, penalty, err)
	}
	raw := make([]bpf.RawInstruction, len(sf))
	for i, r := range sf {
		raw[i] = bpf.RawInstruction{Op: r.Code, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return &filter.Program{Arch: arch, Raw: raw}
}

// parityCall is one system call to run both filters on.
type parityCall struct {
	name string // "" for a number outside the table or a foreign call
	data filter.Data
}

// parityCalls returns every system call of arch's table (and a few
// numbers beyond it, x32 and foreign calls), each with argument vectors
// that satisfy, and break one condition of, every rule of every promise,
// the baseline and filterDiffs.
func parityCalls(t testing.TB, arch string) []parityCall {
	t.Helper()
	tab, err := syscalls.ByArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	var all promises.Set
	for _, p := range promises.All() {
		all = all.With(p)
	}
	rules := map[string][]promises.Rule{}
	for _, r := range engine.Rules(all, arch) {
		rules[r.Syscall] = append(rules[r.Syscall], r)
	}
	for _, d := range filterDiffs {
		for _, r := range d.calls {
			rules[r.Syscall] = append(rules[r.Syscall], r)
		}
	}
	pid := uint64(os.Getpid())
	rng := rand.New(rand.NewPCG(17, uint64(len(arch))))
	var out []parityCall
	for nr := uint32(0); nr <= tab.Max()+4; nr++ {
		name, _ := tab.Name(nr)
		for _, a := range argVectors(rules[name], pid, rng) {
			out = append(out, parityCall{name, filter.Data{Nr: int32(nr), Arch: tab.AuditArch, Args: a}})
		}
	}
	// Foreign calls: x32 on amd64, another architecture's numbering.
	for _, nr := range []uint32{0, 1, 59, 221, 322} {
		if tab.X32SyscallBit != 0 {
			out = append(out, parityCall{"", filter.Data{Nr: int32(nr | tab.X32SyscallBit), Arch: tab.AuditArch}})
		}
		for _, fa := range []uint32{0x40000003, 0x40000028, 0xc000003e, 0xc00000b7} {
			if fa != tab.AuditArch {
				out = append(out, parityCall{"", filter.Data{Nr: int32(nr), Arch: fa}})
			}
		}
	}
	return out
}

// argVectors returns zeros, and for each rule a vector satisfying it (the
// caller's pid for Self conditions), the same with every argument's high
// half set, and the same with each condition broken in its lowest and its
// highest examined bit; and two random vectors.
func argVectors(rs []promises.Rule, pid uint64, rng *rand.Rand) [][6]uint64 {
	out := [][6]uint64{{}}
	for _, r := range rs {
		var a [6]uint64
		for _, c := range r.Args {
			m, v := c.EffectiveMask(), c.Value
			if c.Self {
				m, v = 0xffffffff, pid
			}
			a[c.Arg] = a[c.Arg]&^m | v&m
		}
		hi := a
		for i := range hi {
			hi[i] |= 0xffffffff00000000
		}
		out = append(out, a, hi)
		for _, c := range r.Args {
			m := c.EffectiveMask()
			if c.Self {
				m = 0xffffffff
			}
			if m == 0 {
				continue
			}
			lo, top := a, a
			lo[c.Arg] ^= m & -m
			top[c.Arg] ^= 1 << (63 - bits.LeadingZeros64(m))
			out = append(out, lo, top)
		}
	}
	for range 2 {
		var a [6]uint64
		for i := range a {
			a[i] = uint64(rng.IntN(1 << 20))
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b [6]uint64) int { return slices.Compare(a[:], b[:]) })
	return slices.Compact(out)
}

// Deny actions (SECCOMP_RET_*), as the tests expect them.
const (
	retEPERM  = filter.RetErrno | 1
	retENOSYS = filter.RetErrno | 38
)

// commandDeny is the deny action the command's filter must have: the
// supervisor's notification in supervised mode (it prints the call, then
// fails it with denyErrno, or kills with -k), and in -q the kill of -k,
// ENOSYS under the "error" promise (the library's PenaltyENOSYS, as on
// OpenBSD), or EPERM (pledge.com's default).
func commandDeny(c filterCase, set promises.Set) uint32 {
	switch {
	case c.mode == modeSupervised:
		return filter.RetUserNotif
	case c.kill:
		return filter.RetKillProcess
	case set.Has(promises.Error):
		return retENOSYS
	}
	return retEPERM
}

// libraryPenalty is the penalty of the library's filter compared with the
// command's: the case's, except that "error" selects PenaltyENOSYS and
// allows no other (-k with "error" is refused, TestKillWithError).
func libraryPenalty(c filterCase, set promises.Set) pledge.Penalty {
	if set.Has(promises.Error) {
		return pledge.PenaltyDefault
	}
	return c.penalty
}

// libraryDeny is the deny action pledge.Program must give pen.
var libraryDeny = map[pledge.Penalty]uint32{
	pledge.PenaltyAbort:   filter.RetUserNotif, // the supervisor reports, then ends the process
	pledge.PenaltyKill:    filter.RetKillProcess,
	pledge.PenaltyEPERM:   retEPERM,
	pledge.PenaltyENOSYS:  retENOSYS,
	pledge.PenaltyDefault: retENOSYS, // only with "error" here
}

// foreignOf is the verdict of a filter with deny action deny for a call of
// another architecture (or x32): never handed to a supervisor, which
// would read its number in the native table (internal/filter's doc).
func foreignOf(deny uint32) uint32 {
	switch deny & filter.RetActionFull {
	case filter.RetErrno, filter.RetTrap, filter.RetKillProcess:
		return deny
	}
	return filter.RetKillProcess
}

// denyWhy is the reason the deny actions may differ: supervised, under
// "error", the library's filter fails calls with ENOSYS itself, the
// command's hands them to its supervisor, which prints them and fails
// them with ENOSYS (plan.denyErrno).
const denyWhy = "supervised under \"error\": the supervisor prints the call and fails it with ENOSYS (the library's filter does without printing)"

// wantCommand is the verdict the command's filter must give for call when
// the library's gives lib: lib, with the command's deny action where the
// library's denies (no rule decided), changed by the intended differences
// that apply.
func wantCommand(c filterCase, set promises.Set, arch string, call parityCall, lib, libDeny uint32) (uint32, string) {
	cmdDeny := commandDeny(c, set)
	why := ""
	if cmdDeny != libDeny {
		why = denyWhy
	}
	if call.name == "" {
		switch lib {
		case foreignOf(libDeny):
			if call.data.Arch == nativeAudit(arch) && uint32(call.data.Nr)&x32Bit(arch) == 0 {
				return cmdDeny, why // a native number outside the table
			}
			return foreignOf(cmdDeny), why
		case libDeny:
			return cmdDeny, why
		}
		return lib, ""
	}
	want := lib
	pr, decided := promises.DecideFor(set, os.Getpid(), arch, call.name, call.data.Args)
	errnoRule := decided && pr.Action == promises.Errno
	if lib == libDeny && !decided {
		want = cmdDeny
	} else {
		why = ""
	}
	for _, d := range filterDiffs {
		if !d.when(c, set) {
			continue
		}
		for _, r := range d.calls {
			if r.Syscall != call.name || !r.MatchFor(call.data.Args, os.Getpid()) {
				continue
			}
			if d.drop {
				return cmdDeny, d.why
			}
			if d.errno != 0 {
				want, why = filter.RetErrno|uint32(d.errno), d.why
				continue
			}
			if errnoRule {
				continue // a promise's errno rule beats an allowance
			}
			want, why = filter.RetAllow, d.why
		}
	}
	return want, why
}

func nativeAudit(arch string) uint32 {
	tab, _ := syscalls.ByArch(arch)
	return tab.AuditArch
}

func x32Bit(arch string) uint32 {
	tab, _ := syscalls.ByArch(arch)
	return tab.X32SyscallBit
}

// TestFilterParity compares the command's filter with the library's, call
// by call, for every promise alone and a few realistic sets, in every way
// the command runs a program, on amd64 and arm64: the same verdict for
// every call, deny actions included, but for filterDiffs.
func TestFilterParity(t *testing.T) {
	used := make([]bool, len(filterDiffs))
	for _, arch := range []string{"amd64", "arm64"} {
		calls := parityCalls(t, arch)
		t.Logf("%s: %d calls, %d promise sets, %d ways to run", arch, len(calls), len(paritySets()), len(filterCases))
		for _, c := range filterCases {
			t.Run(arch+"/"+c.name, func(t *testing.T) {
				for _, set := range paritySets() {
					if c.kill && set.Has(promises.Error) {
						continue // refused (TestKillWithError)
					}
					pen := libraryPenalty(c, set)
					lib := libraryFilter(t, set, arch, pen)
					cmd := commandFilter(t, c, set, arch)
					libDeny := libraryDeny[pen]
					if got := denyOf(t, lib); got != libDeny {
						t.Errorf("%q: the library's %s filter denies with %s, want %s", set, pen, filter.ActionString(got), filter.ActionString(libDeny))
					}
					if got, want := denyOf(t, cmd), commandDeny(c, set); got != want {
						t.Errorf("%q: the command's filter denies with %s, want %s", set, filter.ActionString(got), filter.ActionString(want))
					}
					// The realistic sets run in x/net/bpf's VM as well.
					var libVM, cmdVM *bpf.VM
					if set.Len() > 1 {
						libVM, cmdVM = newVM(t, lib), newVM(t, cmd)
					}
					bad := 0
					for _, call := range calls {
						l := runFilter(t, lib, call)
						got := runFilter(t, cmd, call)
						if libVM != nil {
							vmAgrees(t, libVM, call, l, "library")
							vmAgrees(t, cmdVM, call, got, "command")
						}
						want, why := wantCommand(c, set, arch, call, l, libDeny)
						if got == want {
							if got != l {
								for i, d := range filterDiffs {
									if d.why == why {
										used[i] = true
									}
								}
							}
							continue
						}
						if bad++; bad <= 5 {
							t.Errorf("%q: %s: command %s, library %s, want %s%s", set, describeCall(call),
								filter.ActionString(got), filter.ActionString(l), filter.ActionString(want), because(why))
						}
					}
					if bad > 5 {
						t.Errorf("%q: %d more differences", set, bad-5)
					}
				}
			})
		}
	}
	for i, u := range used {
		if !u && !t.Failed() {
			t.Errorf("intended difference %q never showed: remove it, or make a case that needs it", filterDiffs[i].why)
		}
	}
}

// denyOf returns the deny action of a compiled filter: its verdict for a
// number past the end of the table, which no rule allows.
func denyOf(t testing.TB, p *filter.Program) uint32 {
	t.Helper()
	tab, err := syscalls.ByArch(p.Arch)
	if err != nil {
		t.Fatal(err)
	}
	return runFilter(t, p, parityCall{data: filter.Data{Nr: int32(tab.Max() + 1), Arch: tab.AuditArch}})
}

func runFilter(t testing.TB, p *filter.Program, call parityCall) uint32 {
	t.Helper()
	ret, _, err := filter.Run(p, call.data)
	if err != nil {
		t.Fatalf("running the filter on %s: %v", describeCall(call), err)
	}
	return ret
}

func newVM(t testing.TB, p *filter.Program) *bpf.VM {
	t.Helper()
	insns, err := p.Insns()
	if err != nil {
		t.Fatal(err)
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// vmAgrees checks that x/net/bpf's VM gives call the verdict filter.Run
// gave (ret).
func vmAgrees(t testing.TB, vm *bpf.VM, call parityCall, ret uint32, side string) {
	t.Helper()
	v, err := vm.Run(call.data.VMInput())
	if err != nil || uint32(v) != ret {
		t.Fatalf("%s: %s: the VM says %#x (%v), filter.Run %#x", side, describeCall(call), v, err, ret)
	}
}

func describeCall(call parityCall) string {
	name := call.name
	if name == "" {
		name = fmt.Sprintf("nr %#x arch %#x", uint32(call.data.Nr), call.data.Arch)
	}
	args := make([]string, 0, 6)
	for _, a := range call.data.Args {
		args = append(args, fmt.Sprintf("%#x", a))
	}
	return name + "(" + strings.Join(args, ", ") + ")"
}

func because(why string) string {
	if why == "" {
		return ""
	}
	return " (intended: " + why + ")"
}

// TestFilterHarness: commandFilter compiles the filter buildPlan gives the
// command line, for a static and a dynamic program, in each mode.
func TestFilterHarness(t *testing.T) {
	if !probe.Get().Seccomp {
		t.Skip("seccomp is unavailable: buildPlan compiles no filter")
	}
	progs := []struct {
		path    string
		dynamic bool
	}{{goTarget(t), false}, {need(t, "true"), true}}
	for _, pr := range progs {
		for _, c := range filterCases {
			if c.dynamic != pr.dynamic {
				continue
			}
			for _, ps := range []string{"stdio", "stdio rpath", "stdio inet dns", "stdio proc exec", "stdio error"} {
				set := promises.MustParse(ps)
				args := []string{"-p", ps}
				if c.mode == modeDirect {
					args = append(args, "-q")
				}
				if c.kill {
					if set.Has(promises.Error) {
						continue
					}
					args = append(args, "-k")
				}
				if c.trace {
					args = append(args, "--trace")
				}
				cfg, err := parseArgs(append(args, "--", pr.path), options)
				if err != nil {
					t.Fatal(err)
				}
				p, err := buildPlan(cfg, c.mode)
				if err != nil {
					t.Fatalf("%s %q: %v", c.name, ps, err)
				}
				want := commandFilter(t, c, set, runtime.GOARCH)
				got := make([]bpf.RawInstruction, len(p.Filter))
				for i, r := range p.Filter {
					got[i] = bpf.RawInstruction{Op: r.Code, Jt: r.Jt, Jf: r.Jf, K: r.K}
				}
				if !slices.Equal(got, want.Raw) {
					t.Errorf("%s %q (%s): buildPlan's filter (%d instructions) is not the one the parity test compares (%d)", c.name, ps, pr.path, len(got), len(want.Raw))
				}
			}
		}
	}
}

// TestLearnFilter: learn's filter is the supervised filter of "stdio" for
// a dynamic program, so TestFilterParity covers it too (the supervisor
// then records what the filter hands it instead of refusing it).
func TestLearnFilter(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		p := &plan{Mode: modeLearn, UID: -1, GID: -1, SockFd: -1, NoFile: &rlim{Name: "nofile", Cur: testNoFile, Max: testNoFile}}
		if err := p.learnFilter(arch); err != nil {
			t.Fatal(err)
		}
		want := commandFilter(t, filterCase{name: "supervised dynamic", mode: modeSupervised, dynamic: true}, promises.Of(promises.Stdio), arch)
		got := make([]bpf.RawInstruction, len(p.Filter))
		for i, r := range p.Filter {
			got[i] = bpf.RawInstruction{Op: r.Code, Jt: r.Jt, Jf: r.Jf, K: r.K}
		}
		if !slices.Equal(got, want.Raw) {
			t.Errorf("%s: learn's filter (%d instructions) is not the supervised filter of \"stdio\" (%d)", arch, len(got), len(want.Raw))
		}
	}
}

// TestErrorPromise: under the "error" promise a refused call fails with
// ENOSYS instead of EPERM, in both modes, for a static and a dynamic
// program, as the library's filter makes it fail (PenaltyENOSYS); allowed
// calls still work; -k with "error" is refused, as the library refuses
// PenaltyKill with it.
func TestErrorPromise(t *testing.T) {
	needKernel(t)
	mkdir := need(t, "mkdir")
	target := goTarget(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, tc := range []struct {
				promises, want string
			}{{"stdio rpath", "operation not permitted"}, {"stdio rpath error", "function not implemented"}} {
				r := inMode(t, m.pre, "-p", tc.promises, "-v", "rwc:"+dir, "--", target, "write", filepath.Join(dir, "go"))
				if r.code != 1 || !strings.Contains(r.stderr, "gotarget: write "+filepath.Join(dir, "go")+": open "+filepath.Join(dir, "go")+": "+tc.want) {
					t.Errorf("static, %q: want the write to fail with %q\n%v", tc.promises, tc.want, r)
				}
				r = inMode(t, m.pre, "-p", tc.promises, "-v", "rwc:"+dir, "--", mkdir, filepath.Join(dir, "c"))
				if r.code != 1 || !strings.Contains(strings.ToLower(r.stderr), tc.want) {
					t.Errorf("dynamic, %q: want mkdir to fail with %q\n%v", tc.promises, tc.want, r)
				}
				if m.pre == nil && tc.promises == "stdio rpath error" && !strings.Contains(r.stderr, "the call fails with ENOSYS") {
					t.Errorf("supervised: the denial does not name ENOSYS\n%v", r)
				}
			}
			// Allowed calls are not touched.
			r := inMode(t, m.pre, "-p", "stdio rpath wpath cpath error", "-v", "rwc:"+dir, "--", target, "write", filepath.Join(dir, "go"))
			wantOK(t, r)
			r = inMode(t, m.pre, "-p", "stdio rpath wpath cpath error", "-v", "rwc:"+dir, "--", mkdir, filepath.Join(dir, "c"))
			wantOK(t, r)
			if st, err := os.Stat(filepath.Join(dir, "c")); err != nil || !st.IsDir() {
				t.Errorf("mkdir under \"error\" with cpath did not create the directory: %v", err)
			}
		})
	}
}

// TestKillWithError: -k and the "error" promise contradict each other; the
// command refuses them (usage error) before running anything.
func TestKillWithError(t *testing.T) {
	tr := need(t, "true")
	for _, m := range modes {
		r := inMode(t, m.pre, "-k", "-p", "stdio rpath error", "--", tr)
		if r.code != exitUsage || !strings.Contains(r.stderr, `"error" promise`) {
			t.Errorf("%s: -k with error: want exit %d naming the conflict\n%v", m.name, exitUsage, r)
		}
		r = inMode(t, m.pre, "-k", "-p", "stdio rpath", "--", tr)
		wantOK(t, r)
	}
}

// TestKillDynamicWithoutRpath: under -q -k, a dynamic program without
// rpath starts (its loader's access("/etc/ld.so.preload") fails with
// EPERM instead of killing it before main), and a call its promises deny
// still kills it.
func TestKillDynamicWithoutRpath(t *testing.T) {
	needKernel(t)
	tr, sh := need(t, "true"), need(t, "sh")
	if k := fileKind(t, tr); k != "" && !strings.Contains(k, "dynamically linked") {
		t.Skipf("%s is not dynamic: %s", tr, k)
	}
	if _, err := os.Stat("/etc/ld.so.cache"); err != nil {
		// Without its cache the loader stats every library directory
		// (newfstatat needs rpath; -k kills there): the kernel matrix's
		// guests have none.
		t.Skipf("no loader cache: %v", err)
	}
	for _, m := range []struct {
		pre    []string
		signal int // the filter kills with SIGSYS, the supervisor with SIGKILL
	}{{[]string{"-q", "-k"}, 31}, {[]string{"-k"}, 9}} {
		pre := m.pre
		r := unveil(t, append(pre, "-p", "stdio", "--", tr)...)
		if r.code != 0 {
			t.Errorf("%v -p stdio -- true: want exit 0, got %v", pre, r)
		}
		// Creating a file needs cpath: killed.
		out := filepath.Join(t.TempDir(), "out")
		r = unveil(t, append(pre, "-p", "stdio", "--", sh, "-c", ": > "+out)...)
		if r.code != 128+m.signal {
			t.Errorf("%v: creating a file without cpath: want signal %d, got %v", pre, m.signal, r)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: %s was created", pre, out)
		}
	}
}
