package security

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/promfacts"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/syscalls"
	"github.com/pledgekit/pledgekit/unveil"
)

// Helper modes: the test binary doubles as the small programs some attempts
// need (a sibling process to attack, a program that reports its own
// credentials), so that they exist in the kernel matrix's guests too, where
// the test binary is the whole userland.
const (
	envHelper = "PLEDGEKIT_SECURITY_HELPER"
	envArg    = "PLEDGEKIT_SECURITY_ARG"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envHelper); mode != "" {
		os.Exit(helperMain(mode, os.Getenv(envArg)))
	}
	code := m.Run()
	cleanupBuilds()
	os.Exit(code)
}

// marker is what the sibling helper keeps in memory for attackers to aim at.
var marker = [16]byte{'U', 'N', 'T', 'O', 'U', 'C', 'H', 'E', 'D', '-', 'M', 'A', 'R', 'K', 'E', 'R'}

func helperMain(mode, arg string) int {
	switch mode {
	case "sibling":
		// A process that does nothing: it prints where its marker is and
		// waits to be killed (at most a minute).
		fmt.Printf("marker %#x\n", uintptr(unsafe.Pointer(&marker[0])))
		time.Sleep(time.Minute)
		runtime.KeepAlive(&marker)
		return 0
	case "ids":
		// Print the identity lines of /proc/self/status.
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		for _, l := range strings.Split(string(b), "\n") {
			for _, k := range []string{"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"} {
				if strings.HasPrefix(l, k) {
					fmt.Println(strings.Join(strings.Fields(l), " "))
				}
			}
		}
		return 0
	case "exec-ids":
		// Sandbox (arg: "pledge:PROMISES", "unveil" or "" for nothing),
		// then execute the program in PLEDGEKIT_SECURITY_TARGET in helper
		// mode "ids".
		switch {
		case strings.HasPrefix(arg, "pledge:"):
			ps := strings.TrimPrefix(arg, "pledge:")
			if _, err := pledge.Apply(pledge.Options{Promises: ps, Execpromises: ps, Penalty: pledge.PenaltyKill}); err != nil {
				fmt.Println("pledge:", err)
				return 1
			}
		case arg == "unveil":
			// Read and execute everywhere (the target may be dynamically
			// linked): the point is the no_new_privs Landlock sets.
			rs := unveil.New()
			rs.Unveil("/", "rx")
			if _, err := rs.Commit(); err != nil {
				fmt.Println("unveil:", err)
				return 1
			}
		}
		target := os.Getenv("PLEDGEKIT_SECURITY_TARGET")
		env := []string{envHelper + "=ids"}
		err := syscall.Exec(target, []string{target}, env)
		fmt.Println("exec:", err)
		return 1
	case "executed":
		fmt.Println("executed")
		return 0
	case "spin":
		// Loops only asynchronous preemption (tgkill of its own threads)
		// can stop, a collection that must stop them, then SIGTERM to
		// itself (kill(getpid())).
		var n atomic.Int64
		for range 4 {
			go func() {
				for {
					n.Add(1)
				}
			}()
		}
		time.Sleep(200 * time.Millisecond)
		runtime.GC()
		fmt.Println("spun")
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(5 * time.Second)
		fmt.Println("survived")
		return 0
	case "mknod":
		// Make a character device (1,3, like /dev/null) at arg.
		err := unix.Mknod(arg, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3)))
		fmt.Printf("mknod: %s\n", errnoOf(err))
		return 0
	case "supervisor-mem":
		// Try to reach the memory of unveil's supervisor: a process
		// named unveil of this user (not the program's parent: it is
		// detached).
		ents, _ := os.ReadDir("/proc")
		found := 0
		for _, e := range ents {
			if _, err := strconv.Atoi(e.Name()); err != nil || e.Name() == strconv.Itoa(os.Getpid()) {
				continue
			}
			b, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
			uid := strings.Fields(statusField("/proc/"+e.Name()+"/status", "Uid"))
			if strings.TrimSpace(string(b)) != "unveil" || len(uid) == 0 || uid[0] != strconv.Itoa(os.Getuid()) {
				continue
			}
			found++
			// A supervisor that has not executed unveil yet (it waits
			// for the program's first call) has unveil's command line.
			state := "waiting"
			if cl, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline"); string(cl) == "unveil\x00" {
				state = "running"
			}
			for _, m := range []struct {
				name string
				flag int
			}{{"rdwr", unix.O_RDWR}, {"rdonly", unix.O_RDONLY}} {
				fd, err := unix.Open("/proc/"+e.Name()+"/mem", m.flag, 0)
				fmt.Printf("supervisor mem %s (%s): %s\n", m.name, state, errnoOf(err))
				if err == nil {
					unix.Close(fd)
				}
			}
		}
		fmt.Printf("supervisors found: %v\n", found > 0)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
	return 2
}

