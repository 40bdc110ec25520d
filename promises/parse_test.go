package promises

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in      string
		want    Set
		err     error  // nil: success
		word    string // offending word
		wordOff int
	}{
		{in: "", want: 0},
		{in: "stdio", want: Of(Stdio)},
		{in: "stdio rpath", want: Of(Stdio, Rpath)},
		{in: "rpath stdio", want: Of(Stdio, Rpath)},
		{in: "stdio stdio", want: Of(Stdio)},
		{in: "stdio  rpath", want: Of(Stdio, Rpath)},   // double space
		{in: "stdio rpath ", want: Of(Stdio, Rpath)},   // trailing space
		{in: "stdio rpath   ", want: Of(Stdio, Rpath)}, // trailing spaces
		{in: "stdio   inet  dns", want: Of(Stdio, Inet, DNS)},
		{in: "prot_exec anet error", want: Of(ProtExec, Anet, Error)},
		{in: "stdio tmppath", err: ErrRemoved, word: "tmppath", wordOff: 6}, // OpenBSD 2026: EINVAL
		{in: " stdio", err: ErrEmptyWord, wordOff: 0},                       // leading space
		{in: "  stdio", err: ErrEmptyWord, wordOff: 0},                      // leading spaces
		{in: " ", err: ErrEmptyWord, wordOff: 0},                            // only a space
		{in: "stdio\trpath", err: ErrUnknown, word: "stdio\trpath"},
		{in: "stdio\t", err: ErrUnknown, word: "stdio\t"},
		{in: "stdio rpath\n", err: ErrUnknown, word: "rpath\n", wordOff: 6},
		{in: "Stdio", err: ErrUnknown, word: "Stdio"},
		{in: "stdio RPATH", err: ErrUnknown, word: "RPATH", wordOff: 6},
		{in: "stdio bogus rpath", err: ErrUnknown, word: "bogus", wordOff: 6},
		{in: "stdio protexec", err: ErrUnknown, word: "protexec", wordOff: 6}, // pre-2017 name
		{in: "stdio malloc", err: ErrUnknown, word: "malloc", wordOff: 6},     // pre-2017 name
		{in: "stdio execnative", err: ErrUnknown, word: "execnative", wordOff: 6},
		{in: strings.Repeat("stdio ", 170) + "rpath", want: Of(Stdio, Rpath)}, // 1025 bytes? see below
		{in: strings.Repeat("a", MaxLen+1), err: ErrTooLong},
	}
	// The long valid case must fit OpenBSD's limit.
	cases[len(cases)-2].in = strings.Repeat("stdio ", (MaxLen-5)/6) + "rpath"
	for _, c := range cases {
		got, err := Parse(c.in)
		if c.err == nil {
			if err != nil || got != c.want {
				t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
			}
			continue
		}
		if !errors.Is(err, c.err) {
			t.Errorf("Parse(%q) error = %v; want %v", c.in, err, c.err)
			continue
		}
		if got != 0 {
			t.Errorf("Parse(%q) returned set %v with an error", c.in, got)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q) error %T is not *ParseError", c.in, err)
			continue
		}
		if pe.Input != c.in || pe.Word != c.word || pe.Offset != c.wordOff {
			t.Errorf("Parse(%q): ParseError{Word %q, Offset %d}; want {%q, %d}", c.in, pe.Word, pe.Offset, c.word, c.wordOff)
		}
		if c.err == ErrUnknown && !strings.Contains(err.Error(), strconv.Quote(c.word)) {
			t.Errorf("Parse(%q): error %q does not name the word", c.in, err)
		}
		if strings.ContainsAny(c.word, "\t\n") && !strings.Contains(err.Error(), "single spaces") {
			t.Errorf("Parse(%q): error %q does not explain that only spaces separate promises", c.in, err)
		}
	}
}

