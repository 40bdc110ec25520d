package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
)

// A console transcript as QEMU delivers it: CRLF line ends, kernel messages
// interleaved, test output between begin and result records.
var goodConsole = "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n" +
	"[    0.000000] Linux version 6.12.117+deb12-cloud-amd64\r\n" +
	"\r\n@@PLEDGEKIT boot cell=amd64/6.12 release=6.12.117+deb12-cloud-amd64 machine=x86_64 expect_abi=6 guest=true cpus=2@@\r\n" +
	"\r\n@@PLEDGEKIT kernel landlock_abi=6 landlock_err=\"\" seccomp=true seccomp_kill_process=true lsm=lockdown,capability,landlock,yama@@\r\n" +
	"@@PLEDGEKIT probe landlock_abi=6 seccomp=true status=pass user=root@@\r\n" +
	"@@PLEDGEKIT probe landlock_abi=6 seccomp=true status=pass user=nobody@@\r\n" +
	sandboxLines("root") + sandboxLines("nobody") +
	"@@PLEDGEKIT begin pkg=./unveil user=root@@\r\n" +
	"=== RUN   TestA\r\n--- PASS: TestA (0.00s)\r\n=== RUN   TestB\r\n    b_test.go:3: not on this kernel\r\n--- SKIP: TestB (0.00s)\r\nPASS\r\n" +
	"[   3.2] audit: type=1326 audit(1.2:3): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=80 comm=\"unveil.test\"\r\n" +
	"@@PLEDGEKIT result pkg=./unveil user=root status=pass passed=1 failed=0 skipped=1 exit=0 ms=1500 reason=\"\"@@\r\n" +
	"@@PLEDGEKIT begin pkg=./unveil user=nobody@@\r\n" +
	"--- PASS: TestA (0.00s)\r\n--- PASS: TestB (0.00s)\r\n" +
	"@@PLEDGEKIT result pkg=./unveil user=nobody status=pass passed=2 failed=0 skipped=0 exit=0 ms=900 reason=\"\"@@\r\n" +
	"@@PLEDGEKIT done status=ok failed=0@@\r\n" +
	"[    4.49] reboot: Power down\r\n"

func sandboxLines(user string) string {
	var b strings.Builder
	for _, c := range sandboxChecks {
		b.WriteString(proto.Format(proto.KindSandbox, "check", c, "ok", "true", "user", user, "want", "enforced") + "\r\n")
	}
	return b.String()
}

func parseConsole(s string) *guestOutput {
	g := newGuestOutput()
	for _, l := range strings.Split(s, "\n") {
		g.Line(l)
	}
	return g
}

func goodOutcome() *cellOutcome {
	return &cellOutcome{
		Cell:      Cell{Arch: "amd64", Kernel: "6.12"},
		ExpectABI: 6,
		Users:     []string{proto.UserRoot, proto.UserNobody},
		Planned:   []plannedRun{{Pkg: "./unveil"}},
		Guest:     parseConsole(goodConsole),
		Duration:  40 * time.Second,
	}
}

func TestParseConsole(t *testing.T) {
	g := parseConsole(goodConsole)
	if !g.Booted || g.Release != "6.12.117+deb12-cloud-amd64" || g.CPUs != 2 || !g.KernelSeen || g.LandlockABI != 6 ||
		!g.Seccomp || !g.SeccompKillProcess || !g.Done || g.DoneStatus != "ok" || len(g.Malformed) != 0 {
		t.Fatalf("parsed %+v", g)
	}
	if len(g.Probes) != 2 || g.Probes[1].User != "nobody" || g.Probes[1].LandlockABI != 6 {
		t.Errorf("probes %+v", g.Probes)
	}
	if len(g.Sandbox) != 2*len(sandboxChecks) || !g.Sandbox[0].OK || g.Sandbox[0].Check != "strict-paths" {
		t.Errorf("sandbox %+v", g.Sandbox)
	}
	if len(g.Results) != 2 || g.Results[0].Skipped != 1 || g.Results[0].Dur != 1500*time.Millisecond || g.Results[1].Passed != 2 {
		t.Errorf("results %+v", g.Results)
	}
	sec := strings.Join(g.Section("./unveil", "root"), "\n")
	if !strings.Contains(sec, "not on this kernel") || strings.Contains(sec, "@@PLEDGEKIT") {
		t.Errorf("section of ./unveil as root = %q", sec)
	}
}

