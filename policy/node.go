package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// The two syntaxes are first read into the same small tree, which the
// schema walk in config.go then checks. JSON nodes carry exact positions;
// TOML nodes get best-effort positions from tomlLocator when an error is
// reported (the TOML decoder does not expose per-value positions).

type nodeKind uint8

const (
	nodeString nodeKind = iota
	nodeInt
	nodeFloat
	nodeBool
	nodeNull
	nodeArray
	nodeObject
	nodeDatetime
)

func (k nodeKind) String() string {
	switch k {
	case nodeString:
		return "string"
	case nodeInt:
		return "integer"
	case nodeFloat:
		return "float"
	case nodeBool:
		return "boolean"
	case nodeNull:
		return "null"
	case nodeArray:
		return "array"
	case nodeObject:
		return "table"
	}
	return "datetime"
}

type node struct {
	kind      nodeKind
	line, col int // 0 when unknown (TOML)
	str       string
	num       string // integer literal (decimal, optional leading '-')
	arr       []*node
	fields    []field
}

type field struct {
	key       string
	line, col int
	val       *node
}

// path is a location in a document: string keys and int indexes.
type path []any

func (p path) key(k string) path { return append(p[:len(p):len(p)], k) }
func (p path) index(i int) path  { return append(p[:len(p):len(p)], i) }
func (p path) String() string {
	var b strings.Builder
	for _, e := range p {
		switch e := e.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(e)
		case int:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e))
			b.WriteByte(']')
		}
	}
	return b.String()
}

// maxDepth bounds nesting; policies need 3 levels. maxDots bounds the dots
// on one TOML line outside strings and comments (dotted keys nest too).
const (
	maxDepth = 64
	maxDots  = 256
)

// MaxSize is the largest policy document Parse accepts, in bytes.
const MaxSize = 1 << 20

var bom = []byte("\xEF\xBB\xBF")

// ---- JSON ----

type jsonReader struct {
	data  []byte
	dec   *json.Decoder
	lines []int // byte offset of each line start
}

func (r *jsonReader) pos(off int) (line, col int) {
	i := sort.Search(len(r.lines), func(i int) bool { return r.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	if off > len(r.data) {
		off = len(r.data)
	}
	return i + 1, utf8.RuneCount(r.data[r.lines[i]:off]) + 1
}

// next returns the offset where the next token starts.
func (r *jsonReader) next() int {
	off := int(r.dec.InputOffset())
	for off < len(r.data) {
		switch r.data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
			continue
		}
		break
	}
	return off
}

type syntaxError struct {
	line, col int
	msg       string
}

func (e *syntaxError) Error() string { return e.msg }

func parseJSONTree(data []byte) (*node, error) {
	data = bytes.TrimPrefix(data, bom)
	r := &jsonReader{data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			r.lines = append(r.lines, i+1)
		}
	}
	// JSON text is UTF-8 (RFC 8259); the decoder would silently replace a
	// bad byte in a path with U+FFFD, naming another path.
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			c, size := utf8.DecodeRune(data[off:])
			if c == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		l, c := r.pos(off)
		return nil, &syntaxError{l, c, fmt.Sprintf("invalid UTF-8 byte 0x%02x", data[off])}
	}
	r.dec = json.NewDecoder(bytes.NewReader(data))
	r.dec.UseNumber()
	n, err := r.value(0)
	if err == nil {
		off := r.next()
		if _, terr := r.dec.Token(); terr != io.EOF {
			l, c := r.pos(off)
			err = &syntaxError{l, c, "unexpected data after the top-level value"}
		}
	}
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			l, c := r.pos(syntaxErrorOffset(data, se))
			return nil, &syntaxError{l, c, se.Error()}
		}
		var ours *syntaxError
		var pe *Error
		if errors.As(err, &ours) || errors.As(err, &pe) {
			return nil, err
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			l, c := r.pos(len(data))
			return nil, &syntaxError{l, c, "unexpected end of JSON input"}
		}
		l, c := r.pos(int(r.dec.InputOffset()))
		return nil, &syntaxError{l, c, err.Error()}
	}
	return n, nil
}

// syntaxErrorOffset returns the offset of the byte a JSON syntax error is
// about, and replaces *se with the error encoding/json's whole-document
// check reports there. The streaming Decoder's SyntaxError offsets and
// messages differ between Go releases (Go 1.27's Token blames the comma
// before a misplaced '}', a line early); the whole-document check,
// whose Offset counts the bytes read up to and including the bad one, has
// kept its meaning. If that check finds no syntax error (the decoder's is
// about something it does not see), the decoder's own offset is used.
func syntaxErrorOffset(data []byte, se *json.SyntaxError) int {
	var whole *json.SyntaxError
	if errors.As(json.Unmarshal(data, new(json.RawMessage)), &whole) && whole.Offset > 0 {
		*se = *whole
		return int(whole.Offset) - 1
	}
	return int(se.Offset)
}

