package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
)

// becomeSubreaper makes the test process the reaper of the orphans of
// what it starts (the side supervisor, detached from unveil, is one), for
// the test's duration.
func becomeSubreaper(t *testing.T) {
	t.Helper()
	reapOrphans(t) // none should be left, but a stray one would be taken for ours
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("PR_SET_CHILD_SUBREAPER: %v", err)
	}
	t.Cleanup(func() { unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) })
}

// orphans lists the children of this process other than skip.
func orphans(skip int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(s); err == nil && pid != skip {
				out = append(out, pid)
			}
		}
	}
	return out
}

// reapOrphans waits for the orphans left (the supervisors, which exit
// once no filtered task is left) and fails if one does not exit.
func reapOrphans(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range orphans(0) {
		for {
			var ws syscall.WaitStatus
			got, err := syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			if got == pid || err != nil {
				break
			}
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL)
				t.Errorf("the supervisor (pid %d) still runs after the program exited", pid)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// pyStdlib is python3's standard library, to unveil.
func pyStdlib(t *testing.T, py string) string {
	t.Helper()
	out, err := exec.Command(py, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])").Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestSideNotTheProgramsChild: the supervisor is not a child of the
// program (which has unveil's pid): a program that waits for all its
// children finishes, one that waits for any child gets its own child's
// status, and it starts with no child at all (no launcher left as a
// zombie either). The supervisor is detached to the nearest subreaper
// (this test), and exits once the program has.
func TestSideNotTheProgramsChild(t *testing.T) {
	needKernel(t)
	py := need(t, "python3")
	pyLib := pyStdlib(t, py)
	becomeSubreaper(t)
	script := `
import os
print("children:", repr(open("/proc/self/task/%d/children" % os.getpid()).read().strip()), flush=True)
n = 0
while True:
    try:
        os.wait()
        n += 1
    except ChildProcessError:
        break
print("waited for", n, flush=True)
pid = os.fork()
if pid == 0:
    os._exit(7)
got, st = os.wait()
print("child", got == pid, os.waitstatus_to_exitcode(st), flush=True)
`
	for _, args := range [][]string{
		{"-p", "stdio rpath proc", "-v", pyLib, "-v", "/proc"},
		{"-V", "-p", "stdio rpath proc"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, unveilBin, append(args, "--", py, "-c", script)...)
		var so, se bytes.Buffer
		cmd.Stdout, cmd.Stderr = &so, &se
		err := cmd.Run()
		timedOut := ctx.Err() != nil
		cancel()
		reapOrphans(t)
		if timedOut {
			t.Errorf("unveil %v: the program did not finish (waiting for a child that is not its own?)\nstdout: %s\nstderr: %s", args, so.Bytes(), se.Bytes())
		}
		want := "children: ''\nwaited for 0\nchild True 7\n"
		if err != nil || so.String() != want {
			t.Errorf("unveil %v: %v\nstdout: %q, want %q\nstderr: %s", args, err, so.String(), want, se.Bytes())
		}
	}
}

// TestSideKilled: the supervisor runs as the user who started unveil. A
// program that may signal other processes (proc, and no Landlock signal
// scope: -V here) of that user can kill it; its denied calls then fail
// with ENOSYS (the kernel's answer when no supervisor listens) instead of
// EPERM. Without proc it cannot: the kill is denied and the supervisor
// goes on answering EPERM.
func TestSideKilled(t *testing.T) {
	needKernel(t)
	py := need(t, "python3")
	pyLib := pyStdlib(t, py)
	becomeSubreaper(t)
	script := `
import os, sys, time
def tryit(p):
    try:
        os.mkdir(p)
        return 0
    except OSError as e:
        return e.errno
d = sys.argv[1]
print("before", tryit(d + "/a"), flush=True)
pid = int(sys.stdin.readline())
try:
    os.kill(pid, 9)
    print("kill 0", flush=True)
except OSError as e:
    print("kill", e.errno, flush=True)
time.sleep(0.3)
print("after", tryit(d + "/b"), flush=True)
`
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-V", "-p", "stdio rpath proc"}, fmt.Sprintf("before %d\nkill 0\nafter %d\n", unix.EPERM, unix.ENOSYS)},
		{[]string{"-p", "stdio rpath", "-v", pyLib}, fmt.Sprintf("before %d\nkill %d\nafter %d\n", unix.EPERM, unix.EPERM, unix.EPERM)},
	} {
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, unveilBin, append(tc.args, "--", py, "-c", script, "x", dir)...)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var se bytes.Buffer
		cmd.Stderr = &se
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(out)
		got, _ := r.ReadString('\n')
		// The program runs: the supervisor is this test's orphan now.
		sup := orphans(cmd.Process.Pid)
		if len(sup) != 1 {
			t.Errorf("unveil %v: want one supervisor among this test's orphans, got %v", tc.args, sup)
			sup = append(sup, 0)
		}
		fmt.Fprintf(stdin, "%d\n", sup[0])
		for {
			line, err := r.ReadString('\n')
			got += line
			if err != nil {
				break
			}
		}
		cmd.Wait()
		cancel()
		if got != tc.want {
			t.Errorf("unveil %v: program said %q, want %q\nstderr: %s", tc.args, got, tc.want, se.Bytes())
		}
		reapOrphans(t)
	}
}

