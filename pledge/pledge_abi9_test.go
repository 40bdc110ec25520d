//go:build linux

package pledge_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// The unix-datagram-by-path gap (an addressed send on a socketpair's
// datagram socket under "inet" without "unix") closes on Landlock ABI 9
// whenever a layer with paths is in force, also one committed before the
// pledge (UnveilBlock): the send to a socket outside the veil is refused
// and the report has no partial item. Below ABI 9 the send arrives and
// the report says so.
func TestUnixDatagramGapClosedByEarlierLayer(t *testing.T) {
	pr := probe.Get()
	if !pr.Seccomp || pr.LandlockABI == 0 {
		t.Skip("needs seccomp and Landlock")
	}
	dir := t.TempDir()
	r := testproc.Run(t, "gap", func() {
		sock := filepath.Join(dir, "outside")
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		if err == nil {
			err = unix.Bind(fd, &unix.SockaddrUnix{Name: sock})
		}
		if err != nil {
			testproc.Fatalf("bind: %v", err)
		}
		unveil.Unveil(filepath.Join(dir), "") // hidden
		if err := unveil.UnveilBlock(); err != nil {
			testproc.Fatalf("block: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio inet", Penalty: pledge.PenaltyEPERM})
		if err != nil {
			testproc.Fatalf("apply: %v", err)
		}
		gap := false
		for _, it := range rep.Items {
			gap = gap || it.What == "unix datagrams by path"
		}
		sv, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		if err != nil {
			testproc.Fatalf("socketpair: %v", err)
		}
		sendErr := unix.Sendto(sv[0], []byte("x"), 0, &unix.SockaddrUnix{Name: sock})
		abi := probe.Get().LandlockABI
		switch {
		case abi >= 9 && (gap || sendErr != unix.EACCES):
			testproc.Fatalf("ABI %d: gap item %v, send %v: want closed (EACCES)", abi, gap, sendErr)
		case abi < 9 && (!gap || sendErr != nil):
			testproc.Fatalf("ABI %d: gap item %v, send %v: want reported and open", abi, gap, sendErr)
		}
		fmt.Println("ok")
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
}
