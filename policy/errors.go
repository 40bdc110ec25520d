package policy

import (
	"errors"
	"fmt"
	"strconv"
)

// Kinds of policy errors. Every error this package returns for bad input is
// an *Error whose Err wraps one of these, so callers can test the kind with
// errors.Is and the location with errors.As.
var (
	ErrSyntax       = errors.New("syntax error")
	ErrFormat       = errors.New("unknown policy format")
	ErrUnknownKey   = errors.New("unknown key")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrMissingKey   = errors.New("missing required key")
	ErrType         = errors.New("wrong value type")
	ErrEmpty        = errors.New("empty value")
	ErrABI          = errors.New("bad abi")
	ErrAccess       = errors.New("unknown access right")
	ErrPort         = errors.New("bad port")
	ErrVariable     = errors.New("bad variable")
	ErrEnv          = errors.New("bad environment variable")
	ErrPath         = errors.New("bad path")
	ErrPerm         = errors.New("bad unveil permissions")
	ErrPromises     = errors.New("bad promises")
	ErrTooLarge     = errors.New("policy too large")
)

// Error describes what is wrong with a policy and where.
type Error struct {
	File   string // file name given to Parse or Load; "" if none
	Line   int    // 1-based line of the offending key or value; 0 if unknown
	Column int    // 1-based column; 0 if unknown
	Key    string // location inside the document, e.g. "path_beneath[1].allowed_access[0]"
	Err    error  // wraps one of the Err* kinds
}

func (e *Error) Error() string {
	var b []byte
	if e.File != "" {
		b = append(b, e.File...)
	} else {
		b = append(b, "policy"...)
	}
	if e.Line > 0 {
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(e.Line), 10)
		if e.Column > 0 {
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(e.Column), 10)
		}
	}
	b = append(b, ": "...)
	if e.Key != "" {
		b = append(b, e.Key...)
		b = append(b, ": "...)
	}
	b = append(b, e.Err.Error()...)
	return string(b)
}

func (e *Error) Unwrap() error { return e.Err }

// origin records where a rule came from, for errors found at Resolve time
// (after composition). For TOML the line is looked up only when an error
// is reported.
type origin struct {
	file      string
	line, col int
	key       string
	loc       *tomlLocator
	at        path
}

func (o origin) errorf(kind error, format string, args ...any) *Error {
	line, col := o.line, o.col
	if line == 0 && o.loc != nil {
		line, col = o.loc.find(o.at)
	}
	return &Error{File: o.file, Line: line, Column: col, Key: o.key,
		Err: fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)}
}

// less orders origins so that composition keeps a deterministic one.
func (o origin) less(p origin) bool {
	if o.file != p.file {
		return o.file < p.file
	}
	if o.key != p.key {
		return o.key < p.key
	}
	if o.line != p.line {
		return o.line < p.line
	}
	return o.col < p.col
}
