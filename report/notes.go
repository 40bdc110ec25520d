package report

import (
	"fmt"
	"io"
	"strings"
)

// maxReason is the longest reason the table (String, WriteTable) prints
// on an item's line; the rest of a longer reason, like an item's Detail,
// becomes a numbered note printed once after the items.
const maxReason = 60

// notes numbers the long explanations of one text view; items with the
// same explanation share its number.
type notes struct {
	texts []string
	index map[string]int
	// whole: a reason with no Detail is shown whole, never cut (Summary:
	// one line either way, in the form callers already match).
	whole bool
}

// reason returns what an item's line shows: its short reason, followed by
// the marker of its note ("[2]") when it has a long explanation.
func (n *notes) reason(it Item) string {
	short, detail := it.Reason, it.Detail
	if !n.whole {
		short, detail = splitReason(it)
	}
	if detail == "" {
		return short
	}
	i, ok := n.index[detail]
	if !ok {
		if n.index == nil {
			n.index = map[string]int{}
		}
		n.texts = append(n.texts, detail)
		i = len(n.texts)
		n.index[detail] = i
	}
	return strings.TrimSpace(fmt.Sprintf("%s [%d]", short, i))
}

// write prints the notes, one a line, each after its marker.
func (n *notes) write(w io.Writer, sep string) error {
	for i, t := range n.texts {
		if _, err := fmt.Fprintf(w, "%s[%d] %s", sep, i+1, t); err != nil {
			return err
		}
	}
	return nil
}

// splitReason gives an item's short reason and long explanation: Reason
// and Detail as the writer set them, or, for a reason longer than
// maxReason with no Detail, the reason cut at a clause boundary (see
// clauseCut). Nothing is lost: short, a separator and detail are the
// whole reason.
func splitReason(it Item) (short, detail string) {
	if it.Detail != "" || len(it.Reason) <= maxReason {
		return it.Reason, it.Detail
	}
	cut := clauseCut(it.Reason)
	if cut < 0 {
		return it.Reason, ""
	}
	return it.Reason[:cut], it.Reason[cut+2:]
}

// clauseCut returns where to cut a long reason: the index of a "; ", ". ",
// ": " or ", " outside parentheses and double quotes, or -1 when there is
// none. Within the first maxReason bytes the end of a sentence or a "; "
// clause is preferred to a ": " or ", " one, and the earliest of its kind
// is taken (the head states the outcome, the rest explains it); with no
// boundary that early, the first one anywhere.
func clauseCut(s string) int {
	first, best, bestRank := -1, -1, 0
	depth, quoted := 0, false
	for i := 0; i+2 < len(s); i++ { // a boundary has text after it
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0 && i > 0 && s[i+1] == ' ' && strings.IndexByte(";.:,", c) >= 0:
			rank := 1
			if c == ';' || c == '.' {
				rank = 2
			}
			if first < 0 {
				first = i
			}
			if i <= maxReason && rank > bestRank {
				best, bestRank = i, rank
			}
		}
	}
	if best < 0 {
		return first
	}
	return best
}