// startSibling starts the test binary as an idle sibling process and
// returns it with the address of its marker. The test kills it at the end.
func startSibling(t *testing.T) (*exec.Cmd, uintptr) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envHelper+"=sibling")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	buf := make([]byte, 64)
	n, _ := out.Read(buf)
	var addr uintptr
	if _, err := fmt.Sscanf(string(buf[:n]), "marker %v", &addr); err != nil {
		t.Fatalf("sibling said %q: %v", buf[:n], err)
	}
	return cmd, addr
}

// envDir passes a test's directory to its scenario child. The child runs
// the test function again up to testproc.Run, so a t.TempDir made there
// would be another directory than the parent's.
const envDir = "PLEDGEKIT_SECURITY_DIR"

// testDir returns a directory shared by the test and its scenario child
// (pass it to the child with inDir).
func testDir(t *testing.T) string {
	t.Helper()
	if testproc.InChild() {
		return os.Getenv(envDir)
	}
	d := t.TempDir()
	os.Chmod(d, 0o755)
	return d
}

// inDir is the testproc option that hands dir to the child.
func inDir(dir string) testproc.Option { return testproc.WithEnv(envDir + "=" + dir) }

// parentOnly runs set-up code in the parent test only (the scenario child
// runs the test function again up to testproc.Run).
func parentOnly(t *testing.T, f func() error) {
	t.Helper()
	if testproc.InChild() {
		return
	}
	if err := f(); err != nil {
		t.Fatal(err)
	}
}

// writeFile creates a file with content and exact permissions.
func writeFile(path, content string, perm os.FileMode) error {
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		return err
	}
	return os.Chmod(path, perm)
}

// allLinux is every promise that grants something on Linux, except
// "error" (which only changes the penalty): the widest sandbox there is.
var allLinux = func() string {
	var names []string
	for _, p := range promfacts.LinuxSet().Promises() {
		if p != promises.Error {
			names = append(names, p.String())
		}
	}
	return strings.Join(names, " ")
}()

// apply pledges inside a scenario and prints "pledged", the marker the
// parent looks for to know the attempt itself (not the set-up) was judged.
func apply(ps string, pen pledge.Penalty) *report.Report {
	rep, err := pledge.Apply(pledge.Options{Promises: ps, Penalty: pen})
	if err != nil {
		testproc.Fatalf("pledge.Apply(%q, %v): %v", ps, pen, err)
	}
	say("pledged")
	return rep
}

