package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
)

// pkgResult is one test binary run (or one build failure).
type pkgResult struct {
	Pkg, User, Status       string // status: pass, fail, skip
	Passed, Failed, Skipped int
	Exit                    int
	Dur                     time.Duration
	Reason                  string
}

// probeRecord is internal/probe's verdict in the guest, for one user.
type probeRecord struct {
	User, Status string
	LandlockABI  int
	Seccomp      string
	Err          string
}

// sandboxRecord is one sandboxcheck result (unveil fails closed, degrades
// with a report, or enforces) for one user.
type sandboxRecord struct {
	User, Check string
	OK          bool
	Want        string
	Detail      string
}

// sandboxChecks are the checks sandboxcheck runs for every user.
var sandboxChecks = []string{"strict-paths", "best-paths", "strict-tcp", "best-tcp", "strict-scopes", "best-scopes"}

// guestOutput is everything parsed from one cell's console.
type guestOutput struct {
	Booted              bool
	Release, Machine    string
	CPUs                int
	KernelSeen          bool
	LandlockABI         int
	LandlockErr         string
	Seccomp             bool
	SeccompKillProcess  bool
	LSM                 string
	Probes              []probeRecord
	Sandbox             []sandboxRecord
	Results             []pkgResult
	Done                bool
	DoneStatus, DoneErr string
	Malformed           []string
	sections            map[string][]string // "pkg user" -> last lines of its output
	failures            map[string][]string // "pkg user" -> the output of its failed tests
	blocks              map[string][]string // test name -> its output lines so far (go test -v)
	test                string              // the test the next output lines belong to
	current             string
	maxSectionLines     int
}

// maxFailureLines bounds what is kept of one test binary's failed tests.
const maxFailureLines = 200

func newGuestOutput() *guestOutput {
	return &guestOutput{sections: map[string][]string{}, failures: map[string][]string{}, maxSectionLines: 80}
}

func sectionKey(pkg, user string) string { return pkg + " " + user }

// Line feeds one console line to the parser.
func (g *guestOutput) Line(line string) {
	line = strings.TrimRight(line, "\r\n")
	rec, ok, err := proto.Parse(line)
	if err != nil {
		g.Malformed = append(g.Malformed, line)
	}
	if !ok {
		if g.current != "" {
			s := append(g.sections[g.current], line)
			if len(s) > g.maxSectionLines {
				s = s[len(s)-g.maxSectionLines:]
			}
			g.sections[g.current] = s
			g.trackFailure(line)
		}
		return
	}
	switch rec.Kind {
	case proto.KindBoot:
		g.Booted = true
		g.Release = rec.Get("release")
		g.Machine = rec.Get("machine")
		g.CPUs = rec.Int("cpus", 0)
	case proto.KindKernel:
		g.KernelSeen = true
		g.LandlockABI = rec.Int("landlock_abi", -1)
		g.LandlockErr = rec.Get("landlock_err")
		g.Seccomp = rec.Get("seccomp") == "true"
		g.SeccompKillProcess = rec.Get("seccomp_kill_process") == "true"
		g.LSM = rec.Get("lsm")
	case proto.KindProbe:
		g.Probes = append(g.Probes, probeRecord{
			User: rec.Get("user"), Status: rec.Get("status"),
			LandlockABI: rec.Int("landlock_abi", -1), Seccomp: rec.Get("seccomp"),
			Err: firstNonEmpty(rec.Get("error"), rec.Get("landlock_err")),
		})
	case proto.KindSandbox:
		g.Sandbox = append(g.Sandbox, sandboxRecord{
			User: rec.Get("user"), Check: rec.Get("check"), OK: rec.Get("ok") == "true",
			Want: rec.Get("want"), Detail: firstNonEmpty(rec.Get("detail"), rec.Get("error")),
		})
	case proto.KindBegin:
		g.current = sectionKey(rec.Get("pkg"), rec.Get("user"))
		g.sections[g.current] = nil
		g.failures[g.current] = nil
		g.blocks, g.test = nil, ""
	case proto.KindResult:
		g.current = ""
		g.Results = append(g.Results, pkgResult{
			Pkg: rec.Get("pkg"), User: rec.Get("user"), Status: rec.Get("status"),
			Passed: rec.Int("passed", 0), Failed: rec.Int("failed", 0), Skipped: rec.Int("skipped", 0),
			Exit: rec.Int("exit", 0), Dur: time.Duration(rec.Int("ms", 0)) * time.Millisecond,
			Reason: rec.Get("reason"),
		})
	case proto.KindDone:
		g.current = ""
		g.Done = true
		g.DoneStatus = rec.Get("status")
		g.DoneErr = rec.Get("error")
	}
}

