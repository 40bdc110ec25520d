package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// learn: the suggestion lets the same run pass without a single refusal,
// and a different, forbidden action still fails. The runs use an
// environment of PATH alone, as "env -i PATH=/usr/bin:/bin unveil learn"
// does (no HOME: Python then looks the user up in /etc/passwd, and glibc
// probes nscd's socket first).

var bareEnv = []string{"PATH=/usr/bin:/bin"}

func inDir(env []string, dir string) func(*exec.Cmd) {
	return func(cmd *exec.Cmd) {
		cmd.Env, cmd.Dir = env, dir
	}
}

// learnFlags runs unveil learn and returns the suggested options (what
// comes between "unveil" and "--") and the whole line.
func learnFlags(t *testing.T, setup func(*exec.Cmd), argv ...string) ([]string, string) {
	t.Helper()
	flags, line, _ := learnRun(t, setup, argv...)
	return flags, line
}

// learnRun is learnFlags that also returns what learn said on stderr.
func learnRun(t *testing.T, setup func(*exec.Cmd), argv ...string) ([]string, string, string) {
	t.Helper()
	r := unveilWith(t, setup, append([]string{"learn", "--"}, argv...)...)
	wantOK(t, r)
	if strings.Contains(r.stderr, "the program did not succeed") {
		// A suggestion from a failed run covers only part of what the
		// program needs: the test's premise is a run that worked.
		t.Errorf("the learned run failed: %v", r)
	}
	line := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(line, "unveil -p ") || strings.Contains(line, "\n") {
		t.Fatalf("learn printed %q", r.stdout)
	}
	t.Logf("learned: %s", line)
	args := shellSplit(t, line)[1:]
	for i, a := range args {
		if a == "--" {
			if got := strings.Join(args[i+1:], "\x00"); got != strings.Join(argv, "\x00") {
				t.Fatalf("the suggestion runs %q, not %q", args[i+1:], argv)
			}
			return args[:i], line, r.stderr
		}
	}
	t.Fatalf("no -- in %q", line)
	return nil, "", ""
}

func flagsThen(flags []string, argv ...string) []string {
	return append(append(append([]string(nil), flags...), "--"), argv...)
}

// wantClean: success, and unveil said nothing (no refusal, no warning)
// but, since the command shows unveil's own report, what this kernel's
// Landlock ABI cannot do ("unix sockets by path" below ABI 9) and the
// learned rules' overlaps that Landlock adds up (a socket file's w inside
// a directory unveiled r).
func wantClean(t *testing.T, r result) {
	t.Helper()
	wantOK(t, r)
	stderr := r.stderr
	if rest, ok := strings.CutPrefix(stderr, "unveil: sandbox degraded: "); ok && !strings.Contains(strings.TrimSuffix(rest, "\n"), "\n") {
		item := `(\S+ "\w+" partial \(file; effective permissions "\w+": Landlock adds \S+ "\w+" \(OpenBSD would apply only "\w+" here\)\)|unix sockets by path partial \(needs Landlock ABI 9, this kernel has [1-8]: [^;]*\)|scopes \S+ \(default under a veil\) dropped \(needs Landlock ABI 6, this kernel has [0-5]: [^;]*; --no-scope silences this\)|truncate dropped \(needs Landlock ABI 3, this kernel has [0-2]: [^;]*; w is not needed to truncate a file\))`
		if regexp.MustCompile(`^` + item + `(; ` + item + `)*$`).MatchString(strings.TrimSuffix(rest, "\n")) {
			stderr = ""
		}
	}
	if strings.Contains(stderr, "unveil") {
		t.Errorf("refusals or warnings under the learned policy:\n%s", r.stderr)
	}
}

// notIn fails if the suggestion names any of these.
func notIn(t *testing.T, line string, words ...string) {
	t.Helper()
	for _, w := range words {
		if regexp.MustCompile(w).MatchString(line) {
			t.Errorf("the suggestion matches %s: %s", w, line)
		}
	}
}

