package probe

import (
	"errors"
	"io/fs"
	"strings"
	"sync"

	"github.com/pledgekit/pledgekit/internal/rawio"
)

// MPTCP reports whether the kernel may hand out MPTCP sockets
// (IPPROTO_MPTCP), which Landlock's TCP port rules do not see: true
// unless net.mptcp.enabled is 0 or the kernel has no MPTCP (no such
// sysctl). A file that cannot be read counts as true.
//
// It reads the sysctl once per process and keeps the answer: a pledge
// without "rpath" refuses the read (package pledge asks before its
// filter, so that a Ruleset with TCP port rules committed later gets the
// answer instead of being ended), and a Landlock layer may hide it.
func MPTCP() bool {
	mptcpOnce.Do(func() {
		var buf [16]byte
		b, err := rawio.ReadFile("/proc/sys/net/mptcp/enabled", buf[:])
		if err != nil {
			mptcpOn = !errors.Is(err, fs.ErrNotExist)
			return
		}
		mptcpOn = strings.TrimSpace(string(b)) != "0"
	})
	return mptcpOn
}

var (
	mptcpOnce sync.Once
	mptcpOn   bool
)
