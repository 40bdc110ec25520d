package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The privileged parent is not dumpable, so a compromised download child
// of the same user cannot write its memory through /proc/PID/mem where no
// Landlock domain stands in the way (the child's pledge has rpath and
// wpath). The child here is pledged like the real one but not unveiled, as
// on a kernel without Landlock.
func TestParentNotDumpable(t *testing.T) {
	r := newRepo(t)
	cache := newCache(t)
	opts := testOptions(cache, r, r.add("f", testData(27, 1000), false))
	opts.fetchRole = "test-parent-mem"
	_, err := run(t, opts)
	if d, perr := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); perr != nil || d != 0 {
		t.Errorf("the parent after Run: PR_GET_DUMPABLE = %d (%v), want 0", d, perr)
	}
	if !errors.Is(err, ErrChild) || !strings.Contains(err.Error(), "exited with status 3") {
		t.Fatalf("err = %v, want the test child's report (status 3)", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "parent mem rdwr: EACCES\n") && !strings.HasSuffix(msg, "parent mem rdwr: EACCES") {
		t.Fatalf("the child opened the parent's memory, or failed otherwise:\n%s", msg)
	}
	var puid, cuid, owner int
	for _, l := range strings.Split(msg, "\n") {
		if strings.HasPrefix(l, "parent uid ") {
			fmt.Sscanf(l, "parent uid %d, child uid %d, parent /proc mem owner %d", &puid, &cuid, &owner)
		}
	}
	switch {
	case puid == cuid && puid != 0:
		// Same user: only non-dumpability (and Yama, if set) refuses it.
		// The parent's /proc files belong to root: it is not dumpable.
		if owner != 0 {
			t.Errorf("the parent's /proc/PID/mem belongs to uid %d, want root (not dumpable)\n%s", owner, msg)
		}
		if b, _ := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); len(b) > 0 && strings.TrimSpace(string(b)) != "0" {
			t.Logf("Yama ptrace_scope %s refuses it too", strings.TrimSpace(string(b)))
		}
	case puid == 0 && cuid == 0:
		t.Logf("download user root: no privilege separation, the child keeps CAP_SYS_PTRACE and was still refused")
	default:
		t.Logf("the child runs as uid %d, the parent as %d: refused as another user's process too", cuid, puid)
	}
}
