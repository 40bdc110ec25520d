package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgekit/pledgekit/internal/probe"
)

// The tests run the real unveil binary, built once, against real programs
// from the distribution (.ci/install-packages installs them: coreutils
// python3 sqlite3 git curl busybox).

var unveilBin string

func TestMain(m *testing.M) {
	if os.Getenv(udpHelperEnv) != "" || os.Getenv(lettersHelperEnv) != "" {
		os.Exit(m.Run()) // a helper process (TestHelperUDP, TestHelperLetters): builds nothing
	}
	dir, err := os.MkdirTemp("", "unveil-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	unveilBin = filepath.Join(dir, "unveil")
	// In the kernel matrix (ci/matrix) there is no Go toolchain: the runner
	// puts a build of the command next to this test binary.
	if prebuilt := filepath.Join(filepath.Dir(os.Args[0]), "unveil"); os.Getenv("PLEDGEKIT_MATRIX") != "" {
		if _, err := os.Stat(prebuilt); err != nil {
			fmt.Fprintf(os.Stderr, "kernel matrix: no prebuilt unveil command next to the test binary: %v\n", err)
			os.Exit(1)
		}
		unveilBin = prebuilt
	} else if out, err := exec.Command("go", buildArgs("-o", unveilBin, ".")...).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building unveil: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildArgs is a go build command line for args, with the race detector
// when the tests run under it.
func buildArgs(args ...string) []string {
	if raceEnabled {
		return append([]string{"build", "-race"}, args...)
	}
	return append([]string{"build"}, args...)
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

func unveil(t *testing.T, args ...string) result {
	t.Helper()
	return unveilWith(t, nil, args...)
}

// unveilWith runs unveil after setup has adjusted the command (its
// environment, extra descriptors).
func unveilWith(t *testing.T, setup func(*exec.Cmd), args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, unveilBin, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.Stdin = strings.NewReader("")
	if setup != nil {
		setup(cmd)
	}
	err := cmd.Run()
	r := result{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		}
	default:
		t.Fatalf("running unveil %v: %v", args, err)
	}
	return r
}

// need returns the path of a distribution program or skips the test.
func need(t *testing.T, name string) string {
	t.Helper()
	for _, d := range []string{"/usr/bin", "/bin", "/usr/sbin"} {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Skipf("%s is not installed (apt-get install %s)", name, map[string]string{"python3": "python3", "sqlite3": "sqlite3",
		"git": "git", "curl": "curl", "busybox": "busybox"}[name])
	return ""
}

func needKernel(t *testing.T) {
	t.Helper()
	r := probe.Get()
	if !r.Seccomp || r.LandlockABI == 0 {
		t.Skipf("this kernel lacks seccomp (%v) or Landlock (ABI %d)", r.Seccomp, r.LandlockABI)
	}
	if !r.SeccompFlags[probe.FlagNewListener] {
		t.Skip("this kernel lacks seccomp user notification")
	}
}

// withNotes returns a printed report with each row's note marker ("[2]")
// replaced by the note's text (package report prints long reasons once, as
// numbered notes), so that a row can be matched with all it says.
func withNotes(s string) string {
	notes := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\[(\d+)\] (.*)$`).FindAllStringSubmatch(s, -1) {
		notes[m[1]] = m[2]
	}
	// A marker ends the reason: the line ends there or a feature tag
	// ("[landlock paths]") follows.
	return regexp.MustCompile(`(?m) \[\d+\]( \[landlock [a-z_]+\])?$`).ReplaceAllStringFunc(s, func(mark string) string {
		num, tag, _ := strings.Cut(strings.TrimPrefix(mark, " "), " ")
		return strings.TrimSuffix(" "+notes[strings.Trim(num, "[]")]+" "+tag, " ")
	})
}

func wantOK(t *testing.T, r result) {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("want success, got %v", r)
	}
}

func wantDenied(t *testing.T, r result, msg ...string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("want failure, got %v", r)
	}
	for _, m := range msg {
		if !strings.Contains(r.stderr, m) {
			t.Errorf("stderr lacks %q:\n%v", m, r)
		}
	}
}

func TestCatHostname(t *testing.T) {
	needKernel(t)
	cat := need(t, "cat")
	want, err := os.ReadFile("/etc/hostname")
	if err != nil {
		t.Skip("no /etc/hostname")
	}
	r := unveil(t, "-p", "stdio rpath", "-v", "/etc/hostname", "--", cat, "/etc/hostname")
	wantOK(t, r)
	if r.stdout != string(want) {
		t.Errorf("stdout %q, want %q", r.stdout, want)
	}
	quiet := r.stderr == ""
	if probe.Get().LandlockABI < 6 {
		// Below ABI 6 the veil's default scopes are dropped: that one
		// warning, nothing else.
		quiet = regexp.MustCompile(`^unveil: sandbox degraded: scopes signal\+abstract_unix_socket \(default under a veil\) dropped \([^\n]*\)\n$`).MatchString(r.stderr)
	}
	if !quiet {
		t.Errorf("unveil is not quiet: %q", r.stderr)
	}
	r = unveil(t, "-p", "stdio", "-v", "/etc/hostname", "--", cat, "/etc/hostname")
	wantDenied(t, r, `denied openat(AT_FDCWD, "/etc/hostname", O_RDONLY)`, `needs promise "rpath"`)
	if r.stdout != "" {
		t.Errorf("the file was read without rpath: %q", r.stdout)
	}
	// Direct mode (-q): the same denial, silently.
	r = unveil(t, "-q", "-p", "stdio", "-v", "/etc/hostname", "--", cat, "/etc/hostname")
	if r.code == 0 || r.stdout != "" || strings.Contains(r.stderr, "unveil:") {
		t.Errorf("-q: %v", r)
	}
	// -k kills instead.
	r = unveil(t, "-k", "-p", "stdio", "-v", "/etc/hostname", "--", cat, "/etc/hostname")
	if r.code == 0 || r.code == 1 || r.stdout != "" {
		t.Errorf("-k: want the program killed, got %v", r)
	}
}

func TestExitCodes(t *testing.T) {
	needKernel(t)
	sh := need(t, "sh")
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	notelf := filepath.Join(dir, "garbage")
	os.WriteFile(notelf, []byte("\x00\x01garbage"), 0o755)
	badpol := filepath.Join(dir, "bad.toml")
	os.WriteFile(badpol, []byte("promises = 3\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"own status", []string{"-p", "stdio rpath", "--", sh, "-c", "exit 7"}, 7},
		{"not found", []string{"--", "no-such-program-pledgekit"}, exitNotFound},
		{"not found path", []string{"--", filepath.Join(dir, "missing")}, exitNotFound},
		{"not executable", []string{"--", noexec}, exitCannotExec},
		{"not a program", []string{"--", notelf}, exitCannotExec},
		{"bad promise", []string{"-p", "stdio bogus", "--", sh, "-c", "true"}, exitPromises},
		{"bad permission", []string{"-v", "rq:/tmp", "--", sh, "-c", "true"}, exitPath},
		{"bad permission letter", []string{"-v", "q:/tmp", "--", sh, "-c", "true"}, exitPath},
		{"path as permission", []string{"-v", "/tmp:/x", "--", sh, "-c", "true"}, exitPath},
		{"bad policy", []string{"--policy", badpol, "--", sh, "-c", "true"}, exitPolicy},
		{"no program", []string{"-p", "stdio"}, exitUsage},
		{"unknown option", []string{"--frobnicate", "--", sh}, exitUsage},
		{"bad size", []string{"-M", "12q", "--", sh}, exitUsage},
	} {
		r := unveil(t, tc.args...)
		if r.code != tc.code {
			t.Errorf("%s: unveil %v: %v; want exit %d", tc.name, tc.args, r, tc.code)
		}
	}
}

func TestBadPath(t *testing.T) {
	needKernel(t)
	sh := need(t, "sh")
	r := unveil(t, "-v", "r:", "--", sh, "-c", "true")
	if r.code != exitPath {
		t.Errorf("empty -v path: %v; want exit %d", r, exitPath)
	}
	// A path that does not exist is skipped with one warning, as pledge does.
	r = unveil(t, "-v", "/no/such/dir", "--", sh, "-c", "true")
	if r.code != 0 || !strings.Contains(r.stderr, "does not exist") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("missing -v path: %v", r)
	}
	r = unveil(t, "--strict", "-v", "/no/such/dir", "--", sh, "-c", "true")
	if r.code != exitSandbox {
		t.Errorf("--strict with a missing path: %v; want exit %d", r, exitSandbox)
	}
	// -q silences the warning, and --strict still refuses under -q.
	r = unveil(t, "-q", "-v", "/no/such/dir", "--", sh, "-c", "true")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("-q with a missing path: %v; want no warning", r)
	}
	r = unveil(t, "-q", "--strict", "-v", "/no/such/dir", "--", sh, "-c", "true")
	if r.code != exitSandbox {
		t.Errorf("-q --strict with a missing path: %v; want exit %d", r, exitSandbox)
	}
}

func TestHelpVersionTest(t *testing.T) {
	r := unveil(t, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "127") {
		t.Errorf("--help: %v", r)
	}
	if r := unveil(t, "--version"); r.code != 0 || !strings.HasPrefix(r.stdout, "unveil") {
		t.Errorf("--version: %v", r)
	}
	pr := probe.Get()
	want := map[bool]int{true: 0, false: 1}
	if r := unveil(t, "-T", "pledge"); r.code != want[pr.Seccomp] {
		t.Errorf("-T pledge: %v", r)
	}
	if r := unveil(t, "-T", "unveil"); r.code != want[pr.LandlockABI > 0] {
		t.Errorf("-T unveil: %v", r)
	}
	if r := unveil(t, "-T", "bogus"); r.code != 2 {
		t.Errorf("-T bogus: %v", r)
	}
}

func TestLs(t *testing.T) {
	needKernel(t)
	ls := need(t, "ls")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "visible.txt"), nil, 0o644)
	r := unveil(t, "-p", "stdio rpath", "-v", "r:"+dir, "--", ls, dir)
	wantOK(t, r)
	if !strings.Contains(r.stdout, "visible.txt") {
		t.Errorf("ls output %q", r.stdout)
	}
	// Outside the veil: Landlock refuses; --trace names the missing unveil.
	r = unveil(t, "--trace", "-p", "stdio rpath", "-v", "r:"+dir, "--", ls, "/etc")
	wantDenied(t, r, `/etc is not unveiled for "r"`)
}

func TestCp(t *testing.T) {
	needKernel(t)
	cp := need(t, "cp")
	in, out, other := t.TempDir(), t.TempDir(), t.TempDir()
	src := filepath.Join(in, "src")
	os.WriteFile(src, []byte("payload"), 0o644)
	args := []string{"-p", "stdio rpath wpath cpath fattr", "-v", "r:" + in, "-v", "rwc:" + out}
	r := unveil(t, append(args, "--", cp, src, filepath.Join(out, "dst"))...)
	wantOK(t, r)
	if b, _ := os.ReadFile(filepath.Join(out, "dst")); string(b) != "payload" {
		t.Errorf("copy holds %q", b)
	}
	// Writing elsewhere is refused by Landlock; --trace says which unveil.
	r = unveil(t, append(append([]string{"--trace"}, args...), "--", cp, src, filepath.Join(other, "dst"))...)
	wantDenied(t, r, "is not unveiled")
	if _, err := os.Stat(filepath.Join(other, "dst")); err == nil {
		t.Error("the file was written outside the unveiled directory")
	}
	// Without cpath the creation is refused by seccomp, naming cpath.
	r = unveil(t, "-p", "stdio rpath wpath", "-v", "r:"+in, "-v", "rwc:"+out, "--", cp, src, filepath.Join(out, "dst2"))
	wantDenied(t, r, "cpath")
}

func TestSort(t *testing.T) {
	needKernel(t)
	sortBin := need(t, "sort")
	dir := t.TempDir()
	f := filepath.Join(dir, "in")
	os.WriteFile(f, []byte("b\na\n"), 0o644)
	r := unveil(t, "-p", "stdio rpath", "-v", "r:"+dir, "--", sortBin, f)
	wantOK(t, r)
	if r.stdout != "a\nb\n" {
		t.Errorf("sort output %q", r.stdout)
	}
	r = unveil(t, "-p", "stdio rpath", "-v", "r:"+dir, "--", sortBin, "-o", filepath.Join(dir, "out"), f)
	wantDenied(t, r, "fails with EPERM", "cpath")
}

func TestPython(t *testing.T) {
	needKernel(t)
	py := need(t, "python3")
	r := unveil(t, "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", "print(6*7)")
	wantOK(t, r)
	if r.stdout != "42\n" {
		t.Errorf("python output %q", r.stdout)
	}
	r = unveil(t, "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", "import socket; socket.socket()")
	wantDenied(t, r, "socket(AF_INET", "inet")
	// exec a shell
	r = unveil(t, "-p", "stdio rpath proc", "-v", "/usr/lib", "--", py, "-c", "import os; os.execv('/bin/sh', ['sh', '-c', 'echo escaped'])")
	wantDenied(t, r, "execve(\"/bin/sh\"", `needs promise "exec"`)
	if strings.Contains(r.stdout, "escaped") {
		t.Error("the shell ran")
	}
}

func TestSqlite(t *testing.T) {
	needKernel(t)
	sq := need(t, "sqlite3")
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	args := []string{"-p", "stdio rpath wpath cpath flock", "-v", "rwc:" + dir, "--", sq, db}
	r := unveil(t, append(args, "create table t(x); insert into t values(42); select x from t;")...)
	wantOK(t, r)
	if strings.TrimSpace(r.stdout) != "42" {
		t.Errorf("sqlite output %q", r.stdout)
	}
	r = unveil(t, append(args, ".shell echo escaped")...)
	if strings.Contains(r.stdout, "escaped") {
		t.Fatalf("the shell ran: %v", r)
	}
	if !strings.Contains(r.stderr, "denied") {
		t.Errorf("the refused shell was not reported: %v", r)
	}
}

func TestGit(t *testing.T) {
	needKernel(t)
	git := need(t, "git")
	repo := t.TempDir()
	env := append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+repo, "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@e", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@e")
	for _, a := range [][]string{{"init", "-q"}, {"commit", "-q", "--allow-empty", "-m", "first"}} {
		cmd := exec.Command(git, append([]string{"-C", repo}, a...)...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", a, err, out)
		}
	}
	base := []string{"--env", "HOME=" + repo, "--env", "GIT_CONFIG_NOSYSTEM=1", "-p", "stdio rpath", "-v", "r:" + repo, "--"}
	r := unveil(t, append(base, git, "-C", repo, "log", "--format=%s")...)
	wantOK(t, r)
	if strings.TrimSpace(r.stdout) != "first" {
		t.Errorf("git log output %q", r.stdout)
	}
	r = unveil(t, append(base, git, "-C", repo, "commit", "-q", "--allow-empty", "-m", "second")...)
	wantDenied(t, r, "fails with EPERM")
}

func TestCurl(t *testing.T) {
	needKernel(t)
	curl := need(t, "curl")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello from test") }))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "other") }))
	defer other.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':')+1:]
	args := []string{"-p", "stdio rpath inet dns", "--tcp-connect", port, "--", curl, "-sS"}
	r := unveil(t, append(args, srv.URL)...)
	wantOK(t, r)
	if r.stdout != "hello from test" {
		t.Errorf("curl output %q", r.stdout)
	}
	r = unveil(t, append(args, other.URL)...)
	if r.code == 0 || strings.Contains(r.stdout, "other") {
		t.Errorf("connect to a port not allowed: %v", r)
	}
	r = unveil(t, "-p", "stdio rpath", "--", curl, "-sS", srv.URL)
	wantDenied(t, r, "socket(AF_INET", "inet")
}

func TestBusybox(t *testing.T) {
	needKernel(t)
	bb := need(t, "busybox")
	r := unveil(t, "-p", "stdio rpath", "-v", "/etc/hostname", "--", bb, "cat", "/etc/hostname")
	wantOK(t, r)
	dir := t.TempDir()
	r = unveil(t, "-p", "stdio rpath", "--", bb, "sh", "-c", "echo x > "+filepath.Join(dir, "f"))
	wantDenied(t, r, "fails with EPERM", "cpath")
	if _, err := os.Stat(filepath.Join(dir, "f")); err == nil {
		t.Error("busybox sh wrote the file")
	}
}

// shellSplit undoes shellJoin (single quotes only).
func shellSplit(t *testing.T, s string) []string {
	var out []string
	var cur strings.Builder
	inQ, have := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case inQ && ch == '\'':
			inQ = false
		case inQ:
			cur.WriteByte(ch)
		case ch == '\'':
			inQ, have = true, true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case ch == ' ':
			if have || cur.Len() > 0 {
				out = append(out, cur.String())
			}
			cur.Reset()
			have = false
		default:
			cur.WriteByte(ch)
		}
	}
	if inQ {
		t.Fatalf("unbalanced quotes in %q", s)
	}
	if have || cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

func TestExplain(t *testing.T) {
	r := unveil(t, "explain", "openat")
	if r.code != 0 || !strings.Contains(r.stdout, "rpath") || !strings.Contains(r.stdout, "amd64: openat") || !strings.Contains(r.stdout, "arm64: openat") {
		t.Errorf("explain openat: %v", r)
	}
	r = unveil(t, "explain", "--arch", "amd64", "--bpf", "read")
	if r.code != 0 || !strings.Contains(r.stdout, "stdio") || strings.Contains(r.stdout, "arm64") {
		t.Errorf("explain --arch amd64 --bpf read: %v", r)
	}
	if r := unveil(t, "explain"); r.code != exitUsage {
		t.Errorf("explain without a name: %v", r)
	}
}

func TestProbeAndPolicy(t *testing.T) {
	r := unveil(t, "probe", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"landlock_abi"`) {
		t.Errorf("probe --json: %v", r)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "p.toml")
	os.WriteFile(f, []byte("promises = \"stdio rpath\"\n[[unveil]]\npath = \"/etc\"\nperm = \"r\"\n"), 0o644)
	r = unveil(t, "policy", "resolve", f)
	if r.code != 0 || !strings.Contains(r.stdout, `"promises": "stdio rpath"`) {
		t.Errorf("policy resolve: %v", r)
	}
}

// TestStageAbandoned: in supervised mode the supervisor starts before the
// plan is built, so that its start-up overlaps the planning. When the
// planning fails, the supervisor ends without a word, restricting and
// executing nothing, as soon as it reads the end of unveil's socket: once
// unveil has exited, no process holds its output open for long (the
// check waits 500 ms). The control shows the check sees a process that outlives
// unveil (a background child of the program, under -q).
func TestStageAbandoned(t *testing.T) {
	needKernel(t)
	sh := need(t, "sh")
	badpol := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(badpol, []byte("promises = 3\n"), 0o644)
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		lingers bool
	}{
		{"bad policy", []string{"--policy", badpol, "--", sh, "-c", "true"}, exitPolicy, false},
		{"not found", []string{"--", "no-such-program-pledgekit"}, exitNotFound, false},
		{"no such user", []string{"-u", "no-such-user-pledgekit", "--", sh, "-c", "true"}, exitUsage, false},
		{"control", []string{"-q", "-V", "-p", "stdio rpath proc exec", "--", sh, "-c", "sleep 2 & exit 0"}, 0, true},
	} {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(unveilBin, tc.args...)
		cmd.Stdout, cmd.Stderr = pw, pw
		err = cmd.Run()
		pw.Close()
		if code := cmd.ProcessState.ExitCode(); code != tc.code {
			t.Errorf("%s: unveil %v: exit %d (%v), want %d", tc.name, tc.args, code, err, tc.code)
		}
		pr.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		out, err := io.ReadAll(pr)
		pr.Close()
		lingers := errors.Is(err, os.ErrDeadlineExceeded)
		if lingers != tc.lingers {
			t.Errorf("%s: a process held unveil's output open after it exited: %v, want %v (read: %v)", tc.name, lingers, tc.lingers, err)
		}
		if !tc.lingers && (strings.Count(string(out), "\n") != 1 || !strings.HasPrefix(string(out), "unveil: ") || strings.Contains(string(out), "stage")) {
			t.Errorf("%s: output %q, want the one line that says why", tc.name, out)
		}
	}
}

// TestStageEnvironment: the supervisor (and learn's stage) runs with
// GOMAXPROCS=1, which is its own: the program gets unveil's environment,
// with GOMAXPROCS as the caller set it or not at all (unveil, which
// becomes the program, sets its own only in its runtime).
func TestStageEnvironment(t *testing.T) {
	needKernel(t)
	envBin := need(t, "env")
	for _, tc := range []struct {
		env        []string
		want, dont string
	}{
		{[]string{"PATH=/usr/bin:/bin"}, "", "GOMAXPROCS="},
		{[]string{"PATH=/usr/bin:/bin", "GOMAXPROCS=3"}, "GOMAXPROCS=3", "GOMAXPROCS=1"},
	} {
		r := unveilWith(t, func(cmd *exec.Cmd) { cmd.Env = tc.env }, "-p", "stdio rpath", "--", envBin)
		if r.code != 0 {
			t.Fatalf("env %q: %v", tc.env, r)
		}
		got := strings.Fields(r.stdout)
		if tc.want != "" && !slices.Contains(got, tc.want) {
			t.Errorf("env %q: %s missing from the program's environment %q", tc.env, tc.want, got)
		}
		if strings.Contains(r.stdout, tc.dont) {
			t.Errorf("env %q: the program's environment %q has %s", tc.env, got, tc.dont)
		}
	}
}