func TestJudge(t *testing.T) {
	o := goodOutcome()
	o.judge()
	if o.Verdict != verdictPass || len(o.Problems) != 0 {
		t.Fatalf("good cell: %s %v", o.Verdict, o.Problems)
	}

	tests := []struct {
		name   string
		mutate func(o *cellOutcome)
		want   string // substring of a problem
	}{
		{"kernel ABI differs from the cell", func(o *cellOutcome) { o.ExpectABI = 2 }, "kernel itself reports Landlock ABI 6"},
		{"probe disagrees with the kernel", func(o *cellOutcome) {
			o.Guest = parseConsole(strings.Replace(goodConsole, "landlock_abi=6 seccomp=true status=pass user=nobody", "landlock_abi=7 seccomp=true status=pass user=nobody", 1))
		}, "internal/probe as nobody reports Landlock ABI 7"},
		{"probe reports no seccomp", func(o *cellOutcome) {
			o.Guest = parseConsole(strings.Replace(goodConsole, "seccomp=true status=pass user=root", "seccomp=false status=pass user=root", 1))
		}, "reports no seccomp"},
		{"probe missing", func(o *cellOutcome) {
			o.Guest = parseConsole(strings.Replace(goodConsole, "@@PLEDGEKIT probe landlock_abi=6 seccomp=true status=pass user=root@@", "", 1))
		}, "no probe verdict as root"},
		{"sandbox check failed", func(o *cellOutcome) {
			o.Guest = parseConsole(strings.Replace(goodConsole, "check=strict-tcp ok=true user=nobody want=enforced", `check=strict-tcp ok=false user=nobody want="fails closed" detail="did not fail"`, 1))
		}, "unveil check strict-tcp as nobody (want: fails closed) failed: did not fail"},
		{"sandbox check missing", func(o *cellOutcome) {
			o.Guest = parseConsole(strings.Replace(goodConsole, "check=best-scopes ok=true user=root", "check=other ok=true user=root", 1))
		}, "unveil check best-scopes as root: no result"},
		{"sandboxcheck did not build", func(o *cellOutcome) { o.SandboxBuild = "undefined: unveil.New" }, "sandboxcheck (unveil) did not build"},
		{"probecheck did not build", func(o *cellOutcome) { o.ProbeBuild = "undefined: probe.Get" }, "probecheck"},
		{"test failed", func(o *cellOutcome) {
			o.Guest = parseConsole(strings.Replace(goodConsole, "user=nobody status=pass passed=2 failed=0", "user=nobody status=fail passed=1 failed=1", 1))
		}, "./unveil as nobody: FAILED"},
		{"hang: result and done missing", func(o *cellOutcome) {
			o.Guest = parseConsole(goodConsole[:strings.Index(goodConsole, "@@PLEDGEKIT result pkg=./unveil user=nobody")])
			o.TimedOut = true
			o.Timeout = time.Minute
		}, "timed out after 1m0s"},
		{"hang: the missing result is named", func(o *cellOutcome) {
			o.Guest = parseConsole(goodConsole[:strings.Index(goodConsole, "@@PLEDGEKIT result pkg=./unveil user=nobody")])
		}, "./unveil as nobody: no result"},
		{"no done record", func(o *cellOutcome) {
			o.Guest = parseConsole(strings.Replace(goodConsole, "@@PLEDGEKIT done status=ok failed=0@@", "", 1))
		}, "did not finish"},
		{"kernel panic before init", func(o *cellOutcome) {
			o.Guest = parseConsole("[ 1.0] Kernel panic - not syncing: VFS: Unable to mount root fs\n")
		}, "never reported booting"},
		{"build failure", func(o *cellOutcome) {
			o.BuildFails = []pkgResult{{Pkg: "./pledge", Status: "fail", Reason: "exit status 1\npledge/x.go:3: syntax error"}}
		}, "./pledge did not build"},
		{"guest userland incomplete", func(o *cellOutcome) { o.SetupErrs = []string{"guest package dash unavailable: x"} }, "dash unavailable"},
		{"qemu failed", func(o *cellOutcome) { o.RunErr = "qemu-system-x86_64 exited with status 1" }, "exited with status 1"},
		{"init error", func(o *cellOutcome) {
			o.Guest = parseConsole(strings.Replace(goodConsole, "done status=ok failed=0", `done status=error error="read guest config: no such file"`, 1))
		}, "guest init failed"},
		{"unplanned user missing", func(o *cellOutcome) { o.Users = append(o.Users, "someone") }, "no probe verdict as someone"},
		{"per-package user missing", func(o *cellOutcome) {
			o.Planned = append(o.Planned, plannedRun{Pkg: "./internal/filter", Users: []string{"root"}})
		}, "./internal/filter as root: no result"},
	}
	for _, tt := range tests {
		o := goodOutcome()
		tt.mutate(o)
		o.judge()
		if o.Verdict != verdictFail {
			t.Errorf("%s: verdict %s, want FAIL", tt.name, o.Verdict)
			continue
		}
		if !strings.Contains(strings.Join(o.Problems, "\n"), tt.want) {
			t.Errorf("%s: problems %q do not mention %q", tt.name, o.Problems, tt.want)
		}
	}

	o = goodOutcome()
	o.SkipReason = "no package"
	o.judge()
	if o.Verdict != verdictSkip {
		t.Errorf("skipped cell: verdict %s", o.Verdict)
	}
}

