//go:build linux

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
	"unsafe"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/bench/internal/bpfrun"
	"github.com/pledgekit/pledgekit/bench/internal/progs"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/promfacts"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/unveil"
)

// The cases of section 2. Each runs once in a fresh process; only the
// calls that apply the sandbox are timed (the first call in a process, as a
// program pays it: kernel probe and filter compilation included).
var applyCases = []struct{ name, desc string }{
	{"hello", "examples/hello: `pledge.Pledge(\"stdio rpath\", \"\")` (default penalty: starts the supervisor process)"},
	{"fetch", "examples/downloader fetch child: a ruleset of 3 files r + 1 dir rwc, TCP connect 1 port, no bind, 2 scopes, committed by `pledge.Apply(Options{Promises: \"stdio rpath wpath cpath inet dns\", Penalty: PenaltyKill, Unveil: rs})`"},
	{"fetch-commit", "the same, in the order the downloader used before Options.Unveil: `rs.Commit()` (which pre-starts the violation supervisor), then `pledge.Apply` (which discards it)"},
	{"verify", "examples/downloader verify child: a ruleset of 1 dir r, no TCP, 2 scopes, committed by `pledge.Apply(Options{Promises: \"stdio rpath\", Penalty: PenaltyKill, Unveil: rs})`"},
	{"pledge-small", "`pledge.Apply(\"stdio\", PenaltyKill)`"},
	{"pledge-large", "`pledge.Apply(<every promise with a Linux meaning but error>, PenaltyKill)`"},
	{"pledge-eperm", "`pledge.Apply(\"stdio rpath wpath cpath inet dns\", PenaltyEPERM)`"},
	{"compile-only", "`pledge.Program(\"stdio rpath wpath cpath inet dns\", PenaltyKill)`: compiling the filter, nothing installed (part of pledge-eperm)"},
	{"install-only", "the same program, compiled before the clock starts, installed with no_new_privs + seccomp(TSYNC) (the kernel's part: copy, cBPF→eBPF, JIT, action-cache bitmaps)"},
	{"install-floor1", "a one-instruction ALLOW filter installed the same way"},
	{"unveil-small", "`unveil.New()`, 3 directories (2 r, 1 rwc), `Commit()`"},
	{"unveil-large", "`unveil.New()`, 64 directories (63 r, 1 rwc), `Commit()`"},
	{"golandlock-small", "go-landlock v0.11.2 `V7.BestEffort().RestrictPaths(RODirs(2), RWDirs(1))`"},
	{"golandlock-large", "go-landlock v0.11.2 `V7.BestEffort().RestrictPaths(RODirs(63), RWDirs(1))`"},
	{"golandlock-newest-small", "go-landlock v0.11.2 `V11.BestEffort().RestrictPaths(RODirs(2), RWDirs(1))`: its newest config, on Landlock ABI 8+ one landlock_restrict_self with TSYNC instead of the psx round"},
	{"raw-tsync-small", "floor for a whole-process layer on Landlock ABI 8+: raw syscalls as raw-small, restrict_self with LANDLOCK_RESTRICT_SELF_TSYNC (every thread, one call); n/a below ABI 8"},
	{"raw-small", "floor: raw syscalls, 3 directories: create_ruleset, open(O_PATH)+add_rule+close each, prctl(NO_NEW_PRIVS), restrict_self — one thread only, not a usable Go sandbox"},
	{"raw-large", "floor: raw syscalls as above, 64 directories"},
}

type applyResult struct {
	Case  string
	US    float64            // the whole apply, wall clock
	CPU   float64            // the whole apply, CPU time of the process (all threads)
	Parts map[string]float64 `json:",omitempty"`
}

