//go:build linux

package probe

// A minimal "run this scenario in a fresh process" helper, kept local so
// the probe's tests do not depend on other packages. The test binary
// re-executes itself with -test.run naming the calling test and an
// environment variable naming the scenario; in the child, runChild runs
// the scenario and exits.

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const childEnv = "PLEDGEKIT_PROBE_TEST_CHILD"

func runChild(t *testing.T, name string, fn func()) {
	t.Helper()
	if os.Getenv(childEnv) == name {
		fn()
		os.Exit(0)
	}
	if os.Getenv(childEnv) != "" {
		return // a child running some other scenario
	}
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scenario %s failed in its own process: %v\n%s", name, err, out)
	}
}

// childFail ends a child scenario with a message the parent prints.
func childFail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
	os.Exit(1)
}
