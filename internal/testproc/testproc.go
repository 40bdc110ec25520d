// Package testproc runs a test scenario in a fresh process.
//
// A pledge (seccomp filter) or an unveil (Landlock ruleset) cannot be
// undone, so a test that applies one must do it in a process of its own.
// Run re-executes the test binary, selecting the calling test with
// -test.run; in that child process the same test runs again up to the Run
// call, which then runs the scenario function and exits. The parent
// collects the child's exit status, signal, standard output and standard
// error, with a timeout.
//
//	func TestSocketDenied(t *testing.T) {
//		r := testproc.Run(t, "socket", func() {
//			pledge.Pledge("stdio", "")
//			syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
//			fmt.Println("not reached")
//		})
//		if !r.Signaled(syscall.SIGKILL) { t.Fatal(r) }
//	}
//
// Code of the test before the Run call runs in the child as well (keep it
// cheap and free of side effects); code after it runs only in the parent.
// Scenario functions report failure by exiting non-zero: Fatalf writes a
// message to standard error and exits with status 1, a panic exits with
// status 2 (the testing package's). Returning from the function exits with
// status 0.
//
// Each test or subtest runs at most one scenario (the child re-runs the
// whole test and could not get past a first scenario to reach a second);
// use t.Run subtests for several. No TestMain is needed. A scenario that
// the child never reaches (a test that skips or fails before Run) fails
// the parent test with the child's output.
package testproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envScenario names the scenario a child process must run:
// "<t.Name()>#<scenario name>". envMarker is the file descriptor the
// child writes one byte to when it reaches the scenario.
const (
	envScenario = "PLEDGEKIT_TESTPROC_SCENARIO"
	envMarker   = "PLEDGEKIT_TESTPROC_MARKER_FD"
)

// started maps a test name to the scenario it ran.
var started sync.Map

// DefaultTimeout is how long Run waits for a scenario unless WithTimeout
// says otherwise.
const DefaultTimeout = 60 * time.Second

// Result is what a scenario process did.
type Result struct {
	Name   string // the scenario name
	Stdout string
	Stderr string
	// ExitCode is the exit status, or -1 when the process was ended by a
	// signal (see Signal).
	ExitCode int
	// Signal is the signal that ended the process, 0 if it exited.
	Signal syscall.Signal
	// CoreDumped is true when the kernel reports a core dump (or tried to).
	CoreDumped bool
	// TimedOut is true when Run killed the process after the timeout.
	TimedOut bool
}

// Exited reports whether the process exited (not by a signal) with code.
func (r *Result) Exited(code int) bool { return r.Signal == 0 && !r.TimedOut && r.ExitCode == code }

// Signaled reports whether the process was ended by sig (and not by Run's
// timeout).
func (r *Result) Signaled(sig syscall.Signal) bool { return !r.TimedOut && r.Signal == sig }

// WantStdout fails the test unless the scenario's standard output holds
// every line (each followed by a newline).
func (r *Result) WantStdout(t testing.TB, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(r.Stdout, l+"\n") {
			t.Fatalf("stdout lacks %q\n%s", l, r)
		}
	}
}

// WantKilled fails the test unless the scenario was ended with SIGKILL
// (pledge's default penalty) after a message on standard error holding
// every part (the call, the promise).
func (r *Result) WantKilled(t testing.TB, parts ...string) {
	t.Helper()
	if !r.Signaled(syscall.SIGKILL) {
		t.Fatalf("want death by SIGKILL, got %s", r)
	}
	for _, p := range parts {
		if !strings.Contains(r.Stderr, p) {
			t.Fatalf("stderr lacks %q\n%s", p, r)
		}
	}
}