// TestSideMalformed: a message the supervisor cannot read is refused with
// a clear error, never a crash, whatever its bytes.
func TestSideMalformed(t *testing.T) {
	frame := func(b []byte) []byte { return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...) }
	good, err := encodeSideMsg(sideMsg{Pid: 1, Arch: "amd64", Promises: "stdio rpath", UID: -1, GID: -1})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := readSideMsg(bytes.NewReader(good)); err != nil {
		t.Fatalf("a good message: %v", err)
	} else if _, err := m.plan(); err != nil {
		t.Fatalf("a good message's plan: %v", err)
	}
	for name, msg := range map[string][]byte{
		"short length":  {0, 1},
		"too long":      binary.BigEndian.AppendUint32(nil, maxSideMsg+1),
		"short body":    append(binary.BigEndian.AppendUint32(nil, 100), "{}"...),
		"not JSON":      frame([]byte("\x00\xff{")),
		"unknown field": frame([]byte(`{"pid":1,"bogus":true}`)),
		"wrong type":    frame([]byte(`{"pid":"one"}`)),
		"bad promises":  frame([]byte(`{"pid":1,"promises":"stdio nosuch","uid":-1,"gid":-1}`)),
		"bad pid":       frame([]byte(`{"pid":0,"promises":"stdio","uid":-1,"gid":-1}`)),
		"bad uid":       frame([]byte(`{"pid":1,"promises":"stdio","uid":-5,"gid":-1}`)),
	} {
		m, err := readSideMsg(bytes.NewReader(msg))
		if err == nil {
			_, err = m.plan()
		}
		if err == nil || err == errNoMsg {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
	if _, err := readSideMsg(bytes.NewReader(nil)); err != errNoMsg {
		t.Errorf("an empty stream: %v, want errNoMsg", err)
	}
	// unveil closed its end without reading the ready byte (its planning
	// failed): the socket is reset, which is no message either; a reset
	// in the middle of a message is not.
	if _, err := readSideMsg(errReader{syscall.ECONNRESET}); err != errNoMsg {
		t.Errorf("a reset before the message: %v, want errNoMsg", err)
	}
	if _, err := readSideMsg(io.MultiReader(bytes.NewReader(good[:6]), errReader{syscall.ECONNRESET})); err == nil || err == errNoMsg {
		t.Errorf("a reset inside the message: %v, want an error", err)
	}
	// The real thing: a socket whose peer closes with S's byte unread.
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Write(fds[1], []byte{sideReady})
	syscall.Close(fds[0])
	if _, err := readSideMsg(fdReader(fds[1])); err != errNoMsg {
		t.Errorf("peer closed with the ready byte unread: %v, want errNoMsg", err)
	}
	syscall.Close(fds[1])

	// The process: a malformed message is one line on its error stream
	// and exit status 125; none at all, no line.
	for _, tc := range []struct {
		send []byte
		line bool
	}{{frame([]byte("garbage")), true}, {nil, false}} {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		ours, theirs := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "theirs")
		cmd := exec.Command(unveilBin)
		cmd.Env = append(os.Environ(), sideEnv+"=1")
		cmd.ExtraFiles = []*os.File{theirs}
		var se bytes.Buffer
		cmd.Stderr = &se
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		theirs.Close()
		ours.Write(tc.send)
		ours.Close()
		cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if code != exitInternal || strings.Contains(se.String(), "panic") || strings.Contains(se.String(), "malformed message") != tc.line {
			t.Errorf("supervisor sent %q: exit %d, stderr %q", tc.send, code, se.String())
		}
	}
}

// errReader fails every read with err.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// sideOf waits for the supervisor of the unveil run cmd (the orphan that
// is not the program, this test being the subreaper) and returns its pid.
func sideOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if o := orphans(cmd.Process.Pid); len(o) == 1 {
			return o[0]
		}
	}
	t.Fatalf("no supervisor beside %v", cmd.Args)
	return 0
}

// executed reports whether the supervisor pid executed unveil: its
// command line is then unveil's side role's, "unveil" alone (until then
// it is a copy of unveil, with unveil's command line). The command line,
// unlike the environment, stays readable once it is not dumpable.
func executed(pid int) bool {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return string(b) == "unveil\x00"
}

// TestSideKeepsInvokersIdentity: with -u and -g, the supervisor still runs
// as the user who started unveil. (Started in the background, it was
// forked after unveil's switch to the program's user when the machine was
// loaded, as Go switches every thread: it then could not tell unveil's own
// execve of the program from the program's, and denied it. unveil now
// starts it once the plan is made, before it changes anything.)
func TestSideKeepsInvokersIdentity(t *testing.T) {
	needKernel(t)
	needRoot(t)
	sleep := need(t, "sleep")
	becomeSubreaper(t)
	cmd := exec.Command(unveilBin, "-u", "65534", "-g", "65534", "--", sleep, "0.5")
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := sideOf(t, cmd)
	var uid string
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		uid = procStatus(string(b))["Uid"]
	}
	err := cmd.Wait()
	reapOrphans(t)
	if err != nil {
		t.Errorf("unveil -u 65534: %v\nstderr: %s", err, se.Bytes())
	}
	if uid != "0\t0\t0\t0" {
		t.Errorf("the supervisor's Uid line is %q, want root's (who started unveil)", uid)
	}
}

