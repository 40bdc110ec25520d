package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/testproc"
)

// notifying is a filter that hands getcwd and mkdirat to the listener and
// allows everything else (installed on one thread of a test process).
func notifying() []unix.SockFilter {
	ret := func(k uint32) unix.SockFilter { return unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: k} }
	jeq := func(k uint32) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, Jt: 0, Jf: 1, K: k}
	}
	return []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		jeq(unix.SYS_GETCWD), ret(unix.SECCOMP_RET_USER_NOTIF),
		jeq(unix.SYS_MKDIRAT), ret(unix.SECCOMP_RET_USER_NOTIF),
		ret(unix.SECCOMP_RET_ALLOW),
	}
}

// TestServe: each held call reaches the handler decoded, and its answer
// (errno, continue) is the call's result; Pass continues a call without
// handling it.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	r := testproc.Run(t, "serve", func() {
		dir := os.Getenv("SUPERVISE_TEST_DIR") // the parent's
		var pass atomic.Bool
		installed := make(chan *notify.Listener)
		calls := make(chan func() string)
		results := make(chan string)
		go func() {
			runtime.LockOSThread() // for good: this thread is filtered
			fd, err := notify.Install(notifying(), true)
			if err != nil {
				testproc.Fatalf("install: %v", err)
			}
			installed <- notify.NewListener(fd)
			for f := range calls {
				results <- f()
			}
		}()
		l := <-installed
		h := HandlerFunc(func(r *Request) {
			switch {
			case r.Name == "getcwd":
				fmt.Printf("handled getcwd, decoded %v\n", strings.HasPrefix(r.Text, "getcwd(0x"))
				_ = r.Errno(unix.EACCES)
			case len(r.Paths) == 1 && strings.HasSuffix(r.Paths[0], "/allowed"):
				fmt.Printf("handled mkdirat %s by %v\n", filepath.Base(r.Paths[0]), r.Identify() && r.Tgid == os.Getpid() && r.Comm != "")
				_ = r.Continue()
			default:
				fmt.Printf("handled mkdirat %s\n", filepath.Base(r.Paths[0]))
				_ = r.Errno(unix.EROFS)
			}
		})
		go func() {
			err := Serve(l, h, Options{Pass: func(_ int, name string) bool { return pass.Load() && name == "getcwd" }})
			testproc.Fatalf("Serve returned: %v", err)
		}()
		run := func(f func() string) { calls <- f; fmt.Println(<-results) }
		buf := make([]byte, 4096)
		getcwd := func() string { _, err := unix.Getcwd(buf); return "getcwd: " + testproc.ErrnoName(err) }
		run(getcwd)
		run(func() string {
			return "mkdirat denied: " + testproc.ErrnoName(unix.Mkdirat(unix.AT_FDCWD, filepath.Join(dir, "denied"), 0o700))
		})
		run(func() string {
			return "mkdirat allowed: " + testproc.ErrnoName(unix.Mkdirat(unix.AT_FDCWD, filepath.Join(dir, "allowed"), 0o700))
		})
		pass.Store(true)
		run(getcwd)
	}, testproc.WithEnv("SUPERVISE_TEST_DIR="+dir))
	r.WantStdout(t,
		"handled getcwd, decoded true", "getcwd: EACCES",
		"handled mkdirat denied", "mkdirat denied: EROFS",
		"handled mkdirat allowed by true", "mkdirat allowed: success",
		"getcwd: success")
	if _, err := os.Stat(filepath.Join(dir, "allowed")); err != nil {
		t.Errorf("the continued mkdirat did not run: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "denied")); err == nil {
		t.Error("the refused mkdirat ran")
	}
}
