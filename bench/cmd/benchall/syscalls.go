//go:build linux

package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/bench/internal/bpfrun"
	"github.com/pledgekit/pledgekit/bench/internal/progs"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// benchPromises is the realistic promise set of section 1 (the
// downloader's).
const benchPromises = "stdio rpath wpath cpath inet dns"

// The configurations of section 1, in table order.
var sysConfigs = []struct{ name, desc string }{
	{"none", "no filter"},
	{"floor1", "floor 1: one-instruction ALLOW filter"},
	{"floor2", "floor 2: check arch, load arg0, ALLOW (never cached)"},
	{"pledgekit", "pledgekit, " + benchPromises + ", PenaltyEPERM, installed by pledge.Apply"},
	{"linear", "same names as a go-seccomp-bpf v1.6.0 Policy (linear chain, no argument checks), plus clone3 (go-seccomp-bpf can only answer EPERM, on which glibc's pthread_create does not fall back to clone)"},
	{"libseccomp", "same rules with libseccomp (binary tree, SCMP_FLTATR_CTL_OPTIMIZE=2)"},
}

// hotCall is one measured system call.
type hotCall struct {
	Name  string
	Desc  string
	Nr    uintptr
	Args  [6]uintptr
	Close bool   // close the returned descriptor (socket+close)
	Floor string // the floor it is compared with
	Deny  bool   // denied by the promise set
}

var atFDCWD = unix.AT_FDCWD

// hotCalls returns the calls of section 1. fd is an open descriptor; empty
// points at a NUL byte.
func hotCalls(fd int, empty *byte) []hotCall {
	p := uintptr(unsafe.Pointer(empty))
	return []hotCall{
		{Name: "getppid", Desc: "getppid()", Nr: unix.SYS_GETPPID, Floor: "floor1"},
		{Name: "mmap", Desc: "mmap(0, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) → EINVAL", Nr: unix.SYS_MMAP,
			Args: [6]uintptr{0, 0, unix.PROT_READ, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, ^uintptr(0), 0}, Floor: "floor2"},
		{Name: "fcntl", Desc: "fcntl(fd, F_GETFD)", Nr: unix.SYS_FCNTL, Args: [6]uintptr{uintptr(fd), unix.F_GETFD}, Floor: "floor2"},
		{Name: "openat", Desc: `openat(AT_FDCWD, "", O_RDONLY|O_CLOEXEC) → ENOENT`, Nr: unix.SYS_OPENAT,
			Args: [6]uintptr{uintptr(atFDCWD), p, unix.O_RDONLY | unix.O_CLOEXEC}, Floor: "floor2"},
		{Name: "socket+close", Desc: "socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0), close", Nr: unix.SYS_SOCKET,
			Args: [6]uintptr{unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC, 0}, Close: true, Floor: "floor2"},
		{Name: "setns (denied)", Desc: "setns(-1, 0): EBADF unfiltered, EPERM when denied", Nr: unix.SYS_SETNS,
			Args: [6]uintptr{^uintptr(0), 0}, Deny: true, Floor: "none"},
	}
}

type sysChildResult struct {
	Config string
	NS     map[string]float64
	Errno  map[string]int
}

// childSyscalls installs one configuration and times each hot call.
func childSyscalls() (any, error) {
	cfg := os.Getenv("PKBENCH_CONFIG")
	quick := os.Getenv("PKBENCH_QUICK") != ""
	var pfd [2]int
	if err := unix.Pipe2(pfd[:], unix.O_CLOEXEC); err != nil {
		return nil, err
	}
	empty := []byte{0}
	calls := hotCalls(pfd[0], &empty[0])
	switch cfg {
	case "none":
	case "pledgekit":
		if _, err := pledge.Apply(pledge.Options{Promises: benchPromises, Penalty: pledge.PenaltyEPERM}); err != nil {
			return nil, err
		}
	default:
		b, err := os.ReadFile(os.Getenv("PKBENCH_PROG"))
		if err != nil {
			return nil, err
		}
		prog, err := bpfrun.Decode(b)
		if err != nil {
			return nil, err
		}
		if err := progs.Install(prog); err != nil {
			return nil, err
		}
	}
	runtime.LockOSThread()
	res := sysChildResult{Config: cfg, NS: map[string]float64{}, Errno: map[string]int{}}
	for _, c := range calls {
		_, _, e := callOnce(&c)
		res.Errno[c.Name] = int(e)
	}
	blocks, target := 9, 2*time.Millisecond
	if quick {
		blocks, target = 1, 200*time.Microsecond
	}
	for _, c := range calls {
		res.NS[c.Name] = timeCall(&c, blocks, target)
	}
	runtime.KeepAlive(empty)
	return res, nil
}

