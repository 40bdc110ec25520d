package supervise

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pledgekit/pledgekit/promises"
)

// Allows reports whether promise set s allows the call: the verdict of
// promises.Decide. An Errno rule that answers the call counts as not
// allowed and its errno is returned.
func Allows(s promises.Set, arch, name string, args [6]uint64) (allowed bool, errno uint16) {
	r, ok := promises.Decide(s, arch, name, args)
	switch {
	case !ok:
		return false, 0
	case r.Action == promises.Errno:
		return false, r.Errno
	}
	return r.Action == promises.Allow, 0
}

// Needed returns the sets of promises that, added to pledged, would allow
// the call (promises.Requirements less what is pledged, each checked with
// Decide): minimal ones only, the fewest promises first, otherwise in
// pledgenames order, so the first names the promise OpenBSD would name. A
// connect, bind or sendto to an AF_UNIX address (family, from Decode;
// pass 0 when unknown) keeps the sets with unix if there are any: inet
// and dns allow those calls too, but only unix gives the AF_UNIX socket to
// make them on. It is empty when no promise allows the call.
func Needed(pledged promises.Set, arch, name string, args [6]uint64, fam uint64) []promises.Set {
	var cand []promises.Set
	for _, r := range promises.Requirements(arch, name, args) {
		if m := r &^ pledged; m != 0 && !slices.Contains(cand, m) {
			cand = append(cand, m)
		}
	}
	var out []promises.Set
	for i, m := range cand {
		minimal := true
		for j, o := range cand {
			if i != j && o.SubsetOf(m) {
				minimal = false
				break
			}
		}
		if ok, _ := Allows(pledged|m, arch, name, args); minimal && ok {
			out = append(out, m)
		}
	}
	slices.SortStableFunc(out, func(a, b promises.Set) int { return a.Len() - b.Len() })
	if fam == 1 && (name == "connect" || name == "bind" || name == "sendto") { // AF_UNIX
		var withUnix []promises.Set
		for _, s := range out {
			if s.Has(promises.Unix) {
				withUnix = append(withUnix, s)
			}
		}
		if len(withUnix) > 0 {
			out = withUnix
		}
	}
	return out
}

// NeedText says what sets (from Needed) would allow a call:
// `needs promise "inet" (or "dns" or "anet")`, `needs promises "wpath
// cpath"`, or "no promise allows it".
func NeedText(sets []promises.Set) string {
	if len(sets) == 0 {
		return "no promise allows it"
	}
	var b strings.Builder
	if sets[0].Len() == 1 {
		fmt.Fprintf(&b, "needs promise %q", sets[0].String())
	} else {
		fmt.Fprintf(&b, "needs promises %q", sets[0].String())
	}
	for i, s := range sets[1:] {
		if i == 0 {
			fmt.Fprintf(&b, " (or %q", s.String())
		} else {
			fmt.Fprintf(&b, " or %q", s.String())
		}
	}
	if len(sets) > 1 {
		b.WriteString(")")
	}
	return b.String()
}

// Denial is the one line a supervisor prints about a call it refuses:
//
//	pledge: denied socket(AF_INET, SOCK_STREAM, 0) [syscall 41] in app[7]: needs promise "inet" (or "dns" or "anet") (pledged: "stdio"); killing the process
type Denial struct {
	Prefix string // who speaks: "pledge", "unveil" ("": the line starts at "denied")
	Call   *Call
	// Child is true when the caller is not the pledged process itself but
	// a program it started, which inherited its filter.
	Child   bool
	Pledged promises.Set
	// Outcome says what happens to the caller: "killing the process",
	// "the call fails with EPERM".
	Outcome string
}

// Needs is the lookup the line names: Needed for the call.
func (d Denial) Needs() []promises.Set {
	c := d.Call
	if c.Name == "" {
		return nil
	}
	return Needed(d.Pledged, c.Arch, c.Name, c.Args, c.Family)
}

// String is the line, without a newline; it is printable ASCII.
func (d Denial) String() string {
	c := d.Call
	var b strings.Builder
	if d.Prefix != "" {
		b.WriteString(d.Prefix + ": ")
	}
	if c.Name == "" {
		fmt.Fprintf(&b, "denied unknown system call %d (audit arch %#x)", c.Nr, c.Audit)
	} else {
		fmt.Fprintf(&b, "denied %s [syscall %d]", c.Text, c.Nr)
	}
	switch who := c.Who(); {
	case d.Child:
		fmt.Fprintf(&b, " in %s, a program this process started", who)
	case c.Comm != "" || c.Pid > 0 || c.Tgid > 0:
		fmt.Fprintf(&b, " in %s", who)
	}
	b.WriteString(": ")
	if c.Name == "" {
		b.WriteString("not a native system call")
	} else {
		b.WriteString(NeedText(d.Needs()))
	}
	fmt.Fprintf(&b, " (pledged: %q)", d.Pledged.String())
	if d.Outcome != "" {
		b.WriteString("; " + d.Outcome)
	}
	return b.String()
}
