//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/reportlink"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

// tcpItem is the first TCP port item of rep ("missing" if none).
func tcpItem(rep *report.Report) report.Item {
	for _, it := range rep.Items {
		if it.Layer == report.LayerLandlockNet && strings.HasPrefix(it.What, "tcp connect") {
			return it
		}
	}
	return report.Item{Status: "missing"}
}

// TestOptionsUnveilMPTCP: a layer of TCP port rules committed with the
// pledge (Options.Unveil) is partial while MPTCP sockets get through, and
// the decision whether the pledge closes that is made once, after the
// filter is installed: with a filter, the MPTCP socket is refused
// (EPROTONOSUPPORT) and the item is enforced, saying by what; without one
// (no seccomp, FallbackNoSeccomp), the MPTCP socket is created and the
// item stays partial.
func TestOptionsUnveilMPTCP(t *testing.T) {
	pr := probe.Get()
	if pr.LandlockABI < 4 || !pr.Seccomp {
		t.Skip("needs seccomp and Landlock TCP rules (ABI 4)")
	}
	if b, err := os.ReadFile("/proc/sys/net/mptcp/enabled"); err != nil || strings.TrimSpace(string(b)) != "1" {
		t.Skip("MPTCP is not enabled in this kernel: no hole to close")
	}
	mptcp := func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
		if err == nil {
			unix.Close(fd)
		}
		return err
	}
	if err := mptcp(); err != nil {
		t.Skipf("cannot create an MPTCP socket unsandboxed: %v", err)
	}
	for _, filtered := range []bool{true, false} {
		name := map[bool]string{true: "filter", false: "no-seccomp"}[filtered]
		t.Run(name, func(t *testing.T) {
			r := testproc.Run(t, "mptcp-"+name, func() {
				o := Options{Promises: "stdio inet", Penalty: PenaltyEPERM, Unveil: unveil.New().ConnectTCP(443)}
				if !filtered {
					fakeKernel(func(r *probe.Result) { r.Seccomp, r.SeccompErr = false, errors.New("fake: no CONFIG_SECCOMP_FILTER") })
					o.Fallback = FallbackNoSeccomp
				}
				rep, err := Apply(o)
				if err != nil {
					testproc.Fatalf("apply: %v", err)
				}
				it := tcpItem(rep)
				closed := strings.HasSuffix(it.Reason, "closed by "+reportlink.How[reportlink.MPTCP])
				fmt.Printf("item %s closed %v\n", it.Status, closed)
				fmt.Printf("mptcp socket %v\n", mptcp())
			})
			if filtered {
				r.WantStdout(t, "item enforced closed true", "mptcp socket "+unix.EPROTONOSUPPORT.Error())
			} else {
				r.WantStdout(t, "item partial closed false", "mptcp socket <nil>")
			}
		})
	}
}

// TestOptionsUnveilTruncateClosed: a layer committed with promises that
// cannot truncate leaves truncation to the filter (its item partial while
// only the layer is in force) and the filter, once installed, closes it:
// the item is enforced, saying by what, and truncate(2) is refused. With
// wpath the layer keeps truncation and there is no such item.
func TestOptionsUnveilTruncateClosed(t *testing.T) {
	pr := probe.Get()
	if pr.LandlockABI < 3 || !pr.Seccomp {
		t.Skip("needs seccomp and Landlock truncation (ABI 3)")
	}
	dir := t.TempDir()
	f := dir + "/f"
	if err := os.WriteFile(f, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, ps := range []string{"stdio rpath", "stdio rpath wpath"} {
		t.Run(strings.ReplaceAll(ps, " ", "-"), func(t *testing.T) {
			r := testproc.Run(t, "truncate-"+ps, func() {
				rs := unveil.New()
				if err := rs.Unveil(dir, "r"); err != nil {
					testproc.Fatalf("unveil: %v", err)
				}
				rep, err := Apply(Options{Promises: ps, Penalty: PenaltyEPERM, Unveil: rs})
				if err != nil {
					testproc.Fatalf("apply: %v", err)
				}
				items := 0
				for _, it := range rep.Items {
					if it.What == "truncate" {
						items++
						fmt.Printf("item %s closed %v\n", it.Status, strings.HasSuffix(it.Reason, "closed by "+reportlink.How[reportlink.Truncate]))
					}
				}
				fmt.Printf("items %d open %v truncate %v\n", items, reportlink.Open(rep, reportlink.Truncate), unix.Truncate(f, 0))
			})
			if ps == "stdio rpath" {
				r.WantStdout(t, "item enforced closed true", "items 1 open false truncate "+unix.EPERM.Error())
			} else {
				r.WantStdout(t, "items 0 open false truncate "+unix.EACCES.Error())
			}
		})
	}
}