// applyPaths returns read-only directories and one read-write directory.
func applyPaths(large bool) (ro []string, rw string, err error) {
	rw, err = os.MkdirTemp("", "pkbench-apply-")
	if err != nil {
		return nil, "", err
	}
	if !large {
		return []string{"/usr", "/etc"}, rw, nil
	}
	ro = []string{"/etc"}
	src := filepath.Join(goroot(), "src")
	err = filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if len(ro) >= 63 {
			return filepath.SkipAll
		}
		if d.IsDir() && p != src {
			ro = append(ro, p)
		}
		return nil
	})
	if len(ro) < 63 {
		return nil, "", fmt.Errorf("found only %d directories under %s", len(ro), src)
	}
	return ro, rw, err
}

func goroot() string {
	if r := os.Getenv("PKBENCH_GOROOT"); r != "" {
		return r
	}
	return "/usr/local/go"
}

func childApply() (any, error) {
	c := os.Getenv("PKBENCH_CASE")
	res := applyResult{Case: c, Parts: map[string]float64{}}
	large := strings.HasSuffix(c, "-large")
	var ro []string
	var rw string
	var err error
	if strings.HasPrefix(c, "unveil-") || strings.HasPrefix(c, "golandlock-") || strings.HasPrefix(c, "raw-") || c == "fetch" || c == "fetch-commit" || c == "verify" {
		if ro, rw, err = applyPaths(large); err != nil {
			return nil, err
		}
		// rw is left for the parent to remove (the sandbox may forbid it).
	}
	var etc []string
	for _, f := range []string{"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf"} {
		if _, err := os.Stat(f); err == nil {
			etc = append(etc, f)
		}
	}
	kill := pledge.Options{Penalty: pledge.PenaltyKill, Fallback: pledge.FallbackPenalty}
	var prog []bpfrun.Insn
	switch c {
	case "install-only":
		if prog, err = progs.Ours("stdio rpath wpath cpath inet dns"); err != nil {
			return nil, err
		}
	case "install-floor1":
		prog = progs.Floor1()
	}
	c0 := processCPU()
	t0 := time.Now()
	switch c {
	case "hello":
		err = pledge.Pledge("stdio rpath", "")
	case "fetch", "fetch-commit", "verify":
		rs := unveil.New()
		ps := "stdio rpath"
		if c != "verify" {
			for _, f := range etc {
				if err = rs.Unveil(f, "r"); err != nil {
					return nil, err
				}
			}
			err = rs.Unveil(rw, "rwc")
			rs.ConnectTCP(8443)
			ps = "stdio rpath wpath cpath inet dns"
		} else {
			err = rs.Unveil(rw, "r")
			rs.ConnectTCP()
		}
		if err != nil {
			return nil, err
		}
		rs.BindTCP()
		rs.Scope(unveil.ScopeSignal, unveil.ScopeAbstractUnix)
		kill.Promises = ps
		if c != "fetch-commit" {
			kill.Unveil = rs
			_, err = pledge.Apply(kill)
			break
		}
		if _, err = rs.Commit(); err != nil {
			return nil, err
		}
		res.Parts["unveil"] = us(time.Since(t0))
		t1 := time.Now()
		_, err = pledge.Apply(kill)
		res.Parts["pledge"] = us(time.Since(t1))
	case "compile-only":
		_, err = pledge.Program("stdio rpath wpath cpath inet dns", runtime.GOARCH, pledge.PenaltyKill)
	case "install-only", "install-floor1":
		err = progs.Install(prog)
	case "pledge-small":
		kill.Promises = "stdio"
		_, err = pledge.Apply(kill)
	case "pledge-large":
		kill.Promises = promfacts.LinuxSet().Without(promises.Error).String()
		_, err = pledge.Apply(kill)
	case "pledge-eperm":
		_, err = pledge.Apply(pledge.Options{Promises: "stdio rpath wpath cpath inet dns", Penalty: pledge.PenaltyEPERM})
	case "unveil-small", "unveil-large":
		rs := unveil.New()
		for _, p := range ro {
			if err = rs.Unveil(p, "r"); err != nil {
				return nil, err
			}
		}
		if err = rs.Unveil(rw, "rwc"); err != nil {
			return nil, err
		}
		_, err = rs.Commit()
	case "golandlock-small", "golandlock-large":
		err = landlock.V7.BestEffort().RestrictPaths(landlock.RODirs(ro...), landlock.RWDirs(rw))
	case "golandlock-newest-small":
		err = landlock.V11.BestEffort().RestrictPaths(landlock.RODirs(ro...), landlock.RWDirs(rw))
	case "raw-tsync-small":
		if !probe.Get().LandlockTSync() {
			res.US, res.CPU = -1, -1 // n/a: no TSYNC on this kernel
			return res, nil
		}
		err = rawLandlockFlags(append(ro, rw), llsys.FlagRestrictSelfTSync)
	case "raw-small", "raw-large":
		err = rawLandlock(append(ro, rw))
	default:
		return nil, fmt.Errorf("unknown case %q", c)
	}
	res.US = us(time.Since(t0))
	res.CPU = us(processCPU() - c0)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// processCPU is the CPU time of all threads of this process.
func processCPU() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts)
	return time.Duration(ts.Nano())
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// rawLandlock is the kernel's floor: one ruleset, one rule per directory
// (the last with write rights), enforced on this thread only.
func rawLandlock(dirs []string) error { return rawLandlockFlags(dirs, 0) }

