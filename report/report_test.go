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

// mptcpTail is a long explanation two items share after their own short
// head, as unveil writes it for each TCP port rule.
const mptcpTail = "but Landlock does not see MPTCP sockets (IPPROTO_MPTCP), which net.Listen uses by default: pledge, run with GODEBUG=multipathtcp=0, or set net.mptcp.enabled=0"

// longReport has the shapes a person reads badly in one table: two long
// reasons with the same tail, two items with the same Detail, a long
// reason with no boundary to cut at, and short reasons.
func longReport() report.Report {
	var r report.Report
	r.Landlock, r.Seccomp, r.LandlockABI = true, true, 7
	r.Add(report.LayerLandlockNet, "tcp connect ports 443", report.Partial, "only ports 443 allowed for TCP, "+mptcpTail)
	r.Add(report.LayerLandlockNet, "tcp bind no port", report.Partial, "only no port allowed for TCP, "+mptcpTail)
	r.Add(report.LayerLandlockNet, "udp bind no port", report.Dropped, "needs Landlock ABI 10, this kernel has 7; not restricted")
	for _, what := range []string{"scope signal", "scope abstract_unix_socket"} {
		r.Items = append(r.Items, report.Item{Layer: report.LayerLandlockScope, What: what, Status: report.Partial,
			Reason: "denied outside this sandbox", Detail: "below Landlock ABI 8 each thread has a domain of its own; keep such pairs on one thread"})
	}
	r.Add(report.LayerLandlockFS, "/proc/1/task", report.Enforced, strings.Repeat("x", 90)+" (go-landlock issue 39)")
	return r
}

func TestTextViewsPrintEachNoteOnce(t *testing.T) {
	r := longReport()
	table := r.String()
	rows, notes, ok := strings.Cut(table, "\nnotes:\n")
	if !ok {
		t.Fatalf("no notes section:\n%s", table)
	}
	for _, want := range []string{
		"only ports 443 allowed for TCP [1]\n",
		"only no port allowed for TCP [1]\n",
		"needs Landlock ABI 10, this kernel has 7; not restricted\n",
		"denied outside this sandbox [2]\n",
		strings.Repeat("x", 90) + " (go-landlock issue 39)\n", // nothing to cut at: kept whole
	} {
		if strings.Count(rows, want) != strings.Count(table, want) || !strings.Contains(rows, want) {
			t.Errorf("the rows should show %q:\n%s", want, rows)
		}
	}
	if strings.Contains(rows, "MPTCP") || strings.Contains(rows, "domain of its own") {
		t.Errorf("a long explanation is on an item's line:\n%s", rows)
	}
	wantNotes := "[1] " + mptcpTail + "\n[2] below Landlock ABI 8 each thread has a domain of its own; keep such pairs on one thread\n"
	if notes != wantNotes {
		t.Errorf("notes:\n%s\nwant:\n%s", notes, wantNotes)
	}

	// The one-line summary: every degraded item with its reason whole,
	// as callers match it, and each Detail once, as a note at the end.
	s := r.Summary()
	want := "sandbox degraded: tcp connect ports 443 partial (only ports 443 allowed for TCP, " + mptcpTail + "); " +
		"tcp bind no port partial (only no port allowed for TCP, " + mptcpTail + "); " +
		"udp bind no port dropped (needs Landlock ABI 10, this kernel has 7; not restricted); " +
		"scope signal partial (denied outside this sandbox [1]); scope abstract_unix_socket partial (denied outside this sandbox [1])" +
		" [1] below Landlock ABI 8 each thread has a domain of its own; keep such pairs on one thread"
	if s != want {
		t.Errorf("summary:\n%s\nwant:\n%s", s, want)
	}

	// A report without long reasons has no notes section.
	if u := unveilReport(); strings.Contains(u.String(), "notes:") || strings.Contains(u.Summary(), "[1]") {
		t.Errorf("notes for short reasons:\n%s\n%s", u.String(), u.Summary())
	}
}

// JSON is for machines: every item keeps its whole reason and detail.
func TestJSONKeepsLongReasons(t *testing.T) {
	r := longReport()
	var back report.Report
	if err := json.Unmarshal(r.JSON(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Items) != len(r.Items) {
		t.Fatalf("JSON has %d items, want %d", len(back.Items), len(r.Items))
	}
	for i := range r.Items {
		if back.Items[i] != r.Items[i] {
			t.Errorf("item %d: JSON gives %+v, want %+v", i, back.Items[i], r.Items[i])
		}
	}
	if !strings.Contains(string(r.JSON()), `"detail": "below Landlock ABI 8`) {
		t.Errorf("JSON lacks the detail field:\n%s", r.JSON())
	}
}