func callOnce(c *hotCall) (uintptr, uintptr, unix.Errno) {
	r1, r2, e := unix.RawSyscall6(c.Nr, c.Args[0], c.Args[1], c.Args[2], c.Args[3], c.Args[4], c.Args[5])
	if c.Close && e == 0 {
		unix.RawSyscall(unix.SYS_CLOSE, r1, 0, 0)
	}
	return r1, r2, e
}

// threadCPU is the calling thread's CPU time (user and system). Timing
// with it instead of the wall clock leaves out the time the thread waits
// for a CPU, which on a loaded machine is most of the noise.
func threadCPU() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

// loop makes n calls and returns the CPU time they took.
//
//go:noinline
func loop(c *hotCall, n int) time.Duration {
	nr, a := c.Nr, c.Args
	t0 := threadCPU()
	if c.Close {
		for range n {
			r1, _, e := unix.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
			if e == 0 {
				unix.RawSyscall(unix.SYS_CLOSE, r1, 0, 0)
			}
		}
	} else {
		for range n {
			unix.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
		}
	}
	return threadCPU() - t0
}

// timeCall returns the best of blocks timed blocks, in ns per call; each
// block runs about target.
func timeCall(c *hotCall, blocks int, target time.Duration) float64 {
	loop(c, 1000) // warm up
	n := 1000
	for {
		d := loop(c, n)
		if d >= target/4 || n >= 1<<26 {
			n = max(1, int(float64(n)*float64(target)/float64(max(d, 1))))
			break
		}
		n *= 4
	}
	best := math.Inf(1)
	for range blocks {
		d := loop(c, n)
		best = min(best, float64(d.Nanoseconds())/float64(n))
	}
	return best
}

// sysRaw is section 1's raw data.
type sysRaw struct {
	Rounds   int
	NS       map[string]map[string][]float64 // config → call → per round
	Programs map[string]progInfo
	Dropped  []string
}

type progInfo struct {
	Len        int
	MaxPath    int
	MeanPath   float64
	Cached     int            // syscall numbers the action cache answers
	CallPath   map[string]int // instructions for each hot call
	CallCached map[string]bool
	// Inputs (of the decision inputs) where the verdict differs from
	// pledgekit's, and the syscalls they are for.
	Differ      int
	DifferNames []string
	Unavailable string `json:",omitempty"`
}

