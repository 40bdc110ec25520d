//go:build linux

package pledge

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/loader"
	"github.com/pledgekit/pledgekit/internal/testproc"
)

// inheritedListener asks the kernel both ways: no listener in a process
// without filters, a listener once a filter holds one; its probe filter
// ends with its thread, so a filter on every thread (TSYNC) can still be
// installed after it; and it makes no system call a "stdio" filter
// refuses (PenaltyKill would end the process).
func TestInheritedListener(t *testing.T) {
	r := testproc.Run(t, "listener", func() {
		check := func(when string, wantHeld bool) {
			held, ok := inheritedListener()
			fmt.Printf("%s: held %v ok %v\n", when, held, ok)
			if !ok || held != wantHeld {
				testproc.Fatalf("%s: held %v ok %v, want held %v", when, held, ok, wantHeld)
			}
		}
		check("no filter", false)
		allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
		if _, err := loader.Install(allow, loader.TSync|loader.TSyncESRCH); err != nil {
			testproc.Fatalf("TSYNC after the probe: %v", err)
		}
		check("filter without listener", false)
		fd, err := loader.Install(allow, loader.TSync|loader.TSyncESRCH|loader.NewListener)
		if err != nil {
			testproc.Fatalf("TSYNC with a listener after the probe: %v", err)
		}
		check("listener held", true)
		unix.Close(fd)
		// "stdio" with PenaltyKill: a refused call ends the process.
		if _, err := Apply(Options{Promises: "stdio", Penalty: PenaltyKill}); err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		check("under stdio", false)
		os.Stdout.WriteString("done\n")
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	r.WantStdout(t, "no filter: held false ok true", "listener held: held true ok true", "under stdio: held false ok true", "done")
}
