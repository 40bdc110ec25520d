//go:build linux

package pledge_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// A program started with Command runs under its execpromises.
func TestCommandRunsUnderExecpromises(t *testing.T) {
	needPrograms(t, "/bin/sh", "/bin/cat")
	dir := t.TempDir()
	r := testproc.Run(t, "command", func() {
		if err := pledge.Pledge("stdio rpath wpath cpath proc exec", "stdio rpath wpath cpath"); err != nil {
			testproc.Fatalf("%v", err)
		}
		out, err := pledge.Command("stdio rpath", "cat", "/proc/version").Output()
		report("cat: %v %d bytes", err, len(out))
		// Writing a file needs wpath cpath, which the execpromises lack;
		// the shell's own filter ends it with SIGSYS (PenaltyTrap: this
		// process's supervisor holds the one listener).
		cmd := pledge.Command("stdio rpath", "/bin/sh", "-c", "echo x > "+filepath.Join(dir, "f"))
		cmd.Stderr = os.Stderr
		report("sh: %v", cmd.Run())
		// The parent itself may still write.
		report("parent write: %v", os.WriteFile(filepath.Join(dir, "g"), []byte("x"), 0o600))
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "sh: signal: bad system call", "parent write: <nil>")
	if !strings.Contains(r.Stdout, "cat: <nil> ") || strings.Contains(r.Stdout, "cat: <nil> 0 bytes") {
		t.Fatalf("cat did not run\n%s", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "f")); err == nil {
		t.Fatal("the shell wrote the file")
	}
}

// A program started with os/exec inherits this process's filter: its
// violations are answered with EPERM and a message, and it goes on.
func TestExecInheritsFilter(t *testing.T) {
	needPrograms(t, "/bin/sh")
	dir := t.TempDir()
	r := testproc.Run(t, "os/exec", func() {
		if err := pledge.Pledge("stdio rpath proc exec", ""); err != nil {
			testproc.Fatalf("%v", err)
		}
		cmd := exec.Command("/bin/sh", "-c", "echo x > "+filepath.Join(dir, "f")+"; echo status $?")
		cmd.Stdin, cmd.Stderr = os.Stdin, os.Stderr
		out, err := cmd.Output()
		report("sh: %v %s", err, strings.TrimSpace(string(out)))
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "sh: <nil> status 2")
	for _, want := range []string{"pledge: denied openat(AT_FDCWD, ", "O_WRONLY|O_CREAT|O_TRUNC", `a program this process started: needs promises "wpath cpath"`, "the call fails with EPERM"} {
		if !strings.Contains(r.Stderr, want) {
			t.Fatalf("stderr lacks %q\n%s", want, r)
		}
	}
}

// Without a pledge in the parent, Command's helper starts its own
// supervisor: the program's violations are reported and end it.
func TestCommandUnpledgedParent(t *testing.T) {
	needPrograms(t, "/bin/sh")
	dir := t.TempDir()
	r := testproc.Run(t, "unpledged", func() {
		cmd := pledge.Command("stdio rpath", "/bin/sh", "-c", "echo x > "+filepath.Join(dir, "f"))
		cmd.Stderr = os.Stderr
		report("sh: %v", cmd.Run())
	})
	wantStdout(t, r, "sh: signal: killed")
	if !strings.Contains(r.Stderr, `needs promises "wpath cpath"`) || !strings.Contains(r.Stderr, "killing the process") {
		t.Fatalf("no message for the started program\n%s", r)
	}
}

func TestCommandErrors(t *testing.T) {
	r := testproc.Run(t, "errors", func() {
		if err := pledge.Pledge("stdio proc exec", "stdio"); err != nil {
			testproc.Fatalf("%v", err)
		}
		err := pledge.Command("stdio inet", "/bin/true").Run()
		if !errors.Is(err, pledge.ErrExecWider) {
			testproc.Fatalf("want ErrExecWider, got %v", err)
		}
		err = pledge.Command("stdio bogus", "/bin/true").Run()
		if !errors.Is(err, syscall.EINVAL) {
			testproc.Fatalf("want EINVAL, got %v", err)
		}
		report("ok")
	})
	wantStdout(t, r, "ok")
}
