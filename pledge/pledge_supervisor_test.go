//go:build linux

package pledge_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// supervisorPid finds this process's supervisor among its children.
func supervisorPid() int {
	ents, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	for _, e := range ents {
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 2 || f[1] != self {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if strings.HasPrefix(string(cmd), "pledgekit:supervisor\x00") {
			n, _ := strconv.Atoi(e.Name())
			return n
		}
	}
	return 0
}

// The supervisor runs unfiltered, so the pledged process must not be able
// to reach into it: it is not dumpable, which closes /proc/PID/mem and
// ptrace to processes without CAP_SYS_PTRACE.
func TestSupervisorIsProtected(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root (CAP_SYS_PTRACE) may open any process's memory; run as another user")
	}
	r := testproc.Run(t, "mem", func() {
		mustApply(pledge.Options{Promises: "stdio rpath wpath"})
		pid := supervisorPid()
		if pid == 0 {
			testproc.Fatalf("no supervisor found")
		}
		_, err := os.OpenFile("/proc/"+strconv.Itoa(pid)+"/mem", os.O_RDWR, 0)
		if !errors.Is(err, os.ErrPermission) {
			testproc.Fatalf("opening the supervisor's memory: want a permission error, got %v", err)
		}
		report("ok")
	})
	wantStdout(t, r, "ok")
}

// The supervisor exits with the last process that uses the filter.
func TestSupervisorExits(t *testing.T) {
	r := testproc.Run(t, "exit", func() {
		mustApply(pledge.Options{Promises: "stdio rpath"})
		report("supervisor %d", supervisorPid())
	})
	var pid int
	for _, l := range strings.Split(r.Stdout, "\n") {
		if s, ok := strings.CutPrefix(l, "supervisor "); ok {
			pid, _ = strconv.Atoi(s)
		}
	}
	if !r.Exited(0) || pid == 0 {
		t.Fatalf("no supervisor: %s", r)
	}
	// Run returned, so the supervisor closed its end of the output pipe:
	// it is gone (or its pid was reused by another program).
	if cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && strings.HasPrefix(string(cmd), "pledgekit:supervisor") {
		t.Fatalf("supervisor %d still runs", pid)
	}
}
