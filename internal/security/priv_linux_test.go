package security

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

const nobody = 65534

// no_new_privs and the filter are on every thread: threads locked to
// goroutines before the pledge, idle runtime threads, and threads started
// afterwards. After an unveil alone (Landlock sets no_new_privs itself), the
// same.
func TestNoNewPrivsEveryThread(t *testing.T) {
	for _, how := range []string{"pledge", "unveil"} {
		t.Run(how, func(t *testing.T) {
			if how == "unveil" && landlockABI(t) == 0 {
				t.Skip("no Landlock: unveil sets nothing (its report says so: see TestUnveil*)")
			}
			r := testproc.Run(t, "threads", func() {
				release := make(chan struct{})
				var ready sync.WaitGroup
				for i := 0; i < 4; i++ {
					ready.Add(1)
					go func() {
						runtime.LockOSThread()
						ready.Done()
						<-release
					}()
				}
				ready.Wait()
				if how == "pledge" {
					apply("stdio rpath", pledge.PenaltyKill)
				} else {
					rs := unveil.New()
					must("unveil", rs.Unveil("/proc", "r"))
					_, err := rs.Commit()
					must("commit", err)
				}
				// A thread started afterwards.
				done := make(chan struct{})
				go func() {
					runtime.LockOSThread()
					close(done)
					<-release
				}()
				<-done
				tasks, err := os.ReadDir("/proc/self/task")
				must("list tasks", err)
				for _, task := range tasks {
					st := "/proc/self/task/" + task.Name() + "/status"
					say("task NoNewPrivs=%s Seccomp=%s", statusField(st, "NoNewPrivs"), statusField(st, "Seccomp"))
				}
				say("tasks %d", len(tasks))
				close(release)
			})
			if !r.Exited(0) {
				t.Fatal(r)
			}
			var n int
			fmt.Sscanf(lineOf(r.Stdout, "tasks "), "%d", &n)
			if n < 6 {
				t.Fatalf("only %d threads seen, want at least 6\n%s", n, r)
			}
			want := "task NoNewPrivs=1 Seccomp=2"
			if how == "unveil" {
				want = "task NoNewPrivs=1 Seccomp=0"
			}
			if c := strings.Count(r.Stdout, want+"\n"); c != n {
				t.Fatalf("%d of %d threads have %q\n%s", c, n, want, r)
			}
		})
	}
}