// trackFailure keeps the output of each failed test, subtests included.
// go test -v prints a test's log lines after its "=== RUN" (or "=== CONT",
// "=== NAME" when tests interleave) and its verdict at the end, after the
// lines of the subtests that ran after it: a failed subtest's lines are
// kept under its name until its "--- FAIL", however many lines and tests
// follow, so a failure is explained even when it scrolled out of the last
// lines.
func (g *guestOutput) trackFailure(line string) {
	t := strings.TrimLeft(line, " ")
	for _, p := range []string{"=== RUN ", "=== CONT ", "=== NAME "} {
		if name, ok := strings.CutPrefix(t, p); ok {
			g.test = strings.TrimSpace(name)
			if g.blocks == nil {
				g.blocks = map[string][]string{}
			}
			if p == "=== RUN " {
				g.blocks[g.test] = nil
			}
			break
		}
	}
	for _, p := range []string{"--- FAIL: ", "--- PASS: ", "--- SKIP: "} {
		rest, ok := strings.CutPrefix(t, p)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, " ")
		if p == "--- FAIL: " {
			f := append(g.failures[g.current], g.blocks[name]...)
			f = append(f, line)
			if len(f) > maxFailureLines {
				f = f[:maxFailureLines]
			}
			g.failures[g.current] = f
		}
		delete(g.blocks, name)
		return
	}
	if g.test == "" {
		return
	}
	if b := g.blocks[g.test]; len(b) < maxFailureLines {
		g.blocks[g.test] = append(b, line)
	}
}

// Failures returns the output of one test binary's failed tests.
func (g *guestOutput) Failures(pkg, user string) []string {
	return g.failures[sectionKey(pkg, user)]
}

// Section returns the last console lines of one test binary's run.
func (g *guestOutput) Section(pkg, user string) []string { return g.sections[sectionKey(pkg, user)] }

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Verdicts.
const (
	verdictPass = "PASS"
	verdictFail = "FAIL"
	verdictSkip = "SKIPPED"
)

// plannedRun is a package the guest must report on, as users (nil: all).
type plannedRun struct {
	Pkg   string
	Users []string
}

// cellOutcome is one cell's run and its judgement.
type cellOutcome struct {
	Cell         Cell
	Kernel       string // kernel release booted (or planned)
	ExpectABI    int
	Users        []string
	Planned      []plannedRun // test binaries expected to report results
	BuildFails   []pkgResult  // packages that did not build
	SandboxBuild string       // sandboxcheck build error, if any
	ProbeBuild   string       // probecheck build error, if any
	SetupErrs    []string     // incomplete guest setup (missing userland packages)
	SkipReason   string
	RunErr       string // qemu failed to start, exited non-zero, ...
	TimedOut     bool
	Timeout      time.Duration
	Guest        *guestOutput
	Duration     time.Duration
	Tail         []string // last console lines

	Verdict  string
	Problems []string
}

// judge decides the cell's verdict from what was planned and what the
// guest reported. Anything missing counts against the cell: a hang, a crash
// or a lost record is a failure, never a silent pass.
func (o *cellOutcome) judge() {
	o.Problems = nil
	if o.SkipReason != "" {
		o.Verdict = verdictSkip
		return
	}
	add := func(format string, args ...any) { o.Problems = append(o.Problems, fmt.Sprintf(format, args...)) }
	g := o.Guest
	if g == nil {
		g = newGuestOutput()
	}
	if o.TimedOut {
		add("timed out after %v (hang?): see the console tail", o.Timeout)
	}
	if o.RunErr != "" {
		add("%s", o.RunErr)
	}
	for _, b := range o.BuildFails {
		add("%s did not build for %s: %s", b.Pkg, o.Cell.Arch, firstLine(b.Reason))
	}
	for _, e := range o.SetupErrs {
		add("%s", e)
	}
	if o.ProbeBuild != "" {
		add("probecheck (internal/probe) did not build: %s", firstLine(o.ProbeBuild))
	}
	if o.SandboxBuild != "" {
		add("sandboxcheck (unveil) did not build: %s", firstLine(o.SandboxBuild))
	}
	if !g.Booted {
		add("the guest never reported booting (kernel or init failed to start)")
	}
	if !g.KernelSeen {
		if g.Booted {
			add("the guest did not report the kernel's Landlock/seccomp facts")
		}
	} else {
		if g.LandlockABI != o.ExpectABI {
			add("the kernel itself reports Landlock ABI %d (%s); this cell expects %d: the cell is not the kernel it claims to be",
				g.LandlockABI, orDash(g.LandlockErr), o.ExpectABI)
		}
		if !g.Seccomp || !g.SeccompKillProcess {
			add("the kernel has no seccomp filter mode with SECCOMP_RET_KILL_PROCESS (seccomp=%v kill_process=%v)", g.Seccomp, g.SeccompKillProcess)
		}
	}
	if g.Booted {
		for _, u := range o.Users {
			var p *probeRecord
			for i := range g.Probes {
				if g.Probes[i].User == u {
					p = &g.Probes[i]
				}
			}
			switch {
			case p == nil:
				add("no probe verdict as %s", u)
			case p.Status != "pass":
				add("probe check as %s failed: %s", u, orDash(p.Err))
			case p.LandlockABI != o.ExpectABI:
				add("internal/probe as %s reports Landlock ABI %d; the kernel has %d", u, p.LandlockABI, o.ExpectABI)
			case p.Seccomp != "true":
				add("internal/probe as %s reports no seccomp (seccomp=%s)", u, p.Seccomp)
			}
		}
		for _, u := range o.Users {
			seen := map[string]bool{}
			for _, sb := range g.Sandbox {
				if sb.User != u {
					continue
				}
				seen[sb.Check] = true
				if !sb.OK {
					add("unveil check %s as %s (want: %s) failed: %s", sb.Check, u, orDash(sb.Want), orDash(sb.Detail))
				}
			}
			if !seen["all"] {
				for _, c := range sandboxChecks {
					if !seen[c] {
						add("unveil check %s as %s: no result", c, u)
					}
				}
			}
		}
		got := map[string]pkgResult{}
		for _, r := range g.Results {
			got[sectionKey(r.Pkg, r.User)] = r
		}
		for _, pr := range o.Planned {
			pkg := pr.Pkg
			users := pr.Users
			if len(users) == 0 {
				users = o.Users
			}
			for _, u := range users {
				r, ok := got[sectionKey(pkg, u)]
				switch {
				case !ok:
					add("%s as %s: no result (the guest hung, crashed or powered off during it)", pkg, u)
				case r.Status == "fail":
					add("%s as %s: FAILED (%d failed tests; %s)", pkg, u, r.Failed, orDash(r.Reason))
				case r.Status != "pass" && r.Status != "skip":
					add("%s as %s: unknown status %q", pkg, u, r.Status)
				}
			}
		}
		if !g.Done {
			add("the guest did not finish (no done record)")
		} else if g.DoneStatus != "ok" {
			add("the guest init failed: %s", orDash(g.DoneErr))
		}
	}
	if len(o.Problems) == 0 {
		o.Verdict = verdictPass
	} else {
		o.Verdict = verdictFail
	}
}