// say prints one line on standard output for the parent to check.
func say(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// must fails the scenario on a set-up error.
func must(what string, err error) {
	if err != nil {
		testproc.Fatalf("%s: %v", what, err)
	}
}

// wantKilled checks that the scenario pledged with PenaltyKill and was then
// killed by the filter (SIGSYS) before the attempt returned.
func wantKilled(t *testing.T, r *testproc.Result) {
	t.Helper()
	if !strings.Contains(r.Stdout, "pledged\n") {
		t.Fatalf("the scenario did not get as far as the attempt:\n%s", r)
	}
	if strings.Contains(r.Stdout, "survived") || !r.Signaled(syscall.SIGSYS) {
		t.Fatalf("the attempt was not stopped by the filter (want death by SIGSYS):\n%s", r)
	}
}

// wantLines checks that stdout has every line.
func wantLines(t *testing.T, r *testproc.Result, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(r.Stdout, l+"\n") {
			t.Fatalf("stdout lacks %q\n%s", l, r)
		}
	}
}

// wantOK checks a scenario exited 0 after printing "ok".
func wantOK(t *testing.T, r *testproc.Result) {
	t.Helper()
	if !r.Exited(0) || !strings.Contains(r.Stdout, "ok\n") {
		t.Fatalf("scenario failed:\n%s", r)
	}
}

// errnoOf names the errno of err ("success" for nil).
var errnoOf = testproc.ErrnoName

// errnoName names a raw errno ("success" for 0).
func errnoName(e syscall.Errno) string {
	if e == 0 {
		return "success"
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return "errno " + strconv.Itoa(int(e))
}

// landlockABI returns the Landlock ABI the probe verified, and checks it
// against PLEDGEKIT_EXPECT_LANDLOCK_ABI when the kernel matrix sets it: a
// probe that finds less than the kernel has would make every Landlock
// attempt below "pass" by degrading.
func landlockABI(t *testing.T) int {
	t.Helper()
	got := probe.Get().LandlockABI
	if s := os.Getenv("PLEDGEKIT_EXPECT_LANDLOCK_ABI"); s != "" {
		want, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("PLEDGEKIT_EXPECT_LANDLOCK_ABI=%q: %v", s, err)
		}
		if want > probe.MaxKnownLandlockABI {
			want = probe.MaxKnownLandlockABI
		}
		if want < 0 {
			want = 0
		}
		if got != want {
			t.Fatalf("the probe found Landlock ABI %d, the kernel matrix says %d", got, want)
		}
	}
	return got
}

// isRoot reports whether the test runs with CAP_SYS_ADMIN-like powers:
// uid 0.
func isRoot() bool { return os.Geteuid() == 0 }

// ---------------------------------------------------------------------------
// C helpers, built at test time with the machine's gcc.

var builds struct {
	sync.Mutex
	dir  string
	done map[string]string
}

func cleanupBuilds() {
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
}

// buildC compiles testdata/<name>.c into a static program without libc
// (-nostdlib: the helpers make raw system calls, so the exact calls are
// known) and returns its path. It skips the test when gcc is missing, as in
// the kernel matrix's guests.
func buildC(t *testing.T, name string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skipf("gcc is not installed here: the C helper %s.c cannot be built (CI hosts have gcc; the matrix guests do not)", name)
	}
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.done[name]; ok {
		return p
	}
	if builds.dir == "" {
		d, err := os.MkdirTemp("", "pledgekit-security-")
		if err != nil {
			t.Fatal(err)
		}
		os.Chmod(d, 0o755)
		builds.dir = d
		builds.done = map[string]string{}
	}
	src, err := filepath.Abs(filepath.Join("testdata", name+".c"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(builds.dir, name)
	cmd := exec.Command(gcc, "-static", "-nostdlib", "-fno-stack-protector", "-fno-builtin", "-O1", "-o", out, src)
	var msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &msg, &msg
	if err := cmd.Run(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", src, err, msg.String())
	}
	builds.done[name] = out
	return out
}

// statusField returns a field of a /proc/.../status file.
func statusField(path, key string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "error: " + err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// legacySyscall returns the number of a syscall this architecture may lack
// (open, chmod, mknod... exist on amd64 only).
func legacySyscall(name string) (uintptr, bool) {
	tab, err := syscalls.Native()
	if err != nil {
		return 0, false
	}
	nr, ok := tab.Number(name)
	return uintptr(nr), ok
}