// pendingTCP reports whether a connection waits on l, without waiting.
func pendingTCP(t *testing.T, l *net.TCPListener) bool {
	t.Helper()
	rc, err := l.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	got := false
	rc.Control(func(fd uintptr) {
		if nfd, _, err := unix.Accept4(int(fd), unix.SOCK_CLOEXEC); err == nil {
			got = true
			unix.Close(nfd)
		}
	})
	return got
}

const learnScript = `import json, os, sys, urllib.parse
with open(sys.argv[1]) as f:
    s = f.read()
with open(os.path.join(sys.argv[2], "res.json"), "w") as f:
    json.dump({"s": s.upper(), "q": urllib.parse.quote("a b")}, f)
print("done", s)
if len(sys.argv) > 3:
    op, arg = sys.argv[3], sys.argv[4]
    if op == "write":
        open(arg, "w").write("x")
    elif op == "read":
        print(open(arg).read())
    elif op == "tcp":
        import socket
        host, port = arg.rsplit(":", 1)
        socket.create_connection((host, int(port)))
    elif op == "exec":
        os.execv(arg, [arg, "-c", "echo escaped"])
`

func TestLearnPython(t *testing.T) {
	needKernel(t)
	need(t, "python3")
	// (Python reads the script's directory: keep "other" out of it.)
	dir := t.TempDir()
	in := filepath.Join(dir, "data", "in.txt")
	out, other := filepath.Join(dir, "out"), t.TempDir()
	for _, d := range []string{filepath.Dir(in), out, other} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(in, []byte("learned"), 0o644)
	secret := filepath.Join(other, "secret")
	os.WriteFile(secret, []byte("secret"), 0o644)
	os.WriteFile(filepath.Join(dir, "s.py"), []byte(learnScript), 0o644)
	setup := inDir(bareEnv, dir)
	argv := []string{"python3", "s.py", in, out}

	r := unveilWith(t, setup, append([]string{"learn", "--"}, argv...)...)
	wantOK(t, r)
	if strings.Contains(r.stderr, "the program did not succeed") {
		// A suggestion from a failed run covers only part of what the
		// program needs: the test's premise is a run that worked.
		t.Errorf("the learned run failed: %v", r)
	}
	if !strings.Contains(r.stderr, "done learned") {
		t.Errorf("the program's output should go to stderr: %v", r)
	}
	// Learned from a run that creates its output (the first run made
	// it: remove it), the program may create it again.
	os.Remove(filepath.Join(out, "res.json"))
	flags, line := learnFlags(t, setup, argv...)
	if !strings.Contains(line, "-v rwc:"+out) {
		t.Errorf("no rwc:%s in %s", out, line)
	}
	for _, p := range []string{"rpath", "wpath", "cpath"} {
		if !strings.Contains(line, p) {
			t.Errorf("the suggestion lacks %s: %s", p, line)
		}
	}
	// Python's start-up looks the user up (no HOME): that is getpw, not
	// -v /etc/passwd; glibc's probe for nscd needs no unix; nothing is
	// executed; /dev/null is no reason to unveil /dev.
	notIn(t, line, `\bunix\b`, `\bexec\b`, `\binet\b`, `\bproc\b`, `/etc/passwd`, `/var/run/nscd`, `:/dev\b`, `/proc/[0-9]`)

	os.Remove(filepath.Join(out, "res.json"))
	r = unveilWith(t, setup, flagsThen(flags, argv...)...)
	wantClean(t, r)
	if b, _ := os.ReadFile(filepath.Join(out, "res.json")); !strings.Contains(string(b), "LEARNED") {
		t.Errorf("the run under the learned policy wrote %q", b)
	}

	// Forbidden: writing elsewhere, reading elsewhere, a TCP connection,
	// a shell.
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, act := range [][2]string{
		{"write", filepath.Join(other, "w")},
		{"read", secret},
		{"tcp", l.Addr().String()},
		{"exec", need(t, "sh")},
	} {
		r := unveilWith(t, setup, flagsThen(flags, append(argv, act[0], act[1])...)...)
		if r.code == 0 || strings.Contains(r.stdout, "secret") || strings.Contains(r.stdout, "escaped") {
			t.Errorf("%s %s under the learned policy: %v", act[0], act[1], r)
		}
	}
	if _, err := os.Stat(filepath.Join(other, "w")); err == nil {
		t.Error("the learned policy let the program write elsewhere")
	}
	if pendingTCP(t, l) {
		t.Error("the learned policy let the program connect over TCP")
	}

	if testing.Short() {
		return
	}
	// The policy format works the same way.
	os.Remove(filepath.Join(out, "res.json"))
	r = unveilWith(t, setup, append([]string{"learn", "--format", "policy", "--"}, argv...)...)
	wantOK(t, r)
	pol := filepath.Join(t.TempDir(), "learned.toml")
	os.WriteFile(pol, []byte(r.stdout), 0o644)
	os.Remove(filepath.Join(out, "res.json"))
	r = unveilWith(t, setup, append([]string{"--policy", pol, "--"}, argv...)...)
	wantClean(t, r)
	r = unveilWith(t, setup, append([]string{"--policy", pol, "--"}, append(argv, "write", filepath.Join(other, "p"))...)...)
	if _, err := os.Stat(filepath.Join(other, "p")); r.code == 0 || err == nil {
		t.Errorf("policy: writing elsewhere: %v", r)
	}
}

