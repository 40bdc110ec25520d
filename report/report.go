// Package report describes what a sandbox actually enforced.
//
// Both pledge (seccomp-bpf) and unveil (Landlock) fill in the same Report
// type: what was asked for, what the kernel enforces, and what was dropped
// and why. Libraries return it; commands print it once. A Report never
// claims more than the kernel was told to enforce: when a protection is
// missing on this kernel the matching Item says so with a reason.
//
// One report, two views. The text views (String, WriteTable, Summary) are
// for people: one line per item with a short reason, and the long
// explanations once each, as numbered notes shared by the items that need
// them (see Item.Detail). JSON is for machines and keeps every text whole.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/pledgekit/pledgekit/internal/reportlink"
)

// Layer names the kernel mechanism an Item belongs to.
type Layer string

const (
	LayerNoNewPrivs    Layer = "no_new_privs"
	LayerSeccomp       Layer = "seccomp"
	LayerLandlockFS    Layer = "landlock-fs"
	LayerLandlockNet   Layer = "landlock-net"
	LayerLandlockScope Layer = "landlock-scope"
	LayerPromise       Layer = "promise"
	// LayerLandlock: how a Landlock layer was enforced (which threads,
	// through which mechanism).
	LayerLandlock Layer = "landlock"
)

// Status is the outcome for one requested protection.
type Status string

const (
	// Enforced: the kernel enforces the request as asked.
	Enforced Status = "enforced"
	// Partial: enforced, but with less precision than asked (see Reason).
	Partial Status = "partial"
	// Dropped: requested but not enforced on this kernel (see Reason).
	Dropped Status = "dropped"
	// NoEffect: accepted for compatibility but has no meaning on Linux
	// (for example an OpenBSD-only promise such as "audio").
	NoEffect Status = "no-effect"
)

// Item is one requested protection and what became of it.
type Item struct {
	Layer  Layer  `json:"layer"`
	What   string `json:"what"`
	Status Status `json:"status"`
	// Reason says briefly why the status is what it is.
	Reason string `json:"reason,omitempty"`
	// Detail is the long explanation behind Reason, when it needs one. The
	// text views print it once, as a numbered note shared by the items with
	// the same Detail. The table also cuts a reason too long for its line
	// that has no Detail at a clause boundary, and prints the rest as a
	// note. JSON keeps both fields whole.
	Detail string `json:"detail,omitempty"`
	// Feature names the Landlock feature that enforces the item (a name
	// of `unveil probe`'s feature list, such as "tcp" or "tsync"), when
	// one does.
	Feature string `json:"feature,omitempty"`
	// hole, on a Partial item, is what another layer may close; see
	// internal/reportlink.
	hole reportlink.Hole
}

// Report is what a sandbox call enforced. The zero value means nothing was
// requested and nothing is enforced.
type Report struct {
	// Arch is the Go architecture name (amd64, arm64).
	Arch string `json:"arch"`
	// Kernel is the kernel release (uname -r).
	Kernel string `json:"kernel,omitempty"`
	// LandlockABI is the Landlock ABI version the probe verified; 0 means
	// Landlock is unavailable.
	LandlockABI int `json:"landlock_abi"`
	// Seccomp is true once a seccomp filter from this call is installed on
	// every thread of the process.
	Seccomp bool `json:"seccomp"`
	// Landlock is true once a Landlock ruleset from this call is enforced
	// on every thread of the process.
	Landlock bool `json:"landlock"`
	// NoNewPrivs is true when no_new_privs is set on the process.
	NoNewPrivs bool `json:"no_new_privs"`
	// Items lists each requested protection and its outcome.
	Items []Item `json:"items,omitempty"`
	// closed are the holes of other layers that this report's layer
	// closes (internal/reportlink); Merge applies them to merged items.
	closed []reportlink.Hole
}

func init() {
	reportlink.Mark = func(item any, h reportlink.Hole) { item.(*Item).hole = h }
	reportlink.Open = func(rep any, h reportlink.Hole) bool { return rep.(*Report).open(h) }
	reportlink.Close = func(rep any, h reportlink.Hole) { rep.(*Report).close(h) }
}

// Add appends an item.
func (r *Report) Add(layer Layer, what string, st Status, reason string) {
	r.Items = append(r.Items, Item{Layer: layer, What: what, Status: st, Reason: reason})
}