func (r *jsonReader) value(depth int) (*node, error) {
	off := r.next()
	tok, err := r.dec.Token()
	if err != nil {
		return nil, err
	}
	l, c := r.pos(off)
	n := &node{line: l, col: c}
	switch t := tok.(type) {
	case json.Delim:
		if depth >= maxDepth {
			return nil, &syntaxError{l, c, fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
		}
		switch t {
		case '[':
			n.kind = nodeArray
			for r.dec.More() {
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
		case '{':
			n.kind = nodeObject
			seen := map[string]bool{}
			for r.dec.More() {
				koff := r.next()
				kt, err := r.dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				kl, kc := r.pos(koff)
				if !ok {
					return nil, &syntaxError{kl, kc, "object key is not a string"}
				}
				if seen[k] {
					return nil, &Error{Line: kl, Column: kc, Key: k,
						Err: fmt.Errorf("%w %q: each key may appear once per object", ErrDuplicateKey, k)}
				}
				seen[k] = true
				v, err := r.value(depth + 1)
				if err != nil {
					return nil, err
				}
				n.fields = append(n.fields, field{key: k, line: kl, col: kc, val: v})
			}
		default:
			return nil, &syntaxError{l, c, fmt.Sprintf("unexpected %q", rune(t))}
		}
		if _, err := r.dec.Token(); err != nil { // closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = nodeString, t
	case json.Number:
		s := string(t)
		if isIntLiteral(s) {
			n.kind, n.num = nodeInt, s
		} else {
			n.kind, n.str = nodeFloat, s
		}
	case bool:
		n.kind = nodeBool
		if t {
			n.str = "true"
		}
	case nil:
		n.kind = nodeNull
	}
	return n, nil
}

// isIntLiteral reports whether a JSON number is written as an integer
// (no fraction, no exponent), as the reference parser requires.
func isIntLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ---- TOML ----

func parseTOMLTree(data []byte) (n *node, err error) {
	data = bytes.TrimPrefix(data, bom)
	// A UTF-16 file is a common mistake: say so, rather than name its
	// first byte that is not valid TOML.
	if bytes.HasPrefix(data, []byte("\xFF\xFE")) || bytes.HasPrefix(data, []byte("\xFE\xFF")) ||
		bytes.IndexByte(data[:min(len(data), 6)], 0) >= 0 {
		return nil, &syntaxError{1, 1, "the file looks like UTF-16 (a UTF-16 byte order mark or a NUL byte at its start); TOML files must be UTF-8"}
	}
	if err := tomlDepthCheck(data); err != nil {
		return nil, err
	}
	var m map[string]any
	func() {
		// The decoder is well fuzzed, but bad input must never crash
		// the caller: report a decoder panic as a syntax error.
		defer func() {
			if p := recover(); p != nil {
				err = &syntaxError{0, 0, fmt.Sprintf("TOML decoder failed: %v", p)}
			}
		}()
		err = toml.Unmarshal(data, &m)
	}()
	if err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			// Line and column (in bytes, 1-based) of the offending text.
			l, c := de.Position()
			return nil, &syntaxError{l, c, strings.TrimPrefix(de.Error(), "toml: ")}
		}
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, &syntaxError{0, 0, strings.TrimPrefix(err.Error(), "toml: ")}
	}
	return tomlNode(m, 0)
}

func tomlNode(v any, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &syntaxError{0, 0, fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
	}
	switch v := v.(type) {
	case string:
		return &node{kind: nodeString, str: v}, nil
	case int64:
		return &node{kind: nodeInt, num: strconv.FormatInt(v, 10)}, nil
	case float64:
		return &node{kind: nodeFloat, str: strconv.FormatFloat(v, 'g', -1, 64)}, nil
	case bool:
		n := &node{kind: nodeBool}
		if v {
			n.str = "true"
		}
		return n, nil
	case map[string]any:
		n := &node{kind: nodeObject}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c, err := tomlNode(v[k], depth+1)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: k, val: c})
		}
		return n, nil
	case []any:
		n := &node{kind: nodeArray}
		for _, e := range v {
			c, err := tomlNode(e, depth+1)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, c)
		}
		return n, nil
	case time.Time, toml.LocalDateTime, toml.LocalDate, toml.LocalTime:
		return &node{kind: nodeDatetime}, nil
	}
	return nil, &syntaxError{0, 0, fmt.Sprintf("unexpected TOML value of Go type %T", v)}
}

// tomlLocator finds the line of a key from its document path, by scanning
// table headers: the i-th [[name]] header starts element i of an array of
// tables, [name] starts a table. It is best effort (keys written as inline
// tables fall back to the top-level key's line; a line that only looks like
// a header inside a multi-line string can mislead it); 0 means not found.
type tomlLocator struct {
	lines []string
}