func TestParseEveryName(t *testing.T) {
	// Every name OpenBSD (2025, including tmppath) and Cosmopolitan accept.
	openbsd := "audio bpf chown cpath disklabel dns dpath drm error exec fattr flock getpw id inet mcast pf " +
		"proc prot_exec ps recvfd route rpath sendfd settime stdio tape tmppath tty unix unveil video " +
		"vminfo vmm wpath wroute"
	cosmo := "stdio rpath wpath cpath dpath flock fattr inet unix dns tty recvfd proc exec id unveil sendfd " +
		"settime prot_exec vminfo tmppath chown anet"
	for _, w := range strings.Fields(openbsd + " " + cosmo) {
		s, err := Parse(w)
		if w == "tmppath" {
			// Removed from OpenBSD in 2026: refused, saying what to use.
			if !errors.Is(err, ErrRemoved) || !strings.Contains(err.Error(), "rpath wpath cpath") || !strings.Contains(err.Error(), "unveil") {
				t.Errorf("Parse(%q) = %v, %v; want ErrRemoved naming the replacement", w, s, err)
			}
			continue
		}
		if err != nil || s.Len() != 1 {
			t.Errorf("Parse(%q) = %v, %v", w, s, err)
		}
	}
	if n := len(strings.Fields(openbsd)); n != 36 {
		t.Fatalf("OpenBSD list has %d names, want 36", n)
	}
	all, err := Parse(strings.Replace(openbsd, " tmppath", "", 1) + " anet")
	if err != nil || all != Of(All()...).Without(Tmppath) {
		t.Fatalf("all names: %v (%d), %v; want %d promises", all, all.Len(), err, len(All())-1)
	}
}

func TestSetStringRoundTrip(t *testing.T) {
	for _, p := range All() {
		if got, err := Parse(p.String()); p != Tmppath && (err != nil || got != Of(p)) {
			t.Errorf("%v: Parse(String) = %v, %v", p, got, err)
		}
		if q, ok := Lookup(p.String()); !ok || q != p {
			t.Errorf("Lookup(%q) = %v, %v", p.String(), q, ok)
		}
	}
	full := Of(All()...).Without(Tmppath)
	if got, err := Parse(full.String()); err != nil || got != full {
		t.Errorf("full set round trip: %v, %v", got, err)
	}
	if len(full.String()) > MaxLen {
		t.Errorf("the full set's string (%d bytes) exceeds MaxLen", len(full.String()))
	}
	if s := Promise(200).String(); !strings.Contains(s, "200") {
		t.Errorf("out-of-range promise string %q", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "stdio", "stdio rpath wpath", " stdio", "stdio\trpath", "stdio  inet ",
		"STDIO", "prot_exec anet", "tmppath error", strings.Repeat("x", MaxLen+1)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Parse(in)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Input != in || s != 0 {
				t.Fatalf("Parse(%q): bad error %v (set %v)", in, err, s)
			}
			if pe.Offset < 0 || pe.Offset > len(in) || !strings.HasPrefix(in[pe.Offset:], pe.Word) {
				t.Fatalf("Parse(%q): ParseError offset %d word %q do not locate the word", in, pe.Offset, pe.Word)
			}
			_ = err.Error()
			return
		}
		back, err := Parse(s.String())
		if err != nil || back != s {
			t.Fatalf("Parse(%q) = %v, but Parse(%q) = %v, %v", in, s, s.String(), back, err)
		}
		// A successful parse only ever sees known words separated by spaces.
		for _, w := range strings.Split(in, " ") {
			if w == "" {
				continue
			}
			if _, ok := Lookup(w); !ok {
				t.Fatalf("Parse(%q) accepted unknown word %q", in, w)
			}
		}
	})
}

// TestBeyond: "error" in execpromises grants nothing, so it is never
// beyond the promises; every other promise not in them is.
func TestBeyond(t *testing.T) {
	for _, c := range []struct{ e, p, want string }{
		{"stdio error", "stdio rpath proc exec", ""},
		{"stdio rpath error", "stdio rpath", ""},
		{"stdio inet error", "stdio rpath", "inet"},
		{"stdio inet", "stdio rpath error", "inet"},
		{"stdio", "stdio", ""},
	} {
		if got := MustParse(c.e).Beyond(MustParse(c.p)); got != MustParse(c.want) {
			t.Errorf("%q.Beyond(%q) = %q, want %q", c.e, c.p, got, c.want)
		}
	}
}
