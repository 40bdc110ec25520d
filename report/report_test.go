package report_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/report"
)

func unveilReport() report.Report {
	var r report.Report
	r.Landlock, r.LandlockABI = true, 7
	r.Add(report.LayerLandlockFS, "/srv r", report.Enforced, "")
	r.Add(report.LayerLandlockNet, "connect TCP ports 443", report.Partial, "Landlock does not see MPTCP")
	r.Items[1].Gap = report.GapMPTCP
	r.Add(report.LayerLandlockScope, "signal", report.Dropped, "needs ABI 6")
	return r
}

func pledgeReport(closes bool) report.Report {
	var r report.Report
	r.Seccomp, r.NoNewPrivs = true, true
	r.Add(report.LayerSeccomp, "filter", report.Enforced, "")
	if closes {
		r.CloseGap(report.GapMPTCP, "the filter")
	}
	return r
}

func status(r report.Report, what string) report.Status {
	for _, it := range r.Items {
		if it.What == what {
			return it.Status
		}
	}
	return ""
}

func TestMergeClosesGapsInEitherOrder(t *testing.T) {
	const tcp = "connect TCP ports 443"
	a := unveilReport()
	a.Merge(pledgeReport(true))
	b := pledgeReport(true)
	b.Merge(unveilReport())
	for name, r := range map[string]report.Report{"unveil+pledge": a, "pledge+unveil": b} {
		if got := status(r, tcp); got != report.Enforced {
			t.Errorf("%s: %s is %q, want enforced (the pledge closes the MPTCP gap)", name, tcp, got)
		}
		if !r.Seccomp || !r.Landlock || !r.NoNewPrivs || r.LandlockABI != 7 {
			t.Errorf("%s: booleans/ABI not merged: %+v", name, r)
		}
		if d := r.Degraded(); len(d) != 1 || d[0].What != "signal" {
			t.Errorf("%s: degraded = %+v, want only the dropped scope", name, d)
		}
	}
	// A pledge that does not close the gap leaves the item partial.
	c := unveilReport()
	c.Merge(pledgeReport(false))
	if got := status(c, tcp); got != report.Partial {
		t.Errorf("without a closing layer: %s is %q, want partial", tcp, got)
	}
	// Closing an unrelated gap changes nothing.
	c.CloseGap("other", "x")
	if got := status(c, tcp); got != report.Partial {
		t.Errorf("an unrelated gap closed %s", tcp)
	}
	// Open tells which gaps still have a partial item.
	if !c.Open(report.GapMPTCP) || c.Open("other") || a.Open(report.GapMPTCP) {
		t.Errorf("Open: unclosed mptcp %v, other %v, closed mptcp %v; want true, false, false",
			c.Open(report.GapMPTCP), c.Open("other"), a.Open(report.GapMPTCP))
	}
}

func TestSummaryAndJSON(t *testing.T) {
	r := unveilReport()
	s := r.Summary()
	if s == "" || !strings.Contains(s, "signal") || !strings.Contains(s, "connect TCP ports 443") {
		t.Errorf("summary %q should name both degradations", s)
	}
	if p := pledgeReport(true); p.Summary() != "" {
		got := p.Summary()
		t.Errorf("nothing degraded, but summary is %q", got)
	}
	var back report.Report
	if err := json.Unmarshal(r.JSON(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Items) != 3 || back.Items[1].Gap != report.GapMPTCP || back.LandlockABI != 7 {
		t.Errorf("JSON round trip lost data: %+v", back)
	}
	var sb strings.Builder
	if err := r.WriteTable(&sb); err != nil || !strings.Contains(sb.String(), "landlock-net") {
		t.Errorf("table: %v\n%s", err, sb.String())
	}
}

// A program that unveils with a TCP port rule and then pledges merges the
// two reports; the pledge's filter closes the MPTCP gap of the port rule.
func ExampleReport_Merge() {
	var unv report.Report
	unv.Add(report.LayerLandlockNet, "connect TCP ports 443", report.Partial, "Landlock does not see MPTCP sockets")
	unv.Items[0].Gap = report.GapMPTCP

	var pl report.Report
	pl.CloseGap(report.GapMPTCP, "the pledge's filter")

	unv.Merge(pl)
	fmt.Println(unv.Items[0].Status, len(unv.Degraded()))
	if s := unv.Summary(); s != "" {
		fmt.Fprintln(os.Stderr, s)
	}
	// Output: enforced 0
}