func newTOMLLocator(data []byte) *tomlLocator {
	data = bytes.TrimPrefix(data, bom)
	return &tomlLocator{lines: strings.Split(string(data), "\n")}
}

func (t *tomlLocator) find(p path) (line, col int) {
	if t == nil || len(p) == 0 {
		return 0, 0
	}
	top, _ := p[0].(string)
	idx, sub := -1, ""
	if len(p) > 1 {
		switch e := p[1].(type) {
		case int:
			idx = e
			if len(p) > 2 {
				sub, _ = p[2].(string)
			}
		case string:
			sub = e
		}
	}
	// Section (header name, array index) to look in, and key inside it.
	section, sectionIdx, key := "", -1, top
	switch {
	case idx >= 0 && sub != "":
		section, sectionIdx, key = top, idx, sub
	case idx >= 0:
		section, sectionIdx, key = top, idx, ""
	case sub != "":
		section, key = top, sub
	}
	if l, c := t.scan(section, sectionIdx, key); l > 0 {
		return l, c
	}
	if len(p) == 1 {
		// A table or array of tables: its (first) header.
		if l, c := t.scan(top, -1, ""); l > 0 {
			return l, c
		}
		if l, c := t.scan(top, 0, ""); l > 0 {
			return l, c
		}
	}
	if section != "" {
		// Inline or dotted forms: point at the top-level key.
		if l, c := t.scan("", -1, top); l > 0 {
			return l, c
		}
		if key != "" {
			if l, c := t.scan("", -1, top+"."+key); l > 0 {
				return l, c
			}
		}
	}
	return 0, 0
}

// scan looks for key (or, if key is "", the header itself) in the section
// named section ("" is the top level); sectionIdx >= 0 selects the n-th
// [[section]], -1 a [section] table.
func (t *tomlLocator) scan(section string, sectionIdx int, key string) (int, int) {
	cur, curIdx := "", -1
	count := map[string]int{}
	for i, raw := range t.lines {
		s := strings.TrimLeft(raw, " \t")
		indent := len(raw) - len(s) + 1
		if strings.HasPrefix(s, "[") {
			arr := strings.HasPrefix(s, "[[")
			name := strings.TrimLeft(s, "[")
			if j := strings.IndexByte(name, ']'); j >= 0 {
				name = name[:j]
			}
			name = strings.Trim(strings.TrimSpace(name), `"'`)
			cur, curIdx = name, -1
			if arr {
				curIdx = count[name]
				count[name]++
			}
			if key == "" && cur == section && curIdx == sectionIdx {
				return i + 1, indent
			}
			continue
		}
		if key == "" || cur != section || curIdx != sectionIdx {
			continue
		}
		if k, ok := tomlKeyOf(s); ok && k == key {
			return i + 1, indent
		}
	}
	return 0, 0
}

// tomlKeyOf returns the (possibly dotted, unquoted) key of a "key = value" line.
func tomlKeyOf(s string) (string, bool) {
	j := strings.IndexByte(s, '=')
	if j <= 0 {
		return "", false
	}
	var parts []string
	for _, part := range strings.Split(s[:j], ".") {
		parts = append(parts, strings.Trim(strings.TrimSpace(part), `"'`))
	}
	return strings.Join(parts, "."), true
}

// tomlDepthCheck rejects TOML nested deeper than maxDepth (brackets and
// braces outside strings and comments, and dotted-key components) before
// the decoder sees it: the decoder's cost grows faster than linearly with
// nesting (10,000 nested inline tables take about a minute).
func tomlDepthCheck(data []byte) error {
	depth, line, dots := 0, 1, 0
	for i := 0; i < len(data); i++ {
		c := data[i]
		switch c {
		case '\n':
			line++
			dots = 0
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			q := c
			multi := i+2 < len(data) && data[i+1] == q && data[i+2] == q
			if multi {
				i += 3
				for ; i < len(data); i++ {
					if data[i] == '\n' {
						line++
					}
					if q == '"' && data[i] == '\\' {
						i++
						continue
					}
					if data[i] == q && i+2 < len(data) && data[i+1] == q && data[i+2] == q {
						i += 2
						break
					}
				}
				continue
			}
			for i++; i < len(data) && data[i] != q && data[i] != '\n'; i++ {
				if q == '"' && data[i] == '\\' {
					i++
				}
			}
			if i < len(data) && data[i] == '\n' {
				line++
			}
		case '[', '{':
			if depth++; depth > maxDepth {
				return &syntaxError{line, 0, fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
			}
		case ']', '}':
			depth--
		case '.':
			if dots++; dots > maxDots {
				return &syntaxError{line, 0, fmt.Sprintf("more than %d dots on one line (dotted keys nest)", maxDots)}
			}
		}
	}
	return nil
}
