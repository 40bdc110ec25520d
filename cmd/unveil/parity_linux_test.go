package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/elfdeps"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// Tests for what the command does as Cosmopolitan's pledge.com does
// (issue #15, the command's parity).

// TestEnvironmentStripped: LD_PRELOAD, LD_AUDIT and _PLEDGE never reach
// the program, inherited or set with --env; other variables, and
// LD_LIBRARY_PATH (the veil is computed with it), do.
func TestEnvironmentStripped(t *testing.T) {
	needKernel(t)
	envBin := need(t, "env")
	setup := func(cmd *exec.Cmd) {
		cmd.Env = []string{"PATH=/usr/bin:/bin", "KEEP=1", "LD_PRELOAD=/nonexistent/preload.so",
			"LD_AUDIT=/nonexistent/audit.so", "_PLEDGE=4,1", "LD_LIBRARY_PATH=/nonexistent/lib"}
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			r := unveilWith(t, setup, append(append([]string(nil), m.pre...), "--env", "LD_PRELOAD=/nonexistent/again.so", "--env", "ALSO=2", "--", envBin)...)
			wantOK(t, r)
			got := strings.Fields(r.stdout)
			has := func(kv string) bool {
				for _, g := range got {
					if g == kv {
						return true
					}
				}
				return false
			}
			for _, kv := range []string{"KEEP=1", "ALSO=2", "LD_LIBRARY_PATH=/nonexistent/lib", "PATH=/usr/bin:/bin"} {
				if !has(kv) {
					t.Errorf("%s missing from the program's environment %q", kv, got)
				}
			}
			for _, name := range []string{"LD_PRELOAD", "LD_AUDIT", "_PLEDGE", stageEnv} {
				if strings.Contains(r.stdout, name+"=") {
					t.Errorf("%s reached the program: %q", name, got)
				}
			}
		})
	}
}

// TestUnavailableSaidOnce: without Landlock, the one-line warning names
// the cause once, not once per item that Landlock would have enforced.
func TestUnavailableSaidOnce(t *testing.T) {
	cause := "landlock refused by the test"
	for _, veiled := range []bool{true, false} {
		p := &plan{rep: &report.Report{}, set: promises.Of(promises.Stdio), prog: &elfdeps.Program{},
			loader: map[string]bool{}, chain: map[string]bool{}}
		c := &config{}
		if veiled {
			c.unveils = []unveilArg{{Path: t.TempDir(), Perm: "r"}}
		}
		if err := p.layers(c, nil, &probe.Result{LandlockErr: errors.New(cause)}, true); err != nil {
			t.Fatal(err)
		}
		s := p.rep.Summary()
		if n := strings.Count(s, cause); n != 1 {
			t.Errorf("veiled %v: the cause appears %d times in %q", veiled, n, s)
		}
		if n := strings.Count(s, "Landlock is unavailable"); n != 1 {
			t.Errorf("veiled %v: 'Landlock is unavailable' appears %d times in %q", veiled, n, s)
		}
		if !strings.Contains(s, "exec/rpath emulation dropped") {
			t.Errorf("veiled %v: %q lacks the emulation item", veiled, s)
		}
	}
}
