// Package reportlink is what the sandbox's own layers need from package
// report that users must not call: marking an item as open for a hole one
// layer leaves and another closes (a Landlock layer's TCP port rules and
// MPTCP, truncation left to the filter that follows a layer), and closing
// it. The marks and the closed holes are unexported state of report.Item
// and report.Report: Report.Merge applies the holes either report closes
// to the items of both, so the order in which a program merges the reports
// of its unveil and pledge calls does not matter. JSON does not carry them.
//
// Package report sets the functions from an init function; every package
// that opens or closes a hole imports report, so they are set before use.
// This package imports nothing of pledgekit: report imports it.
package reportlink

// Hole names what one layer leaves open and another may close.
type Hole string

const (
	// MPTCP: Landlock's TCP port rules do not see MPTCP sockets
	// (IPPROTO_MPTCP). A seccomp filter that refuses those sockets
	// closes it (promfacts.RefusesMPTCP).
	MPTCP Hole = "mptcp"
	// Truncate: a Landlock layer committed right before a filter whose
	// promises cannot truncate leaves truncation to that filter
	// (promfacts.Truncates), which closes it once installed.
	Truncate Hole = "truncate"
)

// How is what closes each hole, as the closed items' reasons say it.
var How = map[Hole]string{
	MPTCP: "the seccomp filter, which answers MPTCP sockets with EPROTONOSUPPORT (Go's net then falls back to TCP)",
	// The item already says what the filter refuses.
	Truncate: "the pledge's filter, now in force",
}

var (
	// Mark marks item, a *report.Item, as open for h: while its status
	// is Partial, closing h makes it Enforced, adds to its reason what
	// closed it (How) and drops its Detail, which may say only how to
	// close the hole.
	Mark func(item any, h Hole)
	// Open reports whether an item of rep, a *report.Report, is Partial
	// and marked open for h.
	Open func(rep any, h Hole) bool
	// Close records that the layer of rep, a *report.Report, closes h
	// (How says by what) and marks rep's Partial items open for h as
	// Enforced; Report.Merge carries the record to the items of reports
	// merged later, and of those merged into.
	Close func(rep any, h Hole)
)