func benchSyscalls(o *options) (section, error) {
	var s section
	rounds := o.roundsOr(21)
	// Programs of the compared configurations.
	ours, err := progs.Ours(benchPromises)
	if err != nil {
		return s, err
	}
	rules, err := progs.Rules(benchPromises, runtime.GOARCH)
	if err != nil {
		return s, err
	}
	names := progs.Names(rules)
	// go-seccomp-bpf can only answer EPERM, on which glibc's pthread_create
	// does not fall back from clone3 to clone (pledgekit answers ENOSYS):
	// a cgo program using it must allow clone3 outright, so the chain does.
	linear, dropped, err := progs.Linear(append(names, "clone3"))
	if err != nil {
		return s, err
	}
	programs := map[string][]bpfrun.Insn{"pledgekit": ours, "linear": linear, "floor1": progs.Floor1(), "floor2": progs.Floor2()}
	lsVersion, lsErr := "", error(nil)
	if lsexp, err := o.goBuild(o.benchDir(), "./cmd/lsexport", "lsexport"); err != nil {
		lsErr = err
	} else if out, err := commandOutput(lsexp, "-promises", benchPromises); err != nil {
		lsErr = err
	} else if p, err := bpfrun.Decode(out); err != nil {
		lsErr = err
	} else {
		programs["libseccomp"] = p
		v, _ := commandOutput(lsexp, "-version")
		lsVersion = strings.TrimSpace(string(v))
	}
	if lsErr != nil {
		o.logf("libseccomp configuration unavailable: %v", lsErr)
	}
	files := map[string]string{}
	for name, p := range programs {
		f := filepath.Join(o.tmp, name+".bpf")
		if err := os.WriteFile(f, bpfrun.Encode(p), 0o644); err != nil {
			return s, err
		}
		files[name] = f
	}

	raw := sysRaw{Rounds: rounds, NS: map[string]map[string][]float64{}, Programs: map[string]progInfo{}, Dropped: dropped}
	var configs []string
	for _, c := range sysConfigs {
		if c.name == "libseccomp" && programs["libseccomp"] == nil {
			continue
		}
		configs = append(configs, c.name)
		raw.NS[c.name] = map[string][]float64{}
	}
	empty := []byte{0}
	calls := hotCalls(0, &empty[0])
	var ref map[string]int
	for r := range rounds {
		for i := range configs {
			cfg := configs[(i+r)%len(configs)] // rotate the order each round
			env := []string{"PKBENCH_CONFIG=" + cfg, "PKBENCH_PROG=" + files[cfg]}
			if o.quick {
				env = append(env, "PKBENCH_QUICK=1")
			}
			var res sysChildResult
			if err := child("syscalls", env, &res); err != nil {
				return s, err
			}
			if cfg == "none" {
				ref = res.Errno
			}
			for _, c := range calls {
				raw.NS[cfg][c.Name] = append(raw.NS[cfg][c.Name], res.NS[c.Name])
			}
			if err := checkErrnos(cfg, res.Errno, ref, calls); err != nil {
				return s, err
			}
		}
		o.logf("syscalls: round %d/%d", r+1, rounds)
	}

	// Instructions per decision, over every syscall number.
	groups, err := decisionInputs(rules)
	if err != nil {
		return s, err
	}
	tab, _ := syscalls.Native()
	for name, p := range programs {
		st, err := bpfrun.PathStats(p, groups)
		if err != nil {
			return s, fmt.Errorf("%s: %w", name, err)
		}
		info := progInfo{Len: len(p), MaxPath: st.Max, MeanPath: st.Mean, CallPath: map[string]int{}, CallCached: map[string]bool{}}
		for nr := uint32(0); nr <= tab.Max(); nr++ {
			if bpfrun.ConstAllow(p, tab.AuditArch, nr) {
				info.Cached++
			}
		}
		for _, c := range calls {
			var args [6]uint64
			for i, a := range c.Args {
				args[i] = uint64(a)
			}
			_, steps, _ := bpfrun.Run(p, bpfrun.Data{Nr: int32(c.Nr), Arch: tab.AuditArch, Args: args})
			info.CallPath[c.Name] = steps
			info.CallCached[c.Name] = bpfrun.ConstAllow(p, tab.AuditArch, uint32(c.Nr))
		}
		for _, g := range groups {
			differs := false
			for _, d := range g {
				a, _, _ := bpfrun.Run(ours, d)
				b, _, _ := bpfrun.Run(p, d)
				if a != b {
					info.Differ++
					differs = true
				}
			}
			if differs {
				n, ok := tab.Name(uint32(g[0].Nr))
				if !ok {
					n = fmt.Sprint(g[0].Nr)
				}
				info.DifferNames = append(info.DifferNames, n)
			}
		}
		raw.Programs[name] = info
	}
	if lsErr != nil {
		raw.Programs["libseccomp"] = progInfo{Unavailable: lsErr.Error()}
	}
	s.Raw = raw
	s.Markdown = sysMarkdown(raw, configs, calls, lsVersion, len(names))
	return s, nil
}

// checkErrnos makes sure every configuration gives the same results as no
// filter, except that the restricting ones deny the denied call with EPERM.
func checkErrnos(cfg string, got, ref map[string]int, calls []hotCall) error {
	restricting := cfg == "pledgekit" || cfg == "linear" || cfg == "libseccomp"
	for _, c := range calls {
		want := ref[c.Name]
		if c.Deny && restricting {
			want = int(unix.EPERM)
		}
		if got[c.Name] != want {
			return fmt.Errorf("configuration %s: %s returned errno %d, want %d: the configurations do not filter alike", cfg, c.Desc, got[c.Name], want)
		}
	}
	return nil
}

// decisionInputs returns, for every native syscall number 0..max+1, the
// all-zero argument vector and one vector satisfying each rule of that
// syscall (the same inputs pledgekit's Stats use).
func decisionInputs(rules []promises.Rule) ([][]bpfrun.Data, error) {
	tab, err := syscalls.Native()
	if err != nil {
		return nil, err
	}
	per := map[uint32][][6]uint64{}
	for _, r := range rules {
		nr, ok := tab.Number(r.Syscall)
		if !ok {
			continue
		}
		var a [6]uint64
		for _, c := range r.Args {
			m := c.EffectiveMask()
			a[c.Arg] = a[c.Arg]&^m | c.Value&m
		}
		per[nr] = append(per[nr], a)
	}
	var groups [][]bpfrun.Data
	for nr := uint32(0); nr <= tab.Max()+1; nr++ {
		g := []bpfrun.Data{{Nr: int32(nr), Arch: tab.AuditArch}}
		for _, a := range per[nr] {
			g = append(g, bpfrun.Data{Nr: int32(nr), Arch: tab.AuditArch, Args: a})
		}
		groups = append(groups, g)
	}
	return groups, nil
}

