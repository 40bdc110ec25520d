package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/report"
)

// The options that change the program's process rather than its sandbox:
// -u/-g, the resource limits, -n, -N, --clearenv/--env, and what --report
// and --json print. Each is read back from inside the program (its
// /proc/self files), supervised and direct (-q).

var modes = []struct {
	name string
	pre  []string
}{{"supervised", nil}, {"direct", []string{"-q"}}}

func inMode(t *testing.T, pre []string, args ...string) result {
	t.Helper()
	return unveil(t, append(append([]string(nil), pre...), args...)...)
}

// procStatus parses /proc/PID/status ("Name:\tvalue" lines).
func procStatus(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

// procLimits parses /proc/PID/limits: name → soft, hard.
func procLimits(t *testing.T, s string) map[string][2]string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^(Max [a-z ]+?)\s{2,}(\S+)\s+(\S+)`)
	m := map[string][2]string{}
	for _, sm := range re.FindAllStringSubmatch(s, -1) {
		m[sm[1]] = [2]string{sm[2], sm[3]}
	}
	if len(m) == 0 {
		t.Fatalf("no limits in %q", s)
	}
	return m
}

// statFields returns the fields of /proc/PID/stat from field 3 (state)
// on: field N of proc(5) is at index N-3.
func statFields(t *testing.T, s string) []string {
	t.Helper()
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		t.Fatalf("not a stat line: %q", s)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 39 {
		t.Fatalf("short stat line: %q", s)
	}
	return f
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the CI runs these as root)")
	}
}

// freeID returns a user and group id that no /etc/passwd or /etc/group
// entry uses, so no other process runs under it.
func freeID(t *testing.T) int {
	t.Helper()
	used := map[int]bool{}
	for _, f := range []string{"/etc/passwd", "/etc/group"} {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			if fs := strings.Split(line, ":"); len(fs) > 2 {
				if n, err := strconv.Atoi(fs[2]); err == nil {
					used[n] = true
				}
			}
		}
	}
	for id := 47000; id < 48000; id++ {
		if !used[id] {
			return id
		}
	}
	t.Fatal("no free id")
	return 0
}

const noCaps = "0000000000000000"

func TestUserGroup(t *testing.T) {
	needKernel(t)
	needRoot(t)
	cat, id := need(t, "cat"), need(t, "id")
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			r := inMode(t, m.pre, "-u", "65534", "-g", "65534", "--", id, "-u")
			wantOK(t, r)
			if r.stdout != "65534\n" {
				t.Errorf("id -u printed %q", r.stdout)
			}
			r = inMode(t, m.pre, "-u", "65534", "-g", "65534", "-v", "/proc/self", "--", cat, "/proc/self/status")
			wantOK(t, r)
			st := procStatus(r.stdout)
			for k, want := range map[string]string{
				"Uid": "65534\t65534\t65534\t65534", "Gid": "65534\t65534\t65534\t65534", "Groups": "65534",
				"CapInh": noCaps, "CapPrm": noCaps, "CapEff": noCaps, "CapBnd": noCaps, "CapAmb": noCaps,
				"NoNewPrivs": "1",
			} {
				if st[k] != want {
					t.Errorf("%s: %q, want %q", k, st[k], want)
				}
			}
			// Root without -u: still root, but with no capability left
			// to use, none to regain, and no_new_privs.
			r = inMode(t, m.pre, "-v", "/proc/self", "--", cat, "/proc/self/status")
			wantOK(t, r)
			st = procStatus(r.stdout)
			for k, want := range map[string]string{"Uid": "0\t0\t0\t0", "CapPrm": noCaps, "CapEff": noCaps,
				"CapBnd": noCaps, "CapAmb": noCaps, "NoNewPrivs": "1"} {
				if st[k] != want {
					t.Errorf("root: %s: %q, want %q", k, st[k], want)
				}
			}
			// --keep-caps leaves the bounding set alone.
			own, _ := os.ReadFile("/proc/self/status")
			r = inMode(t, m.pre, "--keep-caps", "-v", "/proc/self", "--", cat, "/proc/self/status")
			wantOK(t, r)
			if got, want := procStatus(r.stdout)["CapBnd"], procStatus(string(own))["CapBnd"]; got != want || got == noCaps {
				t.Errorf("--keep-caps: CapBnd %q, want ours %q", got, want)
			}
		})
	}

	// A user name: its uid and its primary group from /etc/passwd.
	uid, gid := -1, -1
	if b, err := os.ReadFile("/etc/passwd"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Split(line, ":"); len(f) > 3 && f[0] == "nobody" {
				uid, _ = strconv.Atoi(f[2])
				gid, _ = strconv.Atoi(f[3])
			}
		}
	}
	if uid > 0 {
		r := unveil(t, "-u", "nobody", "-v", "/proc/self", "--", cat, "/proc/self/status")
		wantOK(t, r)
		st := procStatus(r.stdout)
		u, g := strconv.Itoa(uid), strconv.Itoa(gid)
		if st["Uid"] != strings.Repeat(u+"\t", 3)+u || st["Gid"] != strings.Repeat(g+"\t", 3)+g || st["Groups"] != g {
			t.Errorf("-u nobody: Uid %q Gid %q Groups %q, want uid %d and its group %d only", st["Uid"], st["Gid"], st["Groups"], uid, gid)
		}
	}
	// A number with no /etc/passwd entry names no group: refused rather
	// than keeping root's group; with -g it works.
	free := strconv.Itoa(freeID(t))
	r := unveil(t, "-u", free, "--", id, "-u")
	if r.code != exitUsage || !strings.Contains(r.stderr, "-g") {
		t.Errorf("-u %s without -g: %v; want exit %d naming -g", free, r, exitUsage)
	}
	r = unveil(t, "-u", free, "-g", free, "--", id, "-u")
	wantOK(t, r)
	if r.stdout != free+"\n" {
		t.Errorf("id -u printed %q, want %s", r.stdout, free)
	}
	// Unknown names and impossible numbers are bad command lines.
	for _, args := range [][]string{
		{"-u", "no-such-user-pledgekit"}, {"-g", "no-such-group-pledgekit"},
		{"-u", "4294967295", "-g", "1"}, {"-u", "-5", "-g", "1"},
	} {
		r := unveil(t, append(args, "--", id)...)
		if r.code != exitUsage || r.stdout != "" {
			t.Errorf("%v: %v; want exit %d and the program not run", args, r, exitUsage)
		}
	}
	// The switch cannot be undone, even with the id promise.
	if py := need(t, "python3"); py != "" {
		r := unveil(t, "-u", "65534", "-g", "65534", "-p", "stdio rpath id", "-v", "/usr/lib", "--", py, "-c", "import os; os.setuid(0); print('root again')")
		if r.code == 0 || strings.Contains(r.stdout, "root again") || !strings.Contains(r.stderr, "PermissionError") {
			t.Errorf("setuid(0) after -u: %v", r)
		}
	}
}

func TestLimits(t *testing.T) {
	needKernel(t)
	cat := need(t, "cat")
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		t.Fatal(err)
	}
	// The default address space: RAM + swap, at least 4 GiB.
	as := strconv.FormatUint(max((uint64(si.Totalram)+uint64(si.Totalswap))*uint64(si.Unit), 4<<30), 10)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			r := inMode(t, m.pre, "-C", "5", "-M", "1g", "-O", "32", "-P", "50", "-F", "1m", "-v", "/proc/self", "--", cat, "/proc/self/limits")
			wantOK(t, r)
			lim := procLimits(t, r.stdout)
			for k, want := range map[string][2]string{
				"Max cpu time":      {"5", "5"},
				"Max address space": {"1073741824", "1073741824"},
				"Max open files":    {"32", "32"},
				"Max processes":     {"50", "50"},
				"Max file size":     {"1048576", "1572864"},
			} {
				if lim[k] != want {
					t.Errorf("%s: %v, want %v", k, lim[k], want)
				}
			}
			// Defaults.
			r = inMode(t, m.pre, "-v", "/proc/self", "--", cat, "/proc/self/limits")
			wantOK(t, r)
			lim = procLimits(t, r.stdout)
			for k, want := range map[string][2]string{
				"Max address space": {as, as},
				"Max open files":    {"64", "64"},
				"Max file size":     {"256000000", "384000000"},
			} {
				if lim[k] != want {
					t.Errorf("default %s: %v, want %v", k, lim[k], want)
				}
			}
			if lim["Max processes"][0] == "unlimited" {
				t.Errorf("no default process limit: %v", lim["Max processes"])
			}
			// A Go program (unveil's own binary) starts under the
			// default address space limit: its runtime reserves
			// about 1 GiB up front, so total RAM alone (pledge.com's
			// default) killed it on a 1 GiB machine.
			r = inMode(t, m.pre, "-V", "--", unveilBin, "--version")
			if r.code != 0 || strings.Contains(r.stderr, "fatal error") {
				t.Errorf("a Go program under the default -M: %v", r)
			}
			// The limit binds the program, not unveil's own stage,
			// which sets it just before the exec.
			r = inMode(t, m.pre, "-M", "64m", "-v", "/proc/self", "--", cat, "/proc/self/limits")
			wantOK(t, r)
			if got := procLimits(t, r.stdout)["Max address space"]; got != [2]string{"67108864", "67108864"} {
				t.Errorf("-M 64m: %v", got)
			}
		})
	}
	if testing.Short() {
		return
	}
	// The kernel enforces them on the program.
	dir := t.TempDir()
	dd, sh := need(t, "dd"), need(t, "sh")
	w := []string{"-p", "stdio rpath wpath cpath", "-v", "rwc:" + dir, "--", dd, "if=/dev/zero", "bs=4096", "count=1", "status=none"}
	r := unveil(t, append([]string{"-F", "8k"}, append(w, "of="+filepath.Join(dir, "a"))...)...)
	wantOK(t, r)
	r = unveil(t, append([]string{"-F", "1k"}, append(w, "of="+filepath.Join(dir, "b"))...)...)
	if st, err := os.Stat(filepath.Join(dir, "b")); r.code != 128+int(unix.SIGXFSZ) || err != nil || st.Size() != 1024 {
		t.Errorf("-F 1k: want SIGXFSZ after 1024 bytes: %v (file: %v)", r, err)
	}
	fd9 := "exec 9</dev/null; test -e /proc/$$/fd/9"
	r = unveil(t, "-O", "16", "--", sh, "-c", fd9)
	wantOK(t, r)
	r = unveil(t, "-O", "8", "--", sh, "-c", fd9)
	if r.code == 0 {
		t.Errorf("-O 8: descriptor 9 could be used: %v", r)
	}
	if py := need(t, "python3"); py != "" {
		mmap := "import mmap; mmap.mmap(-1, 1 << 30)"
		r = unveil(t, "-M", "4g", "-v", "/usr/lib", "--", py, "-c", mmap)
		wantOK(t, r)
		r = unveil(t, "-M", "256m", "-v", "/usr/lib", "--", py, "-c", mmap)
		if r.code == 0 || !strings.Contains(r.stderr, "Cannot allocate memory") {
			t.Errorf("-M 256m: a 1 GiB mapping: %v", r)
		}
	}
	// The process limit binds a user other than root (root is exempt):
	// under a fresh uid the program itself is the one process allowed.
	if os.Geteuid() == 0 {
		u := strconv.Itoa(freeID(t))
		fork := []string{"-u", u, "-g", u, "-p", "stdio rpath proc exec", "-v", "rx:/bin/true", "--", sh, "-c", "/bin/true && echo forked"}
		r = unveil(t, append([]string{"-P", "4"}, fork...)...)
		wantOK(t, r)
		r = unveil(t, append([]string{"-P", "1"}, fork...)...)
		if r.code == 0 || strings.Contains(r.stdout, "forked") {
			t.Errorf("-P 1: the program could fork: %v", r)
		}
	}
}

func TestNice(t *testing.T) {
	needKernel(t)
	cat := need(t, "cat")
	own, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	ownF := statFields(t, string(own))
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			r := inMode(t, m.pre, "-n", "-v", "/proc/self", "--", cat, "/proc/self/stat")
			wantOK(t, r)
			f := statFields(t, r.stdout)
			// proc(5): field 19 nice, field 41 policy (5 is SCHED_IDLE).
			if f[19-3] != "19" || f[41-3] != "5" {
				t.Errorf("-n: nice %s policy %s, want 19 and 5 (SCHED_IDLE)", f[19-3], f[41-3])
			}
			r = inMode(t, m.pre, "-v", "/proc/self", "--", cat, "/proc/self/stat")
			wantOK(t, r)
			f = statFields(t, r.stdout)
			if f[19-3] != ownF[19-3] || f[41-3] != ownF[41-3] {
				t.Errorf("without -n: nice %s policy %s, want ours (%s %s)", f[19-3], f[41-3], ownF[19-3], ownF[41-3])
			}
		})
	}
	// The I/O priority class, as ionice(1) reads it (ioprio_get needs proc).
	ionice, err := exec.LookPath("ionice")
	if err != nil {
		return
	}
	r := unveil(t, "-n", "-p", "stdio rpath proc", "--", ionice)
	wantOK(t, r)
	if r.stdout != "idle\n" {
		t.Errorf("-n: ionice says %q, want idle", r.stdout)
	}
	r = unveil(t, "-p", "stdio rpath proc", "--", ionice)
	wantOK(t, r)
	if r.stdout == "idle\n" {
		t.Errorf("without -n the program is idle-class")
	}
}

// fdLinks parses ls -l /proc/self/fd: descriptor → target.
func fdLinks(s string) map[int]string {
	m := map[int]string{}
	for _, sm := range regexp.MustCompile(`(?m) (\d+) -> (.*)$`).FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(sm[1])
		m[n] = sm[2]
	}
	return m
}

func TestDescriptors(t *testing.T) {
	needKernel(t)
	ls, sh := need(t, "ls"), need(t, "sh")
	dir := t.TempDir()
	// Descriptors 3 and 4 (where the supervisor's stage once put its own)
	// and 65 (just above the default descriptor limit, where the seccomp
	// listener is handed over by default).
	want := map[int]string{3: filepath.Join(dir, "three"), 4: filepath.Join(dir, "four"), 65: filepath.Join(dir, "sixty-five")}
	setup := func(cmd *exec.Cmd) {
		cmd.ExtraFiles = make([]*os.File, 65-3+1)
		for fd, path := range want {
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			cmd.ExtraFiles[fd-3] = f
		}
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			r := unveilWith(t, setup, append(append([]string(nil), m.pre...), "-N", "-v", "/proc/self", "--", ls, "-l", "/proc/self/fd/")...)
			wantOK(t, r)
			got := fdLinks(r.stdout)
			for fd, path := range want {
				if got[fd] != path {
					t.Errorf("-N: descriptor %d is %q, want %s", fd, got[fd], path)
				}
			}
			r = unveilWith(t, setup, append(append([]string(nil), m.pre...), "-v", "/proc/self", "--", ls, "-l", "/proc/self/fd/")...)
			wantOK(t, r)
			for fd, target := range fdLinks(r.stdout) {
				if strings.HasPrefix(target, dir) {
					t.Errorf("descriptor %d (%s) reached the program without -N", fd, target)
				}
			}
		})
	}
	// A closed standard descriptor is opened on /dev/null.
	out, err := exec.Command(sh, "-c", fmt.Sprintf("exec <&-; exec %s -v /proc/self -- %s -l /proc/self/fd/", unveilBin, ls)).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("unveil with stdin closed: %v\n%s", err, stderr)
	}
	if got := fdLinks(string(out))[0]; got != "/dev/null" {
		t.Errorf("closed stdin became %q, want /dev/null", got)
	}
}

func TestEnvironment(t *testing.T) {
	needKernel(t)
	envBin := need(t, "env")
	setup := func(cmd *exec.Cmd) {
		cmd.Env = []string{"PATH=/usr/bin:/bin", "KEEP=1", "SECRET=s"}
	}
	lines := func(s string) []string {
		l := strings.Split(strings.TrimSpace(s), "\n")
		sort.Strings(l)
		if len(l) == 1 && l[0] == "" {
			return nil
		}
		return l
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			run := func(args ...string) result {
				return unveilWith(t, setup, append(append([]string(nil), m.pre...), args...)...)
			}
			r := run("--clearenv", "--env", "FOO=bar", "--env", "KEEP", "--env", "MISSING", "--", envBin)
			wantOK(t, r)
			if got := strings.Join(lines(r.stdout), " "); got != "FOO=bar KEEP=1" {
				t.Errorf("--clearenv --env: %q", got)
			}
			// Without --clearenv: everything kept, --env overrides; the
			// stage's own marker never reaches the program.
			r = run("--env", "FOO=bar", "--env", "KEEP=2", "--", envBin)
			wantOK(t, r)
			if got := strings.Join(lines(r.stdout), " "); got != "FOO=bar KEEP=2 PATH=/usr/bin:/bin SECRET=s" {
				t.Errorf("--env: %q", got)
			}
			// An empty environment, and the program found on the default
			// PATH.
			r = run("--clearenv", "--", "env")
			wantOK(t, r)
			if r.stdout != "" {
				t.Errorf("--clearenv: %q", r.stdout)
			}
		})
	}
	for _, bad := range []string{"", "=x"} {
		if r := unveil(t, "--env", bad, "--", envBin); r.code != exitUsage {
			t.Errorf("--env %q: %v", bad, r)
		}
	}
}

// TestReport: --report prints, before the program starts, what it will
// run under; --json prints the same as one JSON document (report.Report).
func TestReport(t *testing.T) {
	needKernel(t)
	cat := need(t, "cat")
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("content"), 0o644)
	r := unveil(t, "--report", "-p", "stdio rpath", "-v", "r:"+dir, "--", cat, f)
	wantOK(t, r)
	if r.stdout != "content" {
		t.Errorf("stdout %q", r.stdout)
	}
	for _, re := range []string{
		`(?m)^arch\s+` + runtime.GOARCH + `$`,
		`(?m)^landlock abi\s+` + strconv.Itoa(probe.Get().LandlockABI) + `$`,
		`(?m)^no_new_privs\s+true$`, `(?m)^seccomp filter\s+true$`, `(?m)^landlock ruleset\s+true$`,
		`(?m)^LAYER\s+WHAT\s+STATUS\s+REASON$`,
		`(?m)^landlock-fs\s+unveil\s+enforced\s*$`,
		`(?m)^seccomp\s+promises stdio rpath\s+enforced\s*$`,
		`(?m)^promise\s+exec \(absent\)\s+enforced\s+Landlock`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stderr) {
			t.Errorf("--report lacks %s:\n%s", re, r.stderr)
		}
	}

	decode := func(t *testing.T, s string) (report.Report, string) {
		t.Helper()
		in := strings.NewReader(s)
		dec := json.NewDecoder(in)
		var rep report.Report
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("--json: %v in %q", err, s)
		}
		// What follows the report: the decoder's unread buffer, then
		// whatever it had not read from the input yet (it reads in
		// chunks, so with a longer report it stops partway).
		var rest bytes.Buffer
		rest.ReadFrom(io.MultiReader(dec.Buffered(), in))
		return rep, rest.String()
	}
	has := func(rep report.Report, layer report.Layer, what string, st report.Status) bool {
		for _, it := range rep.Items {
			if it.Layer == layer && it.What == what && it.Status == st {
				return true
			}
		}
		return false
	}
	r = unveil(t, "--report", "--json", "-p", "stdio", "--", cat, f)
	if r.code == 0 {
		t.Errorf("cat read a file without rpath: %v", r)
	}
	rep, rest := decode(t, r.stderr)
	if rep.Arch != runtime.GOARCH || rep.LandlockABI != probe.Get().LandlockABI || !rep.Seccomp || !rep.Landlock || !rep.NoNewPrivs {
		t.Errorf("--json header: %+v", rep)
	}
	for _, it := range []struct {
		layer report.Layer
		what  string
	}{{report.LayerSeccomp, "promises stdio"}, {report.LayerPromise, "exec (absent)"}, {report.LayerPromise, "rpath (absent)"}} {
		if !has(rep, it.layer, it.what, report.Enforced) {
			t.Errorf("--json lacks %s %q enforced: %+v", it.layer, it.what, rep.Items)
		}
	}
	if !strings.Contains(rest, `needs promise "rpath"`) {
		t.Errorf("after the report: %q", rest)
	}
	// A degraded sandbox: the report says so, one warning line follows,
	// and --strict refuses to run. (-V without a supervisor: nothing
	// refuses a second execve; with the supervisor, it does.)
	r = unveil(t, "--report", "--json", "--exec", "-V", "-p", "stdio rpath", "--", cat, f)
	wantOK(t, r)
	rep, rest = decode(t, r.stderr)
	if rep.Landlock || !rep.Seccomp || !has(rep, report.LayerPromise, "exec (absent)", report.Partial) {
		t.Errorf("-V --json: %+v", rep)
	}
	if strings.TrimSpace(rest) == "" || !strings.HasPrefix(strings.TrimSpace(rest), "unveil: sandbox degraded") || strings.Count(strings.TrimSpace(rest), "\n") != 0 {
		t.Errorf("-V: want one warning line after the report, got %q", rest)
	}
	if r := unveil(t, "--strict", "--exec", "-V", "-p", "stdio rpath", "--", cat, f); r.code != exitSandbox || r.stdout != "" {
		t.Errorf("--strict -V: %v", r)
	}
}

// Tight limits do not kill unveil's own stage. They are set before the
// filter, and under them the Go runtime can create no thread: under a
// tight address space limit the stage died with "out of memory" in newm
// about once in a thousand launches on a loaded machine (the runtime
// moving a P to a new thread after a preemption, or to wake the
// responder), and under -P 1 for a user other than root with "failed to
// create new OS thread" about once in a hundred, idle (a thread the
// runtime's template thread created after the limit, asked for before
// it). Repeated, in both modes, with one and two Ps; the spare threads
// (spareThreads), its wait for the threads asked for, and the raw calls
// after the limit keep every launch alive. Statistical: the old code
// failed less often than this catches on an idle machine under -M.
func TestTightLimitManyLaunches(t *testing.T) {
	needKernel(t)
	if testing.Short() {
		t.Skip("hundreds of launches")
	}
	cat := need(t, "cat")
	// RLIMIT_NPROC binds no root process: as root, the stage switches
	// to nobody first.
	procs := []string{"-P", "1"}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("nobody"); err != nil {
			t.Skip("no user nobody to run -P 1 as")
		}
		procs = append([]string{"-u", "nobody"}, procs...)
	}
	for _, m := range modes {
		for _, limit := range [][]string{{"-M", "64m"}, procs} {
			for _, gmp := range []string{"1", "2"} {
				t.Run(m.name+"/"+strings.Join(limit, "")+"/GOMAXPROCS="+gmp, func(t *testing.T) {
					args := append(append(append([]string(nil), m.pre...), limit...), "-p", "stdio rpath", "-v", "/proc/self", "--", cat, "/proc/self/limits")
					for i := range 150 {
						r := unveilWith(t, func(c *exec.Cmd) { c.Env = append(os.Environ(), "GOMAXPROCS="+gmp) }, args...)
						if r.code != 0 || strings.Contains(r.stderr, "fatal error") {
							t.Fatalf("launch %d: %v", i, r)
						}
					}
				})
			}
		}
	}
}