// Merge folds o into r: booleans are OR-ed, items appended and the other
// fields taken from o when r does not have them yet. An item one layer
// reports Partial for a hole another layer closes (Landlock's TCP port
// rules do not see MPTCP sockets, which a pledge's filter refuses) is
// Enforced once the reports of both are merged, in either order (reports
// read back from JSON do not carry what closes what).
func (r *Report) Merge(o Report) {
	if r.Arch == "" {
		r.Arch = o.Arch
	}
	if r.Kernel == "" {
		r.Kernel = o.Kernel
	}
	if o.LandlockABI > r.LandlockABI {
		r.LandlockABI = o.LandlockABI
	}
	r.Seccomp = r.Seccomp || o.Seccomp
	r.Landlock = r.Landlock || o.Landlock
	r.NoNewPrivs = r.NoNewPrivs || o.NoNewPrivs
	r.Items = append(r.Items, o.Items...)
	for _, h := range o.closed {
		if !slices.Contains(r.closed, h) {
			r.closed = append(r.closed, h)
		}
	}
	r.applyClosed()
}

// close records that r's layer closes h and applies it to r's items.
func (r *Report) close(h reportlink.Hole) {
	if h != "" && !slices.Contains(r.closed, h) {
		r.closed = append(r.closed, h)
	}
	r.applyClosed()
}

// open reports whether an item of r is still Partial for h.
func (r *Report) open(h reportlink.Hole) bool {
	return slices.ContainsFunc(r.Items, func(it Item) bool { return it.hole == h && it.Status == Partial })
}

// applyClosed marks the Partial items of every closed hole as Enforced,
// saying by what (reportlink.How) instead of how to close it (Detail).
func (r *Report) applyClosed() {
	for _, h := range r.closed {
		for i := range r.Items {
			it := &r.Items[i]
			if it.hole == h && it.Status == Partial {
				it.Status = Enforced
				it.Reason += "; closed by " + reportlink.How[h]
				it.Detail, it.hole = "", ""
			}
		}
	}
}

// Restricted reports whether the process is restricted at all by the call
// that produced this report.
func (r *Report) Restricted() bool { return r.Seccomp || r.Landlock }

// Degraded returns the items that were not enforced as asked (Partial and
// Dropped). NoEffect items are not degradations: they never had a Linux
// meaning.
func (r *Report) Degraded() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Status == Partial || it.Status == Dropped {
			out = append(out, it)
		}
	}
	return out
}

// Summary is a one-line description of the degradations, suitable for a
// single warning on stderr: each item with its reason, and each Detail
// once, as a numbered note at the end. It is empty when nothing was
// degraded.
func (r *Report) Summary() string {
	d := r.Degraded()
	if len(d) == 0 {
		return ""
	}
	n := notes{whole: true}
	parts := make([]string, 0, len(d))
	for _, it := range d {
		s := fmt.Sprintf("%s %s", it.What, it.Status)
		if reason := n.reason(it); reason != "" {
			s += " (" + reason + ")"
		}
		parts = append(parts, s)
	}
	var b strings.Builder
	b.WriteString("sandbox degraded: " + strings.Join(parts, "; "))
	_ = n.write(&b, " ")
	return b.String()
}

// WriteTable prints the report as an aligned table: one line per item with
// a short reason, then the long explanations once each, as numbered notes
// (see Item.Detail).
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "arch\t%s\n", r.Arch)
	if r.Kernel != "" {
		fmt.Fprintf(tw, "kernel\t%s\n", r.Kernel)
	}
	abi := "none"
	if r.LandlockABI > 0 {
		abi = fmt.Sprint(r.LandlockABI)
	}
	fmt.Fprintf(tw, "landlock abi\t%s\n", abi)
	fmt.Fprintf(tw, "no_new_privs\t%v\n", r.NoNewPrivs)
	fmt.Fprintf(tw, "seccomp filter\t%v\n", r.Seccomp)
	fmt.Fprintf(tw, "landlock ruleset\t%v\n", r.Landlock)
	var n notes
	if len(r.Items) > 0 {
		fmt.Fprintln(tw, "\nLAYER\tWHAT\tSTATUS\tREASON")
		items := append([]Item(nil), r.Items...)
		sort.SliceStable(items, func(i, j int) bool { return items[i].Layer < items[j].Layer })
		for _, it := range items {
			reason := n.reason(it)
			if it.Feature != "" {
				reason = strings.TrimPrefix(reason+" [landlock "+it.Feature+"]", " ")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Layer, it.What, it.Status, reason)
		}
	}
	if err := tw.Flush(); err != nil || len(n.texts) == 0 {
		return err
	}
	if _, err := io.WriteString(w, "\nnotes:"); err != nil {
		return err
	}
	if err := n.write(w, "\n"); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// String returns the table form.
func (r *Report) String() string {
	var b strings.Builder
	_ = r.WriteTable(&b)
	return b.String()
}

// JSON returns the report as indented JSON.
func (r *Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return b
}