func TestNoLandlockCellExpectsZero(t *testing.T) {
	console := strings.NewReplacer(
		"landlock_abi=6 landlock_err=\"\"", "landlock_abi=0 landlock_err=\"operation not supported\"",
		"probe landlock_abi=6", "probe landlock_abi=0",
	).Replace(goodConsole)
	o := goodOutcome()
	o.Cell.NoLandlock = true
	o.ExpectABI = 0
	o.Guest = parseConsole(console)
	o.judge()
	if o.Verdict != verdictPass {
		t.Fatalf("no-Landlock cell: %s %v", o.Verdict, o.Problems)
	}
	// A probe that claims Landlock on a kernel without it fails the cell.
	o.Guest = parseConsole(strings.Replace(console, "probe landlock_abi=0 seccomp=true status=pass user=root", "probe landlock_abi=6 seccomp=true status=pass user=root", 1))
	o.judge()
	if o.Verdict != verdictFail {
		t.Fatalf("probe claiming ABI 6 without Landlock passed")
	}
}

func TestRunFailedRule(t *testing.T) {
	mk := func(name string, noLL bool, verdict string) *cellOutcome {
		return &cellOutcome{Cell: Cell{Arch: "amd64", Kernel: name, NoLandlock: noLL}, Verdict: verdict, SkipReason: "x"}
	}
	tests := []struct {
		name     string
		outcomes []*cellOutcome
		fail     bool
	}{
		{"all pass", []*cellOutcome{mk("6.12", false, verdictPass), mk("6.12", true, verdictPass)}, false},
		{"no-Landlock skipped", []*cellOutcome{mk("6.12", false, verdictPass), mk("6.12", true, verdictSkip)}, false},
		{"Landlock cell skipped", []*cellOutcome{mk("6.1", false, verdictSkip), mk("6.12", true, verdictPass)}, true},
		{"a failure", []*cellOutcome{mk("6.1", false, verdictFail), mk("6.12", false, verdictPass)}, true},
		{"unjudged", []*cellOutcome{mk("6.1", false, "")}, true},
		{"nothing ran", nil, true},
	}
	for _, tt := range tests {
		if got, why := runFailed(tt.outcomes); got != tt.fail {
			t.Errorf("%s: runFailed = %v (%v), want %v", tt.name, got, why, tt.fail)
		}
	}
}

func TestSummaryTable(t *testing.T) {
	o := goodOutcome()
	o.judge()
	s := mk2()
	s.judge()
	tab := summaryTable([]*cellOutcome{o, s})
	lines := strings.Split(strings.TrimSpace(tab), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "CELL") {
		t.Fatalf("table:\n%s", tab)
	}
	for _, want := range []string{"amd64/6.12", "6.12.117+deb12-cloud-amd64", "12/12 ok", "1/0/1", "2/0/0", "40s", "PASS"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row %q lacks %q", lines[1], want)
		}
	}
	if !strings.Contains(lines[2], "arm64/6.1") || !strings.Contains(lines[2], verdictSkip) {
		t.Errorf("skip row %q", lines[2])
	}
}