// Status describes how the process ended: "exit status 0", "signal killed",
// "timed out".
func (r *Result) Status() string {
	switch {
	case r.TimedOut:
		return "timed out"
	case r.Signal != 0:
		s := "signal " + r.Signal.String()
		if r.CoreDumped {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("exit status %d", r.ExitCode)
}

// String describes the result for a test failure message.
func (r *Result) String() string {
	return fmt.Sprintf("scenario %q: %s\n--- stdout:\n%s\n--- stderr:\n%s", r.Name, r.Status(), r.Stdout, r.Stderr)
}

// Option adjusts one Run.
type Option func(*config)

type config struct {
	timeout time.Duration
	env     []string
	stdin   string
}

// WithTimeout sets how long the scenario may run before it is killed.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithEnv adds "KEY=value" entries to the child's environment.
func WithEnv(kv ...string) Option { return func(c *config) { c.env = append(c.env, kv...) } }

// WithStdin gives the child s as its standard input (the default is empty).
func WithStdin(s string) Option { return func(c *config) { c.stdin = s } }

// InChild reports whether the calling process is a scenario child started
// by Run. Tests can use it to skip work only the parent needs.
func InChild() bool { return os.Getenv(envScenario) != "" }

// Run runs fn in a fresh copy of the test binary and returns what the
// process did. In the child process Run does not return: it runs fn and
// exits with status 0 when fn returns. name must be unique within the test.
func Run(t testing.TB, name string, fn func(), opts ...Option) *Result {
	t.Helper()
	key := t.Name() + "#" + name
	if want, ok := os.LookupEnv(envScenario); ok {
		if want == key {
			runChild(fn)
		}
		t.Fatalf("testproc: child for scenario %q reached scenario %q instead (one scenario per test or subtest)", want, key)
		return nil
	}
	if prev, loaded := started.LoadOrStore(t.Name(), name); loaded && prev != name {
		t.Fatalf("testproc: %s already ran scenario %q; run %q in a subtest (t.Run): one scenario per test", t.Name(), prev, name)
	}
	c := config{timeout: DefaultTimeout}
	for _, o := range opts {
		o(&c)
	}
	return runParent(t, key, name, c)
}

// runChild marks the scenario as reached and runs it.
func runChild(fn func()) {
	if fdStr := os.Getenv(envMarker); fdStr != "" {
		var fd int
		if _, err := fmt.Sscan(fdStr, &fd); err == nil {
			f := os.NewFile(uintptr(fd), "testproc-marker")
			_, _ = f.Write([]byte{'S'})
			_ = f.Close()
		}
	}
	os.Unsetenv(envMarker)
	fn()
	os.Exit(0)
}

// Fatalf reports a scenario failure on standard error and exits with
// status 1. Use it only inside a scenario function.
func Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	_, _ = os.Stderr.WriteString("testproc: FAIL: " + msg)
	os.Exit(1)
}

// runPattern is the -test.run pattern selecting exactly the test (and
// subtest path) name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func runParent(t testing.TB, key, name string, c config) *Result {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("testproc: cannot find the test binary: %v", err)
	}
	mr, mw, err := os.Pipe()
	if err != nil {
		t.Fatalf("testproc: pipe: %v", err)
	}
	defer mr.Close()

	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run="+runPattern(t.Name()), "-test.count=1")
	cmd.Env = append(os.Environ(), envScenario+"="+key, envMarker+"=3")
	if _, ok := os.LookupEnv("GORACE"); !ok {
		// The race detector sleeps a second at exit by default.
		cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	}
	cmd.Env = append(cmd.Env, c.env...)
	cmd.ExtraFiles = []*os.File{mw}
	cmd.Stdin = strings.NewReader(c.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGKILL) }
	// Grandchildren (a pledge supervisor, an exec'd program) may hold the
	// output pipes a little longer than the child lives.
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Start(); err != nil {
		mw.Close()
		t.Fatalf("testproc: start %s: %v", exe, err)
	}
	mw.Close()
	waitErr := cmd.Wait()

	r := &Result{Name: name, Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		r.TimedOut = true
	}
	if cmd.ProcessState == nil {
		t.Fatalf("testproc: wait for scenario %q: %v", name, waitErr)
	}
	if waitErr != nil {
		var ee *exec.ExitError
		if !errors.As(waitErr, &ee) && !errors.Is(waitErr, exec.ErrWaitDelay) {
			t.Fatalf("testproc: wait for scenario %q: %v", name, waitErr)
		}
	}
	if st, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && st.Signaled() {
		r.ExitCode = -1
		r.Signal = st.Signal()
		r.CoreDumped = st.CoreDump()
	} else {
		r.ExitCode = cmd.ProcessState.ExitCode()
	}
	var mark [1]byte
	n, _ := mr.Read(mark[:])
	if n == 0 && !r.TimedOut {
		t.Fatalf("testproc: the child never reached scenario %q of %s (did the test skip or fail before Run?)\n%s", name, t.Name(), r)
	}
	if r.TimedOut {
		t.Logf("testproc: scenario %q timed out after %v", name, c.timeout)
	}
	return r
}
