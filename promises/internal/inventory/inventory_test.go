package inventory

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

const sample = `100 execve(0x7ffd, 0x7ffe, 0x7fff) = 0
100 openat(0xffffff9c, 0x5f6ac0, 0, 0) = 0x3
100 getpriority(0x7a11, 0x1ed9e)      = -1 EINVAL (Invalid argument)
100 mmap(0, 0x40000, 0x3, 0x22, 0xffffffff, 0 <unfinished ...>
101 sigaltstack(0, 0x1383a8363f48 <unfinished ...>
100 <... mmap resumed>)               = 0x7fa676260000
101 <... sigaltstack resumed>)        = 0
100 --- SIGURG {si_signo=SIGURG, si_code=SI_TKILL, si_pid=100, si_uid=0} ---
100 sched_yield()                     = 0
101 socket(0x10, 0x3, 0)               = 3
100 mmap(0, 0x1000, 0x7, 0x22, 0xffffffff, 0) = 0x7fa676250000
100 clone3(0x7ffc, 0x58) = 0x66
101 +++ exited with 0 +++
`

func TestParseAndCheck(t *testing.T) {
	calls, err := Parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 9 {
		t.Fatalf("parsed %d calls, want 9: %v", len(calls), calls)
	}
	if c := calls[3]; c.Name != "mmap" || c.NArg != 6 || c.Args[2] != 3 || c.Args[4] != 0xffffffff {
		t.Errorf("unfinished mmap parsed as %v", c)
	}
	if c := calls[5]; c.Name != "sched_yield" || c.NArg != 0 {
		t.Errorf("sched_yield parsed as %v", c)
	}
	res := Check(calls, promises.MustParse("stdio"), "amd64")
	if !res.Marked || res.Checked != 6 {
		t.Fatalf("marked %v, checked %d; want true, 6", res.Marked, res.Checked)
	}
	// The netlink socket and the PROT_EXEC mapping are not stdio; the
	// openat before the marker is not checked; clone3 gets ENOSYS.
	var denied []string
	for _, c := range res.Denied {
		denied = append(denied, c.Name)
	}
	if strings.Join(denied, " ") != "socket mmap" {
		t.Errorf("denied %v, want [socket mmap]", denied)
	}
	if res.Errnos["clone3"] != 38 {
		t.Errorf("clone3 errno = %d, want ENOSYS", res.Errnos["clone3"])
	}
	if _, err := Parse(strings.NewReader("100 read(0x3, buf, 1) = 1\n")); err == nil {
		t.Error("decoded (non-raw) arguments were accepted")
	}
}

// TestGoRuntimeCovered is the measurement: every system call the workload
// (goroutines, GC, timers, netpoll on a pipe, crypto/rand, a file read,
// os/exec of /bin/true and of itself) makes after its pledge point must be
// allowed by "stdio rpath proc exec", with and without cgo.
func TestGoRuntimeCovered(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and straces a program")
	}
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace not installed")
	}
	if _, err := os.Stat("/bin/true"); err != nil {
		t.Skip("no /bin/true")
	}
	set := promises.MustParse("stdio rpath proc exec")
	for _, cgo := range []string{"0", "1"} {
		t.Run("CGO_ENABLED="+cgo, func(t *testing.T) {
			if cgo == "1" {
				if _, err := exec.LookPath("gcc"); err != nil {
					t.Skip("no C compiler")
				}
			}
			dir := t.TempDir()
			bin := filepath.Join(dir, "workload")
			build := exec.Command(goTool(), "build", "-o", bin, "./workload")
			build.Env = append(os.Environ(), "CGO_ENABLED="+cgo)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			trace := filepath.Join(dir, "trace")
			run := exec.Command(strace, "-f", "-qq", "-e", "raw=all", "-o", trace, bin)
			run.Dir = dir
			if out, err := run.CombinedOutput(); err != nil {
				t.Fatalf("strace: %v\n%s", err, out)
			}
			f, err := os.Open(trace)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			calls, err := Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			res := Check(calls, set, runtime.GOARCH)
			if !res.Marked {
				t.Fatal("pledge-point marker not found in the trace")
			}
			t.Logf("%d calls after the pledge point under %q:\n%s", res.Checked, set, res.Table())
			for _, c := range res.Denied {
				t.Errorf("denied: pid %d line %d %v (allowed by %v)", c.PID, c.Line, c,
					promises.Requirements(runtime.GOARCH, c.Name, c.Args))
			}
		})
	}
}

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}