func sysMarkdown(raw sysRaw, configs []string, calls []hotCall, lsVersion string, nNames int) string {
	var b strings.Builder
	med := func(cfg, call string) float64 { return median(raw.NS[cfg][call]) }
	ratio := func(cfg, floor, call string) float64 {
		if raw.NS[cfg] == nil || raw.NS[floor] == nil {
			return math.NaN()
		}
		return median(ratios(raw.NS[cfg][call], raw.NS[floor][call]))
	}
	fmt.Fprintf(&b, "Nanoseconds per call (median over %d rounds of one fresh process per configuration, each the best of 9 blocks of ~2 ms of `RawSyscall6` in a loop, timed with the thread's CPU clock so that waiting for a CPU is left out; configurations interleaved, order rotated every round). Promise set: `%s`.\n\n", raw.Rounds, benchPromises)
	b.WriteString("| call |")
	for _, c := range configs {
		b.WriteString(" " + c + " |")
	}
	b.WriteString(" pledgekit ÷ floor | libseccomp ÷ floor | pledgekit ÷ libseccomp |\n|---|")
	for range configs {
		b.WriteString("--:|")
	}
	b.WriteString("--:|--:|--:|\n")
	for _, c := range calls {
		fmt.Fprintf(&b, "| %s |", c.Name)
		for _, cfg := range configs {
			fmt.Fprintf(&b, " %s |", fmtNS(med(cfg, c.Name)))
		}
		floor := c.Floor
		fmt.Fprintf(&b, " %s (%s) | %s | %s |\n", fmtRatio(ratio("pledgekit", floor, c.Name)), floor,
			fmtRatio(ratio("libseccomp", floor, c.Name)), fmtRatio(ratio("pledgekit", "libseccomp", c.Name)))
	}
	b.WriteString("\nRatios are medians of per-round ratios (all configurations of a round ran within a few seconds of each other). ")
	b.WriteString("Floor 1 for always-allowed calls, floor 2 for argument-checked ones, no filter for the denied one (the floors allow it).\n\n")
	b.WriteString("Calls:\n\n")
	for _, c := range calls {
		fmt.Fprintf(&b, "- %s: `%s`\n", c.Name, c.Desc)
	}
	b.WriteString("\nConfigurations:\n\n")
	for _, c := range sysConfigs {
		if contains(configs, c.name) {
			d := c.desc
			if c.name == "libseccomp" && lsVersion != "" {
				d += "; libseccomp " + lsVersion + ", libseccomp-golang v0.11.1"
			}
			if c.name == "linear" {
				d += fmt.Sprintf("; %d names", nNames+1-len(raw.Dropped))
				if len(raw.Dropped) > 0 {
					d += fmt.Sprintf(" (%s unknown to go-seccomp-bpf, left out)", strings.Join(raw.Dropped, ", "))
				}
			}
			fmt.Fprintf(&b, "- %s: %s\n", c.name, d)
		}
	}
	if p, ok := raw.Programs["libseccomp"]; ok && p.Unavailable != "" {
		fmt.Fprintf(&b, "- libseccomp: not measured: %s\n", firstLine(p.Unavailable))
	}
	b.WriteString("\nBPF instructions executed per decision (deterministic: an interpreter runs each program for every syscall number 0..max+1 of this architecture, with all-zero arguments and with one argument vector satisfying each rule of the promise set; the mean is per number). \"cached\" is how many syscall numbers the kernel's action cache answers without running the filter (emulating `seccomp_is_const_allow`).\n\n")
	b.WriteString("| program | insns | max | mean | cached | verdicts ≠ pledgekit |")
	for _, c := range calls {
		b.WriteString(" " + c.Name + " |")
	}
	b.WriteString("\n|---|--:|--:|--:|--:|--:|")
	for range calls {
		b.WriteString("--:|")
	}
	b.WriteString("\n")
	for _, name := range []string{"pledgekit", "linear", "libseccomp", "floor1", "floor2"} {
		p, ok := raw.Programs[name]
		if !ok || p.Unavailable != "" {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.1f | %d | %d |", name, p.Len, p.MaxPath, p.MeanPath, p.Cached, p.Differ)
		for _, c := range calls {
			cell := fmt.Sprint(p.CallPath[c.Name])
			if p.CallCached[c.Name] {
				cell = "cached"
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nThe hot-call columns give the instructions each call executes (\"cached\": the action cache answers it). Verdicts are compared over the same inputs; where the rule sets differ:\n\n")
	for _, name := range []string{"linear", "libseccomp"} {
		if p, ok := raw.Programs[name]; ok && p.Unavailable == "" {
			fmt.Fprintf(&b, "- %s: %d inputs in %d syscalls (%s)\n", name, p.Differ, len(p.DifferNames), abbrev(p.DifferNames, 12))
		}
	}
	return b.String()
}

func abbrev(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + fmt.Sprintf(", … %d more", len(xs)-n)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
