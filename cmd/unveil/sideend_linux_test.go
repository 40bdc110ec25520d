package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/testproc"
)

// TestSideEndsWhenFilterUnused: the side supervisor ends once no task
// uses the filter, even when it waits in a receive that the last task's
// end does not interrupt (Linux 6.1: a receive whose call another
// receiver took first waits for good), and not while a task remains or a
// call is being handled.
func TestSideEndsWhenFilterUnused(t *testing.T) {
	needSupervisor(t)
	r := testproc.Run(t, "ends", func() {
		quit := make(chan struct{})
		installed := make(chan int)
		go func() {
			// This thread is the filter's only task; it ends with this
			// goroutine (locked for good).
			runtime.LockOSThread()
			prog := []unix.SockFilter{
				{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
				{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: unix.SYS_GETCWD},
				{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_USER_NOTIF},
				{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
			}
			fd, err := notify.Install(prog, true)
			if err != nil {
				testproc.Fatalf("install: %v", err)
			}
			installed <- fd
			<-quit
		}()
		lfd := <-installed
		var busy sync.Mutex
		if err := watchHangup(lfd, &busy, func() {
			fmt.Println("ended")
			os.Exit(0)
		}); err != nil {
			testproc.Fatalf("watchHangup: %v", err)
		}
		go func() {
			// The supervisor's receive, with no call to receive.
			var n notify.Notif
			unix.Syscall(unix.SYS_IOCTL, uintptr(lfd), uintptr(unix.SECCOMP_IOCTL_NOTIF_RECV), uintptr(unsafe.Pointer(&n)))
		}()
		time.Sleep(300 * time.Millisecond)
		fmt.Println("alive") // the filter's task is still there
		busy.Lock()          // a call being handled
		close(quit)
		time.Sleep(300 * time.Millisecond)
		fmt.Println("handled")
		busy.Unlock()
		select {} // only the watcher ends this process
	}, testproc.WithTimeout(30*time.Second))
	r.WantStdout(t, "alive", "handled", "ended")
}

// TestSideOutlivedByDescendant: a descendant of the program that outlives
// it is still under the filter, so the supervisor keeps serving (and
// keeps unveil's error stream open) until it is gone, then ends. The
// descendant closes its own standard streams: only the supervisor holds
// the error stream after the program exits.
func TestSideOutlivedByDescendant(t *testing.T) {
	needSupervisor(t)
	sh := need(t, "sh")
	need(t, "sleep")
	becomeSubreaper(t) // the descendant and the supervisor become this test's orphans
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(unveilBin, "-p", "stdio rpath proc exec", "-v", "rx:/", "--", sh, "-c", "sleep 2 <&- >&- 2>&- & echo started")
	var so bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	eof := make(chan time.Time, 1)
	var se bytes.Buffer
	go func() {
		io.Copy(&se, r)
		eof <- time.Now()
	}()
	if err := cmd.Wait(); err != nil || so.String() != "started\n" {
		t.Fatalf("unveil: %v, stdout %q, stderr %s", err, so.String(), se.Bytes())
	}
	exited := time.Now()
	// Reap the orphans (the descendant, then the supervisor) as they end.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			for _, pid := range orphans(0) {
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
			}
		}
	}()
	select {
	case at := <-eof:
		if d := at.Sub(exited); d < time.Second {
			t.Errorf("unveil's error stream closed %v after the program exited, while its descendant (sleep 2) still ran under the filter", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("unveil's error stream still open 20s after the program exited (its descendant ended after 2s)\nprocesses:\n%s", procDump())
	}
}
