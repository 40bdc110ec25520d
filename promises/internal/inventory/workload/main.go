// Command workload exercises the parts of the Go runtime and standard
// library a pledged program typically uses. The inventory driver runs it
// under strace and checks every system call made after the pledge point
// against the promise table. It makes one marker call, getpriority(0x7a11,
// 0x1ed9e), where a real program would call pledge; it fails with EINVAL.
//
// Run with "child" as the only argument it does the same work without
// exec'ing, as the program an os/exec parent starts.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// Marker values the driver looks for.
const (
	markWhich = 0x7a11
	markWho   = 0x1ed9e
)

func main() {
	child := len(os.Args) == 2 && os.Args[1] == "child"
	// Load what a program would load before pledging.
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	if !child {
		syscall.Syscall(syscall.SYS_GETPRIORITY, markWhich, markWho, 0)
	}

	// Goroutines, channels, allocation and GC.
	var wg sync.WaitGroup
	sums := make(chan [32]byte, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			for j := range buf {
				buf[j] = byte(i + j)
			}
			sums <- sha256.Sum256(buf)
		}(i)
	}
	wg.Wait()
	close(sums)
	for range sums {
	}
	runtime.GC()
	debug.FreeOSMemory()

	// New OS threads after the pledge point: goroutines that lock their
	// thread and wait at the same time keep those threads busy, so the
	// runtime starts more (clone; pthread_create, i.e. clone3, with cgo).
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			time.Sleep(30 * time.Millisecond)
		}()
	}
	wg.Wait()

	// Timers and sleeping.
	t := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 3; i++ {
		<-t.C
	}
	t.Stop()
	select {
	case <-time.After(10 * time.Millisecond):
	}
	time.Sleep(20 * time.Millisecond)

	// The network poller, through a pipe with a deadline.
	r, w, err := os.Pipe()
	if err != nil {
		fail(err)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		w.Write([]byte("ping"))
		w.Close()
	}()
	r.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 16)
	if _, err := r.Read(buf); err != nil {
		fail(err)
	}
	r.SetReadDeadline(time.Now().Add(time.Millisecond))
	r.Close()

	// The local time zone, which Go loads lazily (/etc/localtime, rpath).
	_ = time.Now().String()

	// crypto/rand.
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		fail(err)
	}

	// Reading a file (rpath).
	if _, err := os.ReadFile(self); err != nil {
		fail(err)
	}
	if _, err := os.Stat(self); err != nil {
		fail(err)
	}

	// Enough time for sysmon's periodic work (GOMAXPROCS update, preemption).
	deadline := time.Now().Add(1200 * time.Millisecond)
	for time.Now().Before(deadline) {
		go func() { _ = sha256.Sum256(key) }()
		time.Sleep(50 * time.Millisecond)
	}

	// os/exec (proc exec): a C program and this Go program.
	if !child {
		if out, err := exec.Command("/bin/true").CombinedOutput(); err != nil {
			fail(fmt.Errorf("/bin/true: %v: %s", err, out))
		}
		if out, err := exec.Command(self, "child").CombinedOutput(); err != nil {
			fail(fmt.Errorf("child: %v: %s", err, out))
		}
	}
	fmt.Println("ok")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "workload:", err)
	os.Exit(1)
}