func TestLearnSqlite(t *testing.T) {
	needKernel(t)
	if testing.Short() {
		t.Skip("-short: TestLearnPython covers learn")
	}
	need(t, "sqlite3")
	dir, other := t.TempDir(), t.TempDir()
	setup := inDir(bareEnv, dir)
	sql := "create table t(x); insert into t values(42); select x from t;"
	flags, line := learnFlags(t, setup, "sqlite3", "db", sql)
	if !strings.Contains(line, "wpath") || !strings.Contains(line, "cpath") {
		t.Errorf("the suggestion lacks wpath cpath (sqlite opens O_RDWR|O_CREAT): %s", line)
	}
	notIn(t, line, `\bunix\b`, `\bexec\b`, `\bproc\b`, `/etc/passwd`)
	for _, f := range []string{"db", "db-journal"} {
		os.Remove(filepath.Join(dir, f))
	}
	r := unveilWith(t, setup, flagsThen(flags, "sqlite3", "db", sql)...)
	wantClean(t, r)
	if strings.TrimSpace(r.stdout) != "42" {
		t.Errorf("stdout %q", r.stdout)
	}
	// Forbidden: a shell, writing another file, creating another database.
	for _, cmds := range [][]string{
		{".shell echo escaped"},
		{".output " + filepath.Join(other, "out"), "select 1;"},
		{".open " + filepath.Join(other, "db2"), "create table u(y);"},
	} {
		r := unveilWith(t, setup, flagsThen(flags, append([]string{"sqlite3", "db"}, cmds...)...)...)
		if strings.Contains(r.stdout, "escaped") {
			t.Errorf("%q ran a shell: %v", cmds, r)
		}
		if r.code == 0 && !strings.Contains(r.stderr, "denied") && !strings.Contains(r.stderr, "unable to open") {
			t.Errorf("%q: no failure: %v", cmds, r)
		}
	}
	if ents, _ := os.ReadDir(other); len(ents) != 0 {
		t.Errorf("sqlite3 wrote outside its directory: %v", ents)
	}
}

