package report

import (
	"strings"
	"testing"
)

func TestSplitReason(t *testing.T) {
	long := strings.Repeat("y", maxReason)
	for _, c := range []struct{ reason, short, detail string }{
		{"short enough, kept; whole", "short enough, kept; whole", ""},
		// "; " or ". " within the first maxReason bytes beats ", " and ": ".
		{"head, still head; the rest, " + long, "head, still head", "the rest, " + long},
		{"a sentence. The next " + long, "a sentence", "The next " + long},
		{"only ports 1 allowed, but " + long + "; more", "only ports 1 allowed", "but " + long + "; more"},
		// Boundaries inside parentheses or quotes do not count.
		{"denied (see a, b; c) here: " + long, "denied (see a, b; c) here", long},
		{`without "a, b; c", ` + long, `without "a, b; c"`, long},
		// No boundary early enough: the first one anywhere.
		{long + "zz, tail; end", long + "zz", "tail; end"},
		// No boundary at all: whole.
		{long + long, long + long, ""},
	} {
		short, detail := splitReason(Item{Reason: c.reason})
		if short != c.short || detail != c.detail {
			t.Errorf("splitReason(%q) = %q, %q; want %q, %q", c.reason, short, detail, c.short, c.detail)
		}
	}
	// A writer's own Detail is used as it is, whatever the reason's length.
	it := Item{Reason: long + ", " + long, Detail: "d"}
	if short, detail := splitReason(it); short != it.Reason || detail != "d" {
		t.Errorf("with a Detail: %q, %q", short, detail)
	}
}

// FuzzSplitReason: cutting loses no text and never panics.
func FuzzSplitReason(f *testing.F) {
	f.Add("only ports 443 allowed for TCP, but Landlock does not see MPTCP sockets (IPPROTO_MPTCP), which net.Listen uses by default; closed by the filter")
	f.Add(`without "unix", a (b; c) d. e: f`)
	f.Fuzz(func(t *testing.T, reason string) {
		short, detail := splitReason(Item{Reason: reason})
		if detail == "" {
			if short != reason {
				t.Fatalf("uncut reason changed: %q -> %q", reason, short)
			}
			return
		}
		if len(short)+2+len(detail) != len(reason) || !strings.HasPrefix(reason, short) || !strings.HasSuffix(reason, detail) {
			t.Fatalf("%q cut into %q and %q", reason, short, detail)
		}
	})
}
