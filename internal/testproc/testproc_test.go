package testproc_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgekit/pledgekit/internal/testproc"
)

func TestExitCodeAndOutput(t *testing.T) {
	r := testproc.Run(t, "exit7", func() {
		fmt.Print("out")
		fmt.Fprint(os.Stderr, "err")
		os.Exit(7)
	})
	if !r.Exited(7) || r.Stdout != "out" || r.Stderr != "err" {
		t.Fatalf("want exit 7 with out/err, got %s", r)
	}
}

func TestReturnIsExitZero(t *testing.T) {
	r := testproc.Run(t, "return", func() {})
	if !r.Exited(0) || r.Stdout != "" {
		t.Fatalf("want a silent exit 0, got %s", r)
	}
}

func TestSignal(t *testing.T) {
	r := testproc.Run(t, "sigkill", func() {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	})
	if !r.Signaled(syscall.SIGKILL) || r.ExitCode != -1 {
		t.Fatalf("want SIGKILL, got %s", r)
	}
	if r.Exited(0) {
		t.Fatal("Exited(0) true for a killed process")
	}
}

func TestFatalf(t *testing.T) {
	r := testproc.Run(t, "fatal", func() { testproc.Fatalf("bad %d", 42) })
	if !r.Exited(1) || !strings.Contains(r.Stderr, "testproc: FAIL: bad 42") {
		t.Fatalf("want exit 1 with the message, got %s", r)
	}
}

func TestTimeout(t *testing.T) {
	r := testproc.Run(t, "sleep", func() { time.Sleep(time.Hour) }, testproc.WithTimeout(500*time.Millisecond))
	if !r.TimedOut || r.Exited(0) || r.Signaled(syscall.SIGKILL) {
		t.Fatalf("want a timeout, got %s", r)
	}
}

func TestEnvAndStdin(t *testing.T) {
	r := testproc.Run(t, "env", func() {
		b := make([]byte, 10)
		n, _ := os.Stdin.Read(b)
		fmt.Print(os.Getenv("TESTPROC_X"), string(b[:n]), testproc.InChild())
	}, testproc.WithEnv("TESTPROC_X=x"), testproc.WithStdin("in"))
	if r.Stdout != "xintrue" {
		t.Fatalf("want xintrue, got %s", r)
	}
	if testproc.InChild() {
		t.Fatal("InChild true in the parent")
	}
}

func TestSubtests(t *testing.T) {
	for _, code := range []int{3, 4} {
		t.Run(fmt.Sprintf("code %d", code), func(t *testing.T) {
			r := testproc.Run(t, "exit", func() { os.Exit(code) })
			if !r.Exited(code) {
				t.Fatalf("want exit %d, got %s", code, r)
			}
		})
	}
}

// The child re-runs the test up to Run; a test that stops before Run in
// the child must fail in the parent rather than pass silently.
func TestNotReached(t *testing.T) {
	if testproc.InChild() {
		t.Skip("skipping before the scenario, in the child only")
	}
	ft := &fakeT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		testproc.Run(ft, "never", func() {})
	}()
	<-done
	if !strings.Contains(ft.msg, "never reached") {
		t.Fatalf("want a not-reached failure, got %q", ft.msg)
	}
}

// fakeT records Fatalf instead of failing the real test.
type fakeT struct {
	testing.TB
	msg string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