// suidDir returns a directory on a file system that honours set-user-ID
// bits, readable by everyone, or "" if there is none.
func suidDir(t *testing.T) string {
	t.Helper()
	for _, base := range []string{os.TempDir(), "/var/tmp", "/"} {
		var st unix.Statfs_t
		if unix.Statfs(base, &st) != nil || st.Flags&unix.ST_NOSUID != 0 {
			continue
		}
		d, err := os.MkdirTemp(base, "pledgekit-security-suid-")
		if err != nil {
			continue
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		os.Chmod(d, 0o755)
		return d
	}
	return ""
}

// copyExe copies the test binary to path with mode.
func copyExe(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o700)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if mode&(os.ModeSetuid|os.ModeSetgid) != 0 {
		if err := os.Chown(path, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// runAs runs the test binary copy bin as uid/gid nobody in helper mode
// mode with arg, and returns its combined output.
func runAs(t *testing.T, bin, mode, arg string, env ...string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append([]string{envHelper + "=" + mode, envArg + "=" + arg, "PATH=/usr/bin:/bin"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	cmd.Dir = "/"
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		t.Logf("%s %s %q: %v", bin, mode, arg, err)
	}
	return out.String()
}

// A set-user-ID (and set-group-ID) root program executed under the sandbox
// gains nothing: no_new_privs makes execve ignore the bits. A control run
// without the sandbox shows the bits work on this file system.
func TestSetuidProgramGainsNothing(t *testing.T) {
	if !isRoot() {
		t.Skip("needs root to make a set-user-ID root program")
	}
	dir := suidDir(t)
	if dir == "" {
		t.Skip("no file system here honours set-user-ID bits (all nosuid)")
	}
	caller := filepath.Join(dir, "caller")
	target := filepath.Join(dir, "suid-root")
	copyExe(t, caller, 0o755)
	copyExe(t, target, os.ModeSetuid|os.ModeSetgid|0o755)
	env := "PLEDGEKIT_SECURITY_TARGET=" + target

	control := runAs(t, caller, "exec-ids", "", env)
	if !strings.Contains(control, "Uid: 65534 0 0 0\n") || !strings.Contains(control, "Gid: 65534 0 0 0\n") {
		t.Skipf("the set-user-ID bit has no effect here even without a sandbox:\n%s", control)
	}
	for _, sandbox := range []string{"pledge:stdio rpath proc exec prot_exec", "unveil"} {
		t.Run(strings.SplitN(sandbox, ":", 2)[0], func(t *testing.T) {
			if sandbox == "unveil" && landlockABI(t) == 0 {
				t.Skip("no Landlock: unveil sets no no_new_privs")
			}
			out := runAs(t, caller, "exec-ids", sandbox, env)
			for _, want := range []string{"Uid: 65534 65534 65534 65534", "Gid: 65534 65534 65534 65534", "CapEff: 0000000000000000", "CapPrm: 0000000000000000", "NoNewPrivs: 1"} {
				if !strings.Contains(out, want+"\n") {
					t.Fatalf("sandboxed set-user-ID program: want %q\n%s", want, out)
				}
			}
		})
	}
}

// The CLI, built at test time.
var cli struct {
	once sync.Once
	path string
	err  error
}

func buildCLI(t *testing.T) string {
	t.Helper()
	// The kernel matrix (ci/matrix) has no Go toolchain in its guests; it
	// puts a build of the command next to the test binaries when
	// ./cmd/unveil is among the packages it runs.
	if os.Getenv("PLEDGEKIT_MATRIX") != "" {
		prebuilt := filepath.Join(filepath.Dir(os.Args[0]), "unveil")
		if _, err := os.Stat(prebuilt); err == nil {
			return prebuilt
		}
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		if _, err2 := os.Stat(filepath.Join(runtime.GOROOT(), "bin", "go")); err2 != nil {
			t.Skip("the go tool is not here (kernel matrix guest): cannot build cmd/unveil")
		}
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	gomod, err := exec.Command(gobin, "env", "GOMOD").Output()
	if m := strings.TrimSpace(string(gomod)); err != nil || m == "" || m == os.DevNull {
		t.Skip("the module's source is not here (the test binary runs outside the repository): cannot build cmd/unveil")
	}
	cli.once.Do(func() {
		d, err := os.MkdirTemp("", "pledgekit-security-cli-")
		if err != nil {
			cli.err = err
			return
		}
		os.Chmod(d, 0o755)
		cli.path = filepath.Join(d, "unveil")
		cmd := exec.Command(gobin, "build", "-o", cli.path, "github.com/pledgekit/pledgekit/cmd/unveil")
		out, err := cmd.CombinedOutput()
		if err != nil {
			cli.err = fmt.Errorf("go build ./cmd/unveil: %v\n%s", err, out)
		}
	})
	if cli.err != nil {
		t.Fatal(cli.err)
	}
	return cli.path
}

// cliRun runs the CLI with args; asUser runs it as uid nobody.
func cliRun(t *testing.T, asNobody bool, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(buildCLI(t), args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	cmd.Dir = "/"
	if asNobody {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	return out.String(), err
}

// helperCopy copies the test binary where every user may run it.
func helperCopy(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "pledgekit-security-helper-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	os.Chmod(d, 0o755)
	p := filepath.Join(d, "helper")
	copyExe(t, p, 0o755)
	return p
}

// The CLI drops every capability (bounding, effective, permitted,
// inheritable, ambient) and switches uid, gid and groups for -u/-g, so that
// the program it runs has nothing to regain, even as root.
func TestCLIDropsPrivileges(t *testing.T) {
	if !isRoot() {
		t.Skip("needs root: the CLI's -u/-g and capability dropping are for root")
	}
	buildCLI(t)
	helper := helperCopy(t)
	zero := "0000000000000000"
	caps := []string{"CapInh: " + zero, "CapPrm: " + zero, "CapEff: " + zero, "CapBnd: " + zero, "CapAmb: " + zero, "NoNewPrivs: 1"}
	t.Run("uid switch", func(t *testing.T) {
		out, err := cliRun(t, false, []string{envHelper + "=ids"}, "-u", "65534", "-g", "65534", "-p", "stdio rpath", "-V", "--", helper)
		if err != nil {
			t.Fatalf("unveil: %v\n%s", err, out)
		}
		for _, want := range append([]string{"Uid: 65534 65534 65534 65534", "Gid: 65534 65534 65534 65534", "Seccomp: 2"}, caps...) {
			if !strings.Contains(out, want+"\n") {
				t.Fatalf("want %q\n%s", want, out)
			}
		}
		if g := lineOf(out, "Groups:"); strings.TrimSpace(g) != "" && strings.TrimSpace(g) != "65534" {
			t.Fatalf("supplementary groups remain: %q\n%s", g, out)
		}
	})
	t.Run("root keeps no capability", func(t *testing.T) {
		out, err := cliRun(t, false, []string{envHelper + "=ids"}, "-p", "stdio rpath", "-V", "--", helper)
		if err != nil {
			t.Fatalf("unveil: %v\n%s", err, out)
		}
		for _, want := range append([]string{"Uid: 0 0 0 0"}, caps...) {
			if !strings.Contains(out, want+"\n") {
				t.Fatalf("want %q\n%s", want, out)
			}
		}
	})
	// Without CAP_MKNOD, dpath cannot make device nodes, even for root.
	t.Run("no device nodes as root", func(t *testing.T) {
		dir := t.TempDir()
		out, err := cliRun(t, false, []string{envHelper + "=mknod", envArg + "=" + filepath.Join(dir, "null")},
			"-p", "stdio rpath wpath cpath dpath", "-v", "rwc:"+dir, "--", helper)
		if err != nil {
			t.Logf("unveil: %v", err)
		}
		if !strings.Contains(out, "mknod: EPERM\n") {
			t.Fatalf("want mknod of a device refused with EPERM\n%s", out)
		}
		if _, err := os.Lstat(filepath.Join(dir, "null")); err == nil {
			t.Fatal("a device node was made")
		}
	})
}

// A program under the CLI's supervised mode must not reach its supervisor,
// an unsandboxed process of the same user: not with ptrace (the filter),
// and not through /proc/PID/mem, which needs only rpath and wpath where no
// Landlock domain is in force (-V, or a kernel without Landlock). Writing
// the supervisor's memory would be running code outside the sandbox. The
// supervisor is detached (not the program's parent); the program tries
// every process named unveil of its user, and unveil does not run it
// before its supervisor is out of reach.
func TestCLISupervisorOutOfReach(t *testing.T) {
	buildCLI(t)
	helper := helperCopy(t)
	asNobody := isRoot() // the attack needs equal credentials: run both as one user
	cases := []struct {
		name string
		args []string
		want string // the state of this launch's supervisor when the program looks
	}{
		// No Landlock domain: the supervisor starts at once and is not
		// dumpable before the program runs.
		{"-V", []string{"-V", "-p", "stdio rpath wpath"}, "running"},
	}
	if probe.Get().LandlockABI > 0 {
		// Under the veil the supervisor waits for the program's first
		// call, a copy of unveil: the program (in a Landlock domain,
		// which may not trace a process outside it) still cannot reach
		// it, even with /proc unveiled for reading and writing.
		cases = append(cases, struct {
			name string
			args []string
			want string
		}{"veil", []string{"-p", "stdio rpath wpath", "-v", "rw:/proc"}, "waiting"})
	}
	for _, tc := range cases {
		out, err := cliRun(t, asNobody, []string{envHelper + "=supervisor-mem"}, append(tc.args, "--", helper)...)
		if err != nil {
			t.Logf("%s: unveil: %v", tc.name, err)
		}
		if !strings.Contains(out, "supervisors found: true\n") {
			t.Fatalf("%s: the program found no supervisor:\n%s", tc.name, out)
		}
		// EACCES: not reachable. ESRCH: a process that has no memory left
		// (the supervisor of an earlier launch, exiting or not yet reaped:
		// the program tries every process named unveil of its user);
		// nothing to reach either. This launch's supervisor, in the state
		// the case expects, must be among those refusing.
		refused := false
		for _, l := range strings.Split(out, "\n") {
			if !strings.HasPrefix(l, "supervisor mem ") {
				continue
			}
			switch {
			case strings.HasSuffix(l, ": EACCES"):
				refused = refused || strings.Contains(l, "("+tc.want+")")
			case strings.HasSuffix(l, ": ESRCH"):
			default:
				t.Fatalf("%s: %q: want EACCES (the supervisor must be out of the program's reach)\n%s", tc.name, l, out)
			}
		}
		if !refused {
			t.Fatalf("%s: no %s supervisor refused its memory:\n%s", tc.name, tc.want, out)
		}
	}
}
