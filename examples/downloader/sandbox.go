package main

import (
	"strings"

	"github.com/pledgekit/pledgekit/report"
)

// sandboxPolicy is what one child role asks of the kernel. Each child
// builds its own and hands it to applySandbox, which is the only place
// that talks to the pledge and unveil packages.
type sandboxPolicy struct {
	// ReadOnly are files or directories the child may read (unveil "r").
	ReadOnly []string
	// ReadWrite are directories the child may read, write, create in and
	// remove from (unveil "rwc").
	ReadWrite []string
	// ConnectTCP are the only TCP ports the child may connect to. An empty
	// list with NoNetwork denies every TCP connect and bind.
	ConnectTCP []uint16
	// ConnectUDP are the only UDP ports the child may send to (and then
	// bind a kernel-chosen local port); none when empty. Landlock ABI 10.
	ConnectUDP []uint16
	// NoNetwork: the role needs no network at all (the verifier).
	NoNetwork bool
	// Promises and ExecPromises are pledge(2) promise strings.
	Promises     string
	ExecPromises string
	// ErrnoPenalty makes a forbidden system call fail with an error instead
	// of killing the process (used by --demo-attack so that each attempt
	// can be reported; see README).
	ErrnoPenalty bool
	sandboxOpts
}

// sandboxOpts are the user's choices, passed from the parent to each child.
type sandboxOpts struct {
	// Disable skips Landlock and seccomp (--disable-sandbox). The user
	// switch and no_new_privs still happen.
	Disable bool `json:"disable,omitempty"`
	// Require refuses to touch the network unless Landlock and seccomp
	// are both enforced with nothing dropped (--require-sandbox).
	Require bool `json:"require,omitempty"`
	// SimulateNoLandlock behaves as on a kernel without Landlock. Tests
	// only; not reachable from the command line.
	SimulateNoLandlock bool `json:"simulate_no_landlock,omitempty"`
}

// sandboxFailures lists why a report does not meet --require-sandbox.
func sandboxFailures(r *report.Report) []string {
	var why []string
	if !r.Landlock {
		why = append(why, "Landlock is not enforced")
	}
	if !r.Seccomp {
		why = append(why, "no seccomp filter is installed")
	}
	if !r.NoNewPrivs {
		why = append(why, "no_new_privs is not set")
	}
	for _, it := range r.Degraded() {
		if it.Status == report.Dropped && !udpItem(it) {
			s := it.What + " was dropped"
			if it.Reason != "" {
				s += " (" + it.Reason + ")"
			}
			why = append(why, s)
		}
	}
	return why
}

// landlockMissing reports whether r says Landlock could not be used at all
// (as opposed to being disabled on purpose).
func landlockMissing(r *report.Report) bool {
	if r.Landlock {
		return false
	}
	for _, it := range r.Items {
		if strings.HasPrefix(string(it.Layer), "landlock") && it.Status == report.Dropped {
			return true
		}
	}
	return false
}

// udpItem reports whether it is a UDP port rule. Before Landlock ABI 10
// they are dropped on every kernel: the report says so and the sandbox
// line names it, but they neither warn nor fail --require-sandbox (the
// downloader sends UDP only to DNS, and this gap is documented).
func udpItem(it report.Item) bool {
	return it.Layer == report.LayerLandlockNet && strings.HasPrefix(it.What, "udp ")
}

// udpUnrestricted reports whether r says UDP is not restricted by port.
func udpUnrestricted(r *report.Report) bool {
	for _, it := range r.Items {
		if udpItem(it) && it.Status == report.Dropped {
			return true
		}
	}
	return false
}

// droppedSummary is one line naming the protections that were dropped
// (requested, not enforced), except UDP (see udpItem). Partial items, which the other layer often
// covers (pledge denies the unix and MPTCP sockets Landlock ABI 7 cannot
// see), are listed in the full report (-v) instead.
// With landlock false, Landlock items are left out (said elsewhere).
func droppedSummary(r *report.Report, landlock bool) string {
	var parts []string
	for _, it := range r.Items {
		if it.Status != report.Dropped || udpItem(it) || !landlock && strings.HasPrefix(string(it.Layer), "landlock") {
			continue
		}
		s := it.What
		if it.Reason != "" {
			s += " (" + it.Reason + ")"
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return ""
	}
	return "sandbox degraded, not enforced: " + strings.Join(parts, "; ")
}
