package report_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/reportlink"
	"github.com/pledgekit/pledgekit/report"
)

func unveilReport() report.Report {
	var r report.Report
	r.Landlock, r.LandlockABI = true, 7
	r.Add(report.LayerLandlockFS, "/srv r", report.Enforced, "")
	r.Add(report.LayerLandlockNet, "connect TCP ports 443", report.Partial, "Landlock does not see MPTCP")
	reportlink.Mark(&r.Items[1], reportlink.MPTCP)
	r.Add(report.LayerLandlockScope, "signal", report.Dropped, "needs ABI 6")
	return r
}

func pledgeReport(closes bool) report.Report {
	var r report.Report
	r.Seccomp, r.NoNewPrivs = true, true
	r.Add(report.LayerSeccomp, "filter", report.Enforced, "")
	if closes {
		reportlink.Close(&r, reportlink.MPTCP)
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
	// Closing an unrelated hole changes nothing.
	reportlink.Close(&c, reportlink.Truncate)
	if got := status(c, tcp); got != report.Partial {
		t.Errorf("an unrelated hole closed %s", tcp)
	}
	// Open tells which holes still have a partial item.
	if !reportlink.Open(&c, reportlink.MPTCP) || reportlink.Open(&c, reportlink.Truncate) || reportlink.Open(&a, reportlink.MPTCP) {
		t.Errorf("Open: unclosed mptcp %v, truncate %v, closed mptcp %v; want true, false, false",
			reportlink.Open(&c, reportlink.MPTCP), reportlink.Open(&c, reportlink.Truncate), reportlink.Open(&a, reportlink.MPTCP))
	}
	// The closed item says by what.
	for _, it := range a.Items {
		if it.What == tcp && !strings.HasSuffix(it.Reason, "; closed by "+reportlink.How[reportlink.MPTCP]) {
			t.Errorf("closed item's reason %q does not say what closed it", it.Reason)
		}
	}
}

// A hole is closed only for the items marked with it: a Partial item
// with the same text but no mark, and a marked item that is not Partial,
// stay as they are; an item closed once is not closed again by a second
// merge of the closing report, and drops its Detail (how to close it).
func TestCloseOnlyMarkedPartial(t *testing.T) {
	var r report.Report
	r.Add(report.LayerLandlockNet, "unmarked", report.Partial, "Landlock does not see MPTCP")
	r.Add(report.LayerLandlockNet, "dropped", report.Dropped, "no ABI 4")
	reportlink.Mark(&r.Items[1], reportlink.MPTCP)
	r.Add(report.LayerLandlockNet, "marked", report.Partial, "Landlock does not see MPTCP")
	reportlink.Mark(&r.Items[2], reportlink.MPTCP)
	r.Items[0].Detail, r.Items[2].Detail = "how to close it", "how to close it"
	p := pledgeReport(true)
	r.Merge(p)
	r.Merge(p)
	want := map[string]report.Status{"unmarked": report.Partial, "dropped": report.Dropped, "marked": report.Enforced}
	for _, it := range r.Items {
		if w, ok := want[it.What]; ok && it.Status != w {
			t.Errorf("%s: %s, want %s", it.What, it.Status, w)
		}
		if it.What == "marked" && strings.Count(it.Reason, "closed by") != 1 {
			t.Errorf("marked item closed %d times: %q", strings.Count(it.Reason, "closed by"), it.Reason)
		}
		// A closed item no longer says how to close it; the others do.
		if w := map[string]string{"unmarked": "how to close it", "marked": ""}; it.Detail != w[it.What] {
			t.Errorf("%s: detail %q after the merge", it.What, it.Detail)
		}
	}
	// A report merged after the closing one is closed too.
	var late report.Report
	late.Add(report.LayerLandlockNet, "late", report.Partial, "")
	reportlink.Mark(&late.Items[0], reportlink.MPTCP)
	r.Merge(late)
	if got := status(r, "late"); got != report.Enforced {
		t.Errorf("an item merged after the closing report is %s, want enforced", got)
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
	if len(back.Items) != 3 || back.Items[1].Status != report.Partial || back.LandlockABI != 7 {
		t.Errorf("JSON round trip lost data: %+v", back)
	}
	var sb strings.Builder
	if err := r.WriteTable(&sb); err != nil || !strings.Contains(sb.String(), "landlock-net") {
		t.Errorf("table: %v\n%s", err, sb.String())
	}
}

// A program that unveils and then pledges merges the two reports into
// one, and warns once about what is degraded. (When the unveil's TCP port
// rules are partial because Landlock does not see MPTCP sockets, merging
// the report of a pledge, whose filter refuses them, marks them enforced.)
func ExampleReport_Merge() {
	var unv report.Report
	unv.Landlock = true
	unv.Add(report.LayerLandlockFS, "/srv \"r\"", report.Enforced, "directory")
	unv.Add(report.LayerLandlockScope, "signal", report.Dropped, "needs Landlock ABI 6")

	var pl report.Report
	pl.Seccomp, pl.NoNewPrivs = true, true
	pl.Add(report.LayerSeccomp, "filter for \"stdio rpath\"", report.Enforced, "")

	unv.Merge(pl)
	fmt.Println(unv.Restricted(), len(unv.Items), len(unv.Degraded()))
	fmt.Println(unv.Summary()) // a program prints it to stderr
	// Output:
	// true 3 1
	// sandbox degraded: signal dropped (needs Landlock ABI 6)
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
