//go:build linux

package pledge

import (
	"fmt"

	"github.com/pledgekit/pledgekit/internal/unveillink"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

// pinDNS gives a pledge with "dns" and without "inet" OpenBSD's port
// rule: its sockets reach port 53 only. The filter cannot see ports, so a
// Landlock layer of its own does it (unveil.Ruleset.OnlyDNS: TCP from ABI
// 4, UDP from ABI 10), committed before the filter, once per process
// (promises only narrow, so inet never comes back; every program this
// process starts stays under its filter too). A layer of its own, not a
// part of the caller's layers: Landlock layers intersect, so it never
// widens the caller's port rules, and costs one of the 16 layers.
//
// It is skipped, and the report says so, when the filter will not enforce
// the promises (then it would enforce what the filter only logs), and
// when an earlier pledge without "unveil" refuses the Landlock calls.
func (st *process) pinDNS(ps promises.Set, enforced bool, rep *report.Report) error {
	if !ps.Has(promises.DNS) || ps.Has(promises.Inet) || st.dnsPinned {
		return nil
	}
	const what = "dns without inet: port 53 only"
	switch {
	case !enforced:
		rep.Add(report.LayerPromise, what, report.Dropped, "not pinned: the filter does not enforce the promises (PenaltyLog, or no seccomp), so TCP and UDP reach any port")
		return nil
	case st.pledged && !st.promises.Has(promises.Unveil):
		rep.Add(report.LayerPromise, what, report.Dropped, fmt.Sprintf("not pinned: the earlier promises %q lack \"unveil\", so the filter refuses the Landlock calls; pledge dns without inet first, or keep \"unveil\" until then. TCP and UDP reach any port", st.promises.String()))
		return nil
	}
	ur, err := unveillink.CommitPledged(unveil.New().OnlyDNS(), ps)
	if ur != nil {
		rep.Merge(*ur)
	}
	if err != nil {
		return fmt.Errorf("pledge: pinning \"dns\" without \"inet\" to port 53 (a Landlock layer): %w", err)
	}
	st.dnsPinned = ur.Landlock // all this kernel can pin: a later pledge could add nothing
	status, why := report.Enforced, "TCP connects and UDP sends to port 53 only, no TCP bind, UDP binds to a kernel-chosen port only (a Landlock layer of its own)"
	switch {
	case !ur.Landlock:
		status, why = report.Dropped, fmt.Sprintf("not pinned: %s; TCP and UDP reach any port", unavailableNet(ur.LandlockABI))
	case ur.LandlockABI < unveil.UDP.ABI():
		status, why = report.Partial, fmt.Sprintf("TCP pinned as on OpenBSD; UDP reaches any port: Landlock ABI %d cannot restrict UDP (needs %d)", ur.LandlockABI, unveil.UDP.ABI())
	}
	rep.Add(report.LayerPromise, what, status, why)
	return nil
}

func unavailableNet(abi int) string {
	if abi == 0 {
		return "Landlock is unavailable"
	}
	return fmt.Sprintf("Landlock ABI %d has no network rules (needs %d)", abi, unveil.TCP.ABI())
}