// counts sums the test counts of one user's runs.
func (o *cellOutcome) counts(user string) (passed, failed, skipped int, ran bool) {
	if o.Guest == nil {
		return
	}
	for _, r := range o.Guest.Results {
		if r.User == user {
			passed += r.Passed
			failed += r.Failed
			skipped += r.Skipped
			ran = true
		}
	}
	return
}

// runFailed applies the matrix's exit rule: the run fails if any cell
// failed, or if any cell other than a no-Landlock cell was skipped.
func runFailed(outcomes []*cellOutcome) (bool, []string) {
	var why []string
	for _, o := range outcomes {
		switch o.Verdict {
		case verdictFail:
			why = append(why, o.Cell.Name()+" failed")
		case verdictSkip:
			if !o.Cell.NoLandlock {
				why = append(why, o.Cell.Name()+" was skipped ("+o.SkipReason+"); only no-Landlock cells may be skipped")
			}
		case verdictPass:
		default:
			why = append(why, o.Cell.Name()+" has no verdict")
		}
	}
	if len(outcomes) == 0 {
		why = append(why, "no cells ran")
	}
	return len(why) > 0, why
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// summaryTable renders the per-cell summary.
func summaryTable(outcomes []*cellOutcome) string {
	var b strings.Builder
	rows := [][]string{{"CELL", "KERNEL", "EXPECT", "KERNEL-ABI", "PROBE-ABI", "UNVEIL-CHECKS", "ROOT p/f/s", "NOBODY p/f/s", "TIME", "VERDICT"}}
	for _, o := range outcomes {
		kabi, pabi := "-", "-"
		if o.Guest != nil && o.Guest.KernelSeen {
			kabi = strconv.Itoa(o.Guest.LandlockABI)
		}
		if o.Guest != nil {
			var abis []string
			seen := map[int]bool{}
			for _, p := range o.Guest.Probes {
				if p.Status == "pass" && !seen[p.LandlockABI] {
					seen[p.LandlockABI] = true
					abis = append(abis, strconv.Itoa(p.LandlockABI))
				}
			}
			sort.Strings(abis)
			if len(abis) > 0 {
				pabi = strings.Join(abis, ",")
			}
		}
		cnt := func(u string) string {
			p, f, s, ran := o.counts(u)
			if !ran {
				return "-"
			}
			return fmt.Sprintf("%d/%d/%d", p, f, s)
		}
		kernel := o.Kernel
		if o.Guest != nil && o.Guest.Release != "" {
			kernel = o.Guest.Release
		}
		dur := "-"
		if o.Duration > 0 {
			dur = o.Duration.Round(time.Second).String()
		}
		checks := "-"
		if o.Guest != nil && len(o.Guest.Sandbox) > 0 {
			ok := 0
			for _, sb := range o.Guest.Sandbox {
				if sb.OK {
					ok++
				}
			}
			checks = fmt.Sprintf("%d/%d ok", ok, len(o.Guest.Sandbox))
		}
		rows = append(rows, []string{o.Cell.Name(), orDash(kernel), strconv.Itoa(o.ExpectABI), kabi, pabi, checks,
			cnt(proto.UserRoot), cnt(proto.UserNobody), dur, o.Verdict})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, r := range rows {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
			} else {
				fmt.Fprintf(&b, "%-*s  ", widths[i], c)
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