// rawLandlockFlags is rawLandlock with landlock_restrict_self flags.
func rawLandlockFlags(dirs []string, flags uint32) error {
	const rights = (1 << 16) - 1 // every filesystem right of ABI 1..7 (bits 0..15)
	attr := unix.LandlockRulesetAttr{Handled_access_fs: rights}
	fd, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr), 0)
	if e != 0 {
		return fmt.Errorf("landlock_create_ruleset: %w", e)
	}
	defer unix.Close(int(fd))
	for i, d := range dirs {
		pfd, err := unix.Open(d, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		acc := uint64(1<<0 | 1<<2 | 1<<3) // execute, read_file, read_dir
		if i == len(dirs)-1 {
			acc = rights
		}
		pb := unix.LandlockPathBeneathAttr{Allowed_access: acc, Parent_fd: int32(pfd)}
		_, _, e := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, fd, unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&pb)), 0, 0, 0)
		unix.Close(pfd)
		if e != 0 {
			return fmt.Errorf("landlock_add_rule %s: %w", d, e)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	if _, _, e := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, uintptr(flags), 0); e != 0 {
		return fmt.Errorf("landlock_restrict_self: %w", e)
	}
	return nil
}

// rawLandlockABI2 restricts this thread with a ruleset that handles only
// the rights of Landlock ABI 1 and 2 (no truncate, no device ioctl), with
// one rule granting read access beneath dir.
func rawLandlockABI2(dir string) error {
	const rights = (1 << 14) - 1 // ABI 1 (bits 0..12) and REFER (bit 13)
	attr := unix.LandlockRulesetAttr{Handled_access_fs: rights}
	fd, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), 8, 0) // ABI 1 attribute size
	if e != 0 {
		return fmt.Errorf("landlock_create_ruleset: %w", e)
	}
	defer unix.Close(int(fd))
	pfd, err := unix.Open(dir, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	pb := unix.LandlockPathBeneathAttr{Allowed_access: 1<<2 | 1<<3, Parent_fd: int32(pfd)} // read_file, read_dir
	if _, _, e := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, fd, unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&pb)), 0, 0, 0); e != 0 {
		return fmt.Errorf("landlock_add_rule: %w", e)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	if _, _, e := unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, 0, 0); e != 0 {
		return fmt.Errorf("landlock_restrict_self: %w", e)
	}
	return nil
}

type applyRaw struct {
	Rounds int
	US     map[string][]float64
	CPU    map[string][]float64
	Parts  map[string]map[string][]float64
}

