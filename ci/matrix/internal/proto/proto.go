// Package proto is the line protocol between the matrix guest (guestinit,
// probecheck) and the host runner (ci/matrix), and the guest configuration
// file the host writes into the initramfs.
//
// A record is one line on the console:
//
//	@@PLEDGEKIT <kind> key=value key="quoted value"@@
//
// Values that are empty or contain anything outside [A-Za-z0-9._/:+,=-] are
// written as Go-quoted strings. A record may be preceded by other text on the
// same line (kernel messages can interleave on a serial console); everything
// before the prefix is ignored.
package proto

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Prefix and Suffix delimit a record on a line.
const (
	Prefix = "@@PLEDGEKIT "
	Suffix = "@@"
)

// Record kinds.
const (
	KindBoot    = "boot"    // kernel release, machine, cell
	KindKernel  = "kernel"  // raw kernel facts measured by the init itself
	KindProbe   = "probe"   // internal/probe's verdict (from probecheck)
	KindSandbox = "sandbox" // one unveil fail-closed/degradation check (from sandboxcheck)
	KindBegin   = "begin"   // a test binary starts
	KindResult  = "result"  // a test binary finished
	KindDone    = "done"    // the guest finished all work
)

// Record is one parsed protocol line.
type Record struct {
	Kind   string
	Fields map[string]string
}

// Get returns the field value, or "" if absent.
func (r Record) Get(key string) string { return r.Fields[key] }

// Int returns the field as an int, or def if absent or malformed.
func (r Record) Int(key string, def int) int {
	v, ok := r.Fields[key]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return def
	}
	return n
}

// ErrMalformed is returned by Parse for a line that carries the prefix but
// is not a well-formed record.
var ErrMalformed = errors.New("malformed @@PLEDGEKIT record")

func bare(v string) bool {
	if v == "" {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("._/:+,=-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Format renders a record. kv holds key, value pairs; keys must be
// [a-z0-9_]+ (Format panics otherwise: keys are program constants, never
// input). Keys are written in the order given.
func Format(kind string, kv ...string) string {
	if len(kv)%2 != 0 || !validKey(kind) {
		panic("proto.Format: bad kind or odd number of key/value arguments")
	}
	var b strings.Builder
	b.WriteString(Prefix)
	b.WriteString(kind)
	for i := 0; i < len(kv); i += 2 {
		if !validKey(kv[i]) {
			panic("proto.Format: bad key " + strconv.Quote(kv[i]))
		}
		b.WriteByte(' ')
		b.WriteString(kv[i])
		b.WriteByte('=')
		if bare(kv[i+1]) {
			b.WriteString(kv[i+1])
		} else {
			b.WriteString(strconv.Quote(kv[i+1]))
		}
	}
	b.WriteString(Suffix)
	return b.String()
}

// FormatMap renders a record with keys in sorted order.
func FormatMap(kind string, m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	kv := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		kv = append(kv, k, m[k])
	}
	return Format(kind, kv...)
}

// Parse extracts a record from one console line. ok is false if the line
// carries no record; err is non-nil (wrapping ErrMalformed) if it carries
// the prefix but the record is broken (for example cut by a kernel message).
func Parse(line string) (rec Record, ok bool, err error) {
	line = strings.TrimRight(line, "\r\n")
	i := strings.Index(line, Prefix)
	if i < 0 {
		return Record{}, false, nil
	}
	s := line[i+len(Prefix):]
	fail := func(why string) (Record, bool, error) {
		return Record{}, false, fmt.Errorf("%w: %s in %q", ErrMalformed, why, line)
	}
	// kind
	j := strings.IndexAny(s, " @")
	if j < 0 {
		return fail("unterminated")
	}
	kind := s[:j]
	if !validKey(kind) {
		return fail("bad kind")
	}
	s = s[j:]
	rec = Record{Kind: kind, Fields: map[string]string{}}
	for {
		if strings.HasPrefix(s, Suffix) {
			if rest := strings.TrimSpace(s[len(Suffix):]); rest != "" {
				return fail("trailing text after record")
			}
			return rec, true, nil
		}
		if !strings.HasPrefix(s, " ") {
			return fail("expected space or end of record")
		}
		s = s[1:]
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return fail("field without '='")
		}
		key := s[:eq]
		if !validKey(key) {
			return fail("bad key")
		}
		if _, dup := rec.Fields[key]; dup {
			return fail("duplicate key " + key)
		}
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return fail("bad quoted value")
			}
			val, err = strconv.Unquote(q)
			if err != nil {
				return fail("bad quoted value")
			}
			s = s[len(q):]
		} else {
			end := strings.IndexAny(s, " @")
			if end < 0 {
				return fail("unterminated")
			}
			val = s[:end]
			if !bare(val) {
				return fail("bad bare value")
			}
			s = s[end:]
		}
		rec.Fields[key] = val
	}
}
