package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
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