func benchApply(o *options) (section, error) {
	var s section
	rounds := o.roundsOr(21)
	raw := applyRaw{Rounds: rounds, US: map[string][]float64{}, CPU: map[string][]float64{}, Parts: map[string]map[string][]float64{}}
	for r := range rounds {
		for i := range applyCases {
			c := applyCases[(i+r)%len(applyCases)].name
			var res applyResult
			if err := child("apply", []string{"PKBENCH_CASE=" + c, "TMPDIR=" + o.tmp}, &res); err != nil {
				return s, err
			}
			raw.US[c] = append(raw.US[c], res.US)
			raw.CPU[c] = append(raw.CPU[c], res.CPU)
			for k, v := range res.Parts {
				if raw.Parts[c] == nil {
					raw.Parts[c] = map[string][]float64{}
				}
				raw.Parts[c][k] = append(raw.Parts[c][k], v)
			}
		}
		o.logf("apply: round %d/%d", r+1, rounds)
	}
	s.Raw = raw
	var b strings.Builder
	fmt.Fprintf(&b, "Microseconds to apply, first call in a fresh process (median of %d processes per case, cases interleaved; ± is the median absolute deviation in percent). CPU is the process's CPU time over the same interval (all its threads, not the supervisor process hello starts): it leaves out waiting for a CPU, so it is the steadier figure on a loaded machine.\n\n", rounds)
	b.WriteString("| case | wall µs | ± % | CPU µs | parts (wall µs) |\n|---|--:|--:|--:|---|\n")
	for _, c := range applyCases {
		xs := raw.US[c.name]
		var parts []string
		keys := make([]string, 0, len(raw.Parts[c.name]))
		for k := range raw.Parts[c.name] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %s", k, fmtNS(median(raw.Parts[c.name][k]))))
		}
		if len(xs) > 0 && median(xs) < 0 {
			fmt.Fprintf(&b, "| %s | n/a | | n/a | not on this kernel |\n", c.name)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %s |\n", c.name, fmtNS(median(xs)), spread(xs), fmtNS(median(raw.CPU[c.name])), strings.Join(parts, ", "))
	}
	writeApplyRatios(&b, raw)
	b.WriteString("\nCases:\n\n")
	for _, c := range applyCases {
		fmt.Fprintf(&b, "- %s: %s\n", c.name, c.desc)
	}
	s.Markdown = b.String()
	return s, nil
}

// writeApplyRatios writes the Landlock apply cases as ratios to the raw
// floor on the same kernel: the one figure that carries over from a QEMU
// guest (TCG timings are not absolute). The floor for a whole-process
// layer is raw-tsync-small where the kernel has TSYNC (Landlock ABI 8),
// raw-small (one thread only, so below what any Go sandbox can do)
// otherwise. The target is unveil-small <= 1.5x the floor on ABI 8.
func writeApplyRatios(b *strings.Builder, raw applyRaw) {
	pr := probe.Get()
	floor := "raw-tsync-small"
	if !pr.LandlockTSync() {
		floor = "raw-small"
	}
	f := median(raw.US[floor])
	if len(raw.US[floor]) == 0 || f <= 0 {
		return
	}
	mech := "psx round (no TSYNC)"
	if pr.LandlockTSync() {
		mech = "TSYNC"
	}
	fc := median(raw.CPU[floor])
	fmt.Fprintf(b, "\nRatios to the floor (%s) on kernel %s, Landlock ABI %d, go-landlock's mechanism: %s (medians; CPU is the steadier on a loaded machine):\n\n", floor, pr.Kernel, pr.LandlockABI, mech)
	b.WriteString("| case | wall × floor | CPU × floor |\n|---|--:|--:|\n")
	for _, c := range []string{"unveil-small", "fetch", "verify", "golandlock-small", "golandlock-newest-small", "raw-small"} {
		if xs := raw.US[c]; len(xs) > 0 && c != floor {
			fmt.Fprintf(b, "| %s | %.2f | %.2f |\n", c, median(xs)/f, median(raw.CPU[c])/fc)
		}
	}
}
