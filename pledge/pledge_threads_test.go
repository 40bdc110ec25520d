//go:build linux

package pledge_test

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// Every thread is filtered: threads locked to goroutines before the
// pledge, the idle threads of the runtime, and threads created after it.
func TestEveryThreadFiltered(t *testing.T) {
	r := testproc.Run(t, "threads", func() {
		const locked = 4
		tids := make(chan int)
		check := make(chan struct{})
		lines := make(chan string)
		for i := 0; i < locked; i++ {
			go func() {
				runtime.LockOSThread()
				tids <- unix.Gettid()
				<-check
				mode, nnp := seccompStatus("/proc/thread-self/status")
				lines <- "locked-before Seccomp " + mode + " NoNewPrivs " + nnp
			}()
		}
		for i := 0; i < locked; i++ {
			tid := <-tids
			if mode, _ := seccompStatus("/proc/self/task/" + strconv.Itoa(tid) + "/status"); mode != "0" {
				testproc.Fatalf("thread %d has Seccomp %s before the pledge", tid, mode)
			}
		}
		before := taskCount()
		mustApply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyKill})
		close(check)
		for i := 0; i < locked; i++ {
			report(<-lines)
		}
		// Force new OS threads: more goroutines locked and blocked at once
		// than the runtime has threads.
		hold := make(chan struct{})
		for i := 0; i < 2*before; i++ {
			go func() {
				runtime.LockOSThread()
				mode, nnp := seccompStatus("/proc/thread-self/status")
				lines <- "locked-after Seccomp " + mode + " NoNewPrivs " + nnp
				<-hold
			}()
		}
		for i := 0; i < 2*before; i++ {
			report(<-lines)
		}
		after := taskCount()
		if after <= before {
			testproc.Fatalf("no thread was created after the pledge (%d before, %d after)", before, after)
		}
		ents, _ := os.ReadDir("/proc/self/task")
		for _, e := range ents {
			mode, nnp := seccompStatus("/proc/self/task/" + e.Name() + "/status")
			report("task Seccomp %s NoNewPrivs %s", mode, nnp)
		}
		close(hold)
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	var n int
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if !strings.HasSuffix(l, "Seccomp 2 NoNewPrivs 1") {
			t.Fatalf("unfiltered thread: %q\n%s", l, r)
		}
		n++
	}
	if n < 4+1 || !strings.Contains(r.Stdout, "locked-after") || !strings.Contains(r.Stdout, "task Seccomp") {
		t.Fatalf("too few threads checked\n%s", r)
	}
}

func taskCount() int {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		testproc.Fatalf("%v", err)
	}
	return len(ents)
}
