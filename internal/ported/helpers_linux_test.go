//go:build linux

package ported

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
)

// roleEnv names the role of a test binary a scenario started with
// selfCommand; the same scenario runs again in it and asks role().
const roleEnv = "PLEDGEKIT_PORTED_ROLE"

// role returns the role this process was started in ("" in the scenario
// process itself).
func role() string { return os.Getenv(roleEnv) }

// selfCommand returns a command that runs the test binary again, the same
// scenario, in role r: the program's own helper or daemon, started from
// the pledged process as the program starts it. exe is the test binary's
// path, taken before pledging.
func selfCommand(exe, r string) *exec.Cmd {
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), roleEnv+"="+r)
	return cmd
}

// executable returns the test binary's path; call it before pledging.
func executable() string {
	exe, err := os.Executable()
	if err != nil {
		testproc.Fatalf("executable: %v", err)
	}
	return exe
}

// must fails the scenario when err is not nil.
func must(what string, err error) {
	if err != nil {
		testproc.Fatalf("%s: %v", what, err)
	}
}

// say prints one line the parent test checks.
func say(format string, args ...any) { fmt.Printf(format+"\n", args...) }

// wantOK fails the test unless the scenario exited 0 with every line on
// stdout.
func wantOK(t *testing.T, r *testproc.Result, lines ...string) {
	t.Helper()
	if !r.Exited(0) {
		t.Fatal(r)
	}
	r.WantStdout(t, lines...)
}

// wantKilled fails the test unless the scenario was ended by the default
// penalty after a message naming every part (the call and the promise).
func wantKilled(t *testing.T, r *testproc.Result, parts ...string) {
	t.Helper()
	r.WantKilled(t, parts...)
}

// canUnveil reports whether this kernel lets pledgekit unveil (Landlock
// present and not refused); scenarios that unveil expect an error where
// it cannot (issue #15: never silently unenforced).
func canUnveil() bool { return probe.Get().LandlockABI > 0 }
