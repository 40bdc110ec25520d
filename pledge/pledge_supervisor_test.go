//go:build linux

package pledge_test

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

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

// The supervisor cannot be ended by the signals a pledged process can
// send it, nor by a signal to the process group (issue #13 item 5).
func TestSupervisorIgnoresSignals(t *testing.T) {
	r := testproc.Run(t, "signals", func() {
		pid := pledgeSupervised("stdio rpath proc")
		if sup, self := pgrpOf(pid), pgrpOf(os.Getpid()); sup == self || sup == "" {
			testproc.Fatalf("supervisor in process group %q, this process in %q: want its own", sup, self)
		}
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1,
			syscall.SIGALRM, syscall.SIGPROF, syscall.SIGXCPU, syscall.SIGIO, syscall.SIGABRT, syscall.Signal(40), syscall.Signal(64)} {
			if err := syscall.Kill(pid, sig); err != nil {
				testproc.Fatalf("kill(supervisor, %v): %v", sig, err)
			}
		}
		time.Sleep(100 * time.Millisecond)
		report("signalled")
		syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
		report("socket: not stopped")
	})
	wantStdout(t, r, "signalled")
	wantAbort(t, r, "socket", `needs promise "inet"`)
}

// A supervisor killed with SIGKILL takes the pledged process with it: its
// refused calls would otherwise fail with ENOSYS and the process go on
// (issue #13 item 5).
func TestSupervisorKilledEndsProcess(t *testing.T) {
	r := testproc.Run(t, "killed", func() {
		pid := pledgeSupervised("stdio rpath proc")
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			testproc.Fatalf("kill: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0); err == nil {
				testproc.Fatalf("socket without inet succeeded (fd %d)", fd)
			}
			time.Sleep(time.Millisecond)
		}
		report("still alive")
	}, testproc.WithTimeout(30*time.Second))
	if !r.Signaled(syscall.SIGKILL) || strings.Contains(r.Stdout, "still alive") || !strings.Contains(r.Stderr, "supervisor of this pledge has ended") {
		t.Fatalf("want the process killed after its supervisor\n%s", r)
	}
}

// pledgeSupervised pledges ps with the abort penalty in a scenario and
// returns its supervisor's pid.
func pledgeSupervised(ps string) int {
	mustApply(pledge.Options{Promises: ps})
	pid := supervisorPid()
	if pid == 0 {
		testproc.Fatalf("no supervisor found")
	}
	return pid
}

// pgrpOf returns the process group of pid ("" if unknown).
func pgrpOf(pid int) string {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// pid (comm) state ppid pgrp ...
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 3 {
		return ""
	}
	return f[2]
}