func mk2() *cellOutcome {
	return &cellOutcome{Cell: Cell{Arch: "arm64", Kernel: "6.1"}, ExpectABI: 2, SkipReason: "no package"}
}

// A failed test's own output is kept even when many lines follow it, and a
// passing test's output is not.
func TestFailuresKeepTheFailedTestsOutput(t *testing.T) {
	var b strings.Builder
	b.WriteString("@@PLEDGEKIT begin pkg=./pledge user=nobody@@\r\n")
	b.WriteString("=== RUN   TestGood\r\n    good_test.go:1: fine\r\n--- PASS: TestGood (0.00s)\r\n")
	b.WriteString("=== RUN   TestBad\r\n=== RUN   TestBad/sub\r\n    bad_test.go:9: want EPERM, got nil\r\n")
	b.WriteString("--- FAIL: TestBad (0.10s)\r\n    --- FAIL: TestBad/sub (0.10s)\r\n")
	for i := 0; i < 300; i++ {
		b.WriteString("=== RUN   FuzzX/seed\r\n--- PASS: FuzzX/seed (0.00s)\r\n")
	}
	b.WriteString("FAIL\r\n@@PLEDGEKIT result pkg=./pledge user=nobody status=fail passed=1 failed=1 skipped=0 exit=1 ms=10 reason=\"\"@@\r\n")
	g := parseConsole(b.String())
	f := strings.Join(g.Failures("./pledge", "nobody"), "\n")
	for _, want := range []string{"bad_test.go:9: want EPERM, got nil", "--- FAIL: TestBad (0.10s)", "--- FAIL: TestBad/sub"} {
		if !strings.Contains(f, want) {
			t.Errorf("failures lack %q:\n%s", want, f)
		}
	}
	if strings.Contains(f, "fine") || strings.Contains(f, "FuzzX") {
		t.Errorf("failures hold other tests' output:\n%s", f)
	}
	if strings.Contains(strings.Join(g.Section("./pledge", "nobody"), "\n"), "want EPERM") {
		t.Errorf("the test is meaningless: the failure is still in the last lines")
	}
}

// A subtest that failed before a later subtest ran (go test -v prints the
// verdicts of both after the second's lines) keeps its own output: the
// amd64/host cell printed only "=== RUN TestUserGroup/direct" for a
// failure of TestUserGroup/supervised.
func TestFailuresKeepAnEarlierSubtestsOutput(t *testing.T) {
	var b strings.Builder
	b.WriteString("@@PLEDGEKIT begin pkg=./cmd/unveil user=root@@\r\n")
	b.WriteString("=== RUN   TestUserGroup\r\n=== RUN   TestUserGroup/supervised\r\n")
	b.WriteString("    options_linux_test.go:119: want success, got exit 126\r\n        stderr: denied execve\r\n")
	b.WriteString("=== RUN   TestUserGroup/direct\r\n    options_linux_test.go:5: passing noise\r\n")
	b.WriteString("--- FAIL: TestUserGroup (0.17s)\r\n    --- FAIL: TestUserGroup/supervised (0.02s)\r\n    --- PASS: TestUserGroup/direct (0.02s)\r\n")
	b.WriteString("=== RUN   TestLimits\r\n    limits_test.go:1: other\r\n--- PASS: TestLimits (0.00s)\r\n")
	b.WriteString("FAIL\r\n@@PLEDGEKIT result pkg=./cmd/unveil user=root status=fail passed=1 failed=1 skipped=0 exit=1 ms=10 reason=\"\"@@\r\n")
	g := parseConsole(b.String())
	f := strings.Join(g.Failures("./cmd/unveil", "root"), "\n")
	for _, want := range []string{"want success, got exit 126", "stderr: denied execve", "--- FAIL: TestUserGroup/supervised"} {
		if !strings.Contains(f, want) {
			t.Errorf("failures lack %q:\n%s", want, f)
		}
	}
	for _, not := range []string{"passing noise", "other"} {
		if strings.Contains(f, not) {
			t.Errorf("failures hold %q, from a passing test:\n%s", not, f)
		}
	}
}
