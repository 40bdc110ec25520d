//go:build linux

package pledge_test

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// soakDuration is how long the soak runs; PLEDGEKIT_SOAK (a Go duration)
// makes it longer, e.g. PLEDGEKIT_SOAK=5m.
func soakDuration() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PLEDGEKIT_SOAK")); err == nil {
		return d
	}
	return 3 * time.Second
}

// A Go program keeps running under "stdio" alone, with the silent kill
// penalty so that any call the runtime makes outside stdio ends it:
// goroutines, GC, timers, the network poller (pipes and sockets with
// deadlines), crypto/rand and signals, for a few seconds, and sysmon's
// periodic sched_getaffinity keeps GOMAXPROCS unchanged.
func TestGoRuntimeUnderStdio(t *testing.T) {
	d := soakDuration()
	r := testproc.Run(t, "soak", func() {
		before := runtime.GOMAXPROCS(0)
		mustApply(pledge.Options{Promises: "stdio", Penalty: pledge.PenaltyKill})
		stop := time.Now().Add(d)
		var wg sync.WaitGroup
		var ops atomic.Int64
		run := func(f func()) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stop) {
					f()
					ops.Add(1)
				}
			}()
		}
		// Allocation and GC.
		var sink atomic.Value
		for i := 0; i < 4; i++ {
			run(func() {
				b := make([][]byte, 100)
				for j := range b {
					b[j] = make([]byte, 1024*(j%16+1))
				}
				sink.Store(b)
			})
		}
		run(func() { runtime.GC(); time.Sleep(50 * time.Millisecond) })
		// Timers and tickers.
		run(func() {
			tk := time.NewTicker(time.Millisecond)
			for i := 0; i < 10; i++ {
				<-tk.C
			}
			tk.Stop()
			done := make(chan struct{})
			time.AfterFunc(time.Millisecond, func() { close(done) })
			<-done
		})
		// The network poller: pipes and a socketpair, with deadlines.
		run(func() {
			pr, pw, err := os.Pipe()
			if err != nil {
				testproc.Fatalf("pipe: %v", err)
			}
			go pw.Write([]byte("ping"))
			// Generous: the writer goroutine may wait long for a CPU on a
			// loaded machine or under QEMU; only a hang should fail here.
			pr.SetReadDeadline(time.Now().Add(30 * time.Second))
			buf := make([]byte, 4)
			if _, err := pr.Read(buf); err != nil {
				testproc.Fatalf("pipe read: %v", err)
			}
			pr.SetReadDeadline(time.Now().Add(time.Millisecond))
			if _, err := pr.Read(buf); !os.IsTimeout(err) {
				testproc.Fatalf("want a deadline error, got %v", err)
			}
			pr.Close()
			pw.Close()
		})
		run(func() {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				testproc.Fatalf("socketpair: %v", err)
			}
			var conns [2]net.Conn
			for i, fd := range fds {
				f := os.NewFile(uintptr(fd), "sock")
				if conns[i], err = net.FileConn(f); err != nil {
					testproc.Fatalf("FileConn: %v", err)
				}
				f.Close()
			}
			go conns[0].Write([]byte("pong"))
			conns[1].SetReadDeadline(time.Now().Add(30 * time.Second))
			if _, err := conns[1].Read(make([]byte, 4)); err != nil {
				testproc.Fatalf("socket read: %v", err)
			}
			conns[0].Close()
			conns[1].Close()
		})
		// crypto/rand and hashing.
		run(func() {
			b := make([]byte, 64)
			if _, err := rand.Read(b); err != nil {
				testproc.Fatalf("crypto/rand: %v", err)
			}
			sha256.Sum256(b)
		})
		// Signals delivered to the process and handled by os/signal.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGUSR1)
		run(func() {
			unix.Tgkill(os.Getpid(), unix.Gettid(), unix.SIGUSR1)
			<-sigs
		})
		wg.Wait()
		report("ops>0 %v", ops.Load() > 0)
		report("GOMAXPROCS %d %d", before, runtime.GOMAXPROCS(0))
	}, testproc.WithTimeout(d+time.Minute))
	if !r.Exited(0) {
		t.Fatalf("the Go runtime did not survive under stdio: %s", r)
	}
	wantStdout(t, r, "ops>0 true")
	var before, after int
	for _, l := range strings.Split(r.Stdout, "\n") {
		if strings.HasPrefix(l, "GOMAXPROCS") {
			if _, err := fmt.Sscanf(l, "GOMAXPROCS %d %d", &before, &after); err != nil {
				t.Fatal(err)
			}
		}
	}
	if before == 0 || before != after {
		t.Fatalf("GOMAXPROCS changed under stdio: %d before, %d after\n%s", before, after, r)
	}
}