// TestLearnDetails: what learn leaves out because the supervisor allows
// or answers it by itself, and what it narrows.
func TestLearnDetails(t *testing.T) {
	needKernel(t)
	need(t, "sh")
	cat := need(t, "cat")
	dir := t.TempDir()

	// A "#!/usr/bin/env sh" script, with a PATH whose first directory
	// does not exist: env's exec of sh is the program's own chain, its
	// failed try in the missing directory is no exec either.
	script := filepath.Join(dir, "s")
	os.WriteFile(script, []byte("#!/usr/bin/env sh\necho ran\n"), 0o755)
	env := []string{"PATH=" + filepath.Join(dir, "missing") + ":/usr/bin:/bin"}
	flags, line := learnFlags(t, inDir(env, dir), script)
	notIn(t, line, `\bexec\b`)
	r := unveilWith(t, inDir(env, dir), flagsThen(flags, script)...)
	wantClean(t, r)
	if r.stdout != "ran\n" {
		t.Errorf("stdout %q", r.stdout)
	}

	// Appending to an existing file with O_CREAT, and a redirection to
	// /dev/null with O_CREAT|O_TRUNC, create nothing: write on the file,
	// no c on its directory, nothing for /dev.
	log := filepath.Join(dir, "log")
	os.WriteFile(log, nil, 0o644)
	sh := []string{"sh", "-c", fmt.Sprintf("echo x >> %s; echo y 2>/dev/null", log)}
	flags, line, said := learnRun(t, inDir(bareEnv, dir), sh...)
	if !strings.Contains(line, "-v rw:"+log) {
		t.Errorf("no rw:%s in %s", log, line)
	}
	if !strings.Contains(said, log+" existed") || !strings.Contains(said, "unveil "+dir+" with rwc") {
		t.Errorf("learn does not say how to let the program create %s: %q", log, said)
	}
	notIn(t, line, regexp.QuoteMeta("c:"+dir), `:/dev\b`)
	r = unveilWith(t, inDir(bareEnv, dir), flagsThen(flags, sh...)...)
	wantClean(t, r)
	if b, _ := os.ReadFile(log); string(b) != "x\nx\n" {
		t.Errorf("log holds %q", b)
	}
	r = unveilWith(t, inDir(bareEnv, dir), flagsThen(flags, "sh", "-c", "echo x > "+filepath.Join(dir, "new"))...)
	if _, err := os.Stat(filepath.Join(dir, "new")); r.code == 0 || err == nil {
		t.Errorf("a new file under a policy learned from an append: %v", r)
	}

	// /proc/self is the program's, not the supervisor's, when learned
	// and when unveiled.
	flags, line = learnFlags(t, inDir(bareEnv, dir), cat, "/proc/self/status")
	if !strings.Contains(line, "r:/proc/self/status") {
		t.Errorf("no r:/proc/self/status in %s", line)
	}
	notIn(t, line, `/proc/[0-9]`)
	for _, m := range modes {
		r = unveilWith(t, inDir(bareEnv, dir), append(append([]string(nil), m.pre...), flagsThen(flags, cat, "/proc/self/status")...)...)
		wantClean(t, r)
		if !strings.Contains(r.stdout, "NoNewPrivs:\t1") {
			t.Errorf("%s: stdout %q", m.name, r.stdout)
		}
		// Another file of the same process stays hidden.
		r = unveilWith(t, inDir(bareEnv, dir), append(append([]string(nil), m.pre...), flagsThen(flags, cat, "/proc/self/environ")...)...)
		if r.code == 0 {
			t.Errorf("%s: /proc/self/environ under a veil of /proc/self/status: %v", m.name, r)
		}
	}

	// A connection to an existing unix socket: unix, and w on the socket.
	t.Run("unix socket", func(t *testing.T) {
		need(t, "python3")
		sock := filepath.Join(dir, "s.sock")
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		code := fmt.Sprintf("import socket; socket.socket(socket.AF_UNIX).connect(%s); print('connected')", pyQuote(sock))
		flags, line = learnFlags(t, inDir(bareEnv, dir), "python3", "-c", code)
		if !strings.Contains(line, "unix") || !strings.Contains(line, "-v w:"+sock) {
			t.Errorf("want unix and -v w:%s in %s", sock, line)
		}
		pending(t, l)
		r = unveilWith(t, inDir(bareEnv, dir), flagsThen(flags, "python3", "-c", code)...)
		wantClean(t, r)
		if r.stdout != "connected\n" || !pending(t, l) {
			t.Errorf("no connection under the learned policy: %v", r)
		}
	})
}