// TestSideStartsOnDemand: the supervisor executes unveil (and starts a Go
// runtime beside the program) only once the program makes a call for it to
// answer; one that makes none never waits for it, and the supervisor
// exits with it. Where the program could reach a supervisor that is not
// yet protected (no Landlock domain, the same user: -V), it starts at
// once, before the program runs. A denied call is answered and reported
// either way.
func TestSideStartsOnDemand(t *testing.T) {
	needKernel(t)
	sleep, cat := need(t, "sleep"), need(t, "cat")
	becomeSubreaper(t)
	// Without Landlock no layer protects it: it always starts at once.
	landlock := probe.Get().LandlockABI > 0
	for _, tc := range []struct {
		args []string
		now  bool
	}{
		{[]string{"-p", "stdio rpath"}, !landlock},
		{[]string{"-V", "-p", "stdio rpath"}, true},
	} {
		cmd := exec.Command(unveilBin, append(tc.args, "--", sleep, "0.4")...)
		var se bytes.Buffer
		cmd.Stderr = &se
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pid := sideOf(t, cmd)
		time.Sleep(100 * time.Millisecond)
		got := executed(pid)
		err := cmd.Wait()
		reapOrphans(t)
		if err != nil {
			t.Errorf("unveil %v: %v\nstderr: %s", tc.args, err, se.Bytes())
		}
		if got != tc.now {
			t.Errorf("unveil %v: the supervisor executed unveil while the program ran: %v, want %v", tc.args, got, tc.now)
		}
	}
	// A denied call starts it: the call waits for it and is answered.
	for _, args := range [][]string{{"-p", "stdio"}, {"-V", "-p", "stdio"}} {
		r := unveil(t, append(args, "--", cat, "/etc/hostname")...)
		reapOrphans(t)
		if r.code == 0 || !strings.Contains(r.stderr, `needs promise "rpath"`) {
			t.Errorf("unveil %v -- cat: %v; want the denial reported and cat failing", args, r)
		}
	}
}

// TestSideLargeMessage: a plan whose message for the supervisor does not
// fit in a socket's buffer (thousands of unveiled paths, ~500 KB) would wait for a
// supervisor that starts only when the program needs it: unveil tells it
// to start at once instead, and the launch goes through.
func TestSideLargeMessage(t *testing.T) {
	needKernel(t)
	if testing.Short() {
		t.Skip("thousands of paths to plan and unveil: minutes under emulation (the kernel matrix runs -short)")
	}
	sleep := need(t, "sleep")
	dir := t.TempDir()
	args := []string{"-p", "stdio rpath"}
	long := strings.Repeat("a-rather-long-directory-name-to-fill-the-buffer-", 4)
	for i := range 2500 {
		p := filepath.Join(dir, fmt.Sprintf("%s%04d", long, i))
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-v", p)
	}
	becomeSubreaper(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, unveilBin, append(args, "--", sleep, "0.4")...)
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := sideOf(t, cmd)
	time.Sleep(150 * time.Millisecond)
	started := executed(pid)
	err := cmd.Wait()
	reapOrphans(t)
	if err != nil || ctx.Err() != nil {
		t.Fatalf("unveil with 2500 -v: %v (timed out: %v)\nstderr: %s", err, ctx.Err() != nil, se.Bytes())
	}
	if !started {
		t.Errorf("the supervisor did not execute unveil before the program ended, with a message larger than a socket buffer")
	}
}

// TestSideStartFailsLoudly: a supervisor that cannot start when the
// program first needs it (here the program removed unveil's executable)
// says so on the error stream, and the call fails with ENOSYS, the
// kernel's answer when nobody listens; it never fails silently.
func TestSideStartFailsLoudly(t *testing.T) {
	needKernel(t)
	if probe.Get().LandlockABI == 0 {
		t.Skip("without Landlock the supervisor starts at once, before the program runs")
	}
	target := goTarget(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "unveil")
	b, err := os.ReadFile(unveilBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	becomeSubreaper(t)
	cmd := exec.Command(bin, "-p", "stdio rpath wpath cpath", "-v", "rwc:"+dir, "--", target, "remove", bin, "tcp", "127.0.0.1:9")
	var se bytes.Buffer
	cmd.Stderr = &se
	err = cmd.Run()
	reapOrphans(t)
	if err == nil {
		t.Fatalf("the refused connect succeeded\nstderr: %s", se.Bytes())
	}
	for _, want := range []string{"unveil: supervisor: could not start (executing unveil)", "function not implemented"} {
		if !strings.Contains(se.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, se.Bytes())
		}
	}
}
