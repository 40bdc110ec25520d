//go:build linux

package pledge_test

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	rpt "github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

func mptcpSocket() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

// Landlock's TCP port rules do not see MPTCP sockets, so unveil reports a
// TCP port rule as partial while the kernel hands out MPTCP sockets. An
// enforcing pledge refuses those sockets; merging its report marks the rule
// enforced. (report's own tests cover a merge that closes nothing.)
func TestPledgeClosesMPTCPGap(t *testing.T) {
	if probe.Get().LandlockABI < 4 {
		t.Skip("no Landlock TCP rules (ABI 4) on this kernel")
	}
	if b, err := os.ReadFile("/proc/sys/net/mptcp/enabled"); err != nil || strings.TrimSpace(string(b)) != "1" {
		t.Skip("MPTCP is not enabled in this kernel: no gap to close")
	}
	if err := mptcpSocket(); err != nil {
		t.Skipf("cannot create an MPTCP socket unsandboxed: %v", err)
	}
	for _, c := range []struct {
		promises string
		penalty  pledge.Penalty
		want     string
	}{
		// Every filter answers MPTCP sockets with an errno, whatever the
		// promises and the penalty (even one that only logs violations).
		{"stdio inet", pledge.PenaltyEPERM, "enforced"},
		{"stdio inet", pledge.PenaltyLog, "enforced"},
		{"stdio", pledge.PenaltyLog, "enforced"},
	} {
		t.Run(c.promises+"/"+c.penalty.String(), func(t *testing.T) {
			r := testproc.Run(t, "mptcp", func() {
				ur, err := unveil.New().ConnectTCP(443).Commit()
				if err != nil {
					testproc.Fatalf("unveil: %v", err)
				}
				rep := *ur
				before := statusOf(rep, "tcp connect")
				pr, err := pledge.Apply(pledge.Options{Promises: c.promises, Penalty: c.penalty})
				if err != nil {
					testproc.Fatalf("pledge: %v", err)
				}
				rep.Merge(*pr)
				report("before %s after %s", before, statusOf(rep, "tcp connect"))
				if err := mptcpSocket(); err != unix.EPROTONOSUPPORT {
					testproc.Fatalf("MPTCP socket after a pledge that closes the gap: want EPROTONOSUPPORT, got %v", err)
				}
				report("ok")
			})
			wantStdout(t, r, "before partial after "+c.want, "ok")
		})
	}
}

func statusOf(r rpt.Report, prefix string) rpt.Status {
	for _, it := range r.Items {
		if strings.HasPrefix(it.What, prefix) {
			return it.Status
		}
	}
	return "missing"
}
