package promises

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// Promise is one promise, as a single bit of a Set.
type Promise uint8

// Set is a set of promises.
type Set uint64

// The promises, in OpenBSD's pledgenames order (the order in which a
// violation message names "the first promise that would allow it").
const (
	Stdio Promise = iota
	Rpath
	Wpath
	Cpath
	Dpath
	Tmppath
	Inet
	Mcast
	Fattr
	Chown
	Flock
	Unix
	DNS
	Getpw
	Sendfd
	Recvfd
	Tape
	TTY
	Proc
	Exec
	ProtExec
	Settime
	PS
	Vminfo
	ID
	PF
	Route
	Wroute
	Audio
	Video
	BPF
	Unveil
	Error
	Disklabel
	DRM
	VMM
	Anet // Cosmopolitan's "any network" promise: inet without connect restrictions
	numPromises
)

var names = [numPromises]string{
	Stdio: "stdio", Rpath: "rpath", Wpath: "wpath", Cpath: "cpath", Dpath: "dpath",
	Tmppath: "tmppath", Inet: "inet", Mcast: "mcast", Fattr: "fattr", Chown: "chown",
	Flock: "flock", Unix: "unix", DNS: "dns", Getpw: "getpw", Sendfd: "sendfd",
	Recvfd: "recvfd", Tape: "tape", TTY: "tty", Proc: "proc", Exec: "exec",
	ProtExec: "prot_exec", Settime: "settime", PS: "ps", Vminfo: "vminfo", ID: "id",
	PF: "pf", Route: "route", Wroute: "wroute", Audio: "audio", Video: "video",
	BPF: "bpf", Unveil: "unveil", Error: "error", Disklabel: "disklabel", DRM: "drm",
	VMM: "vmm", Anet: "anet",
}

// All returns every promise, in pledgenames order.
func All() []Promise {
	out := make([]Promise, numPromises)
	for i := range out {
		out[i] = Promise(i)
	}
	return out
}

// String returns the promise's name.
func (p Promise) String() string {
	if p < numPromises {
		return names[p]
	}
	return fmt.Sprintf("promise(%d)", uint8(p))
}

// Lookup returns the promise with the given name.
func Lookup(name string) (Promise, bool) {
	for i, n := range names {
		if n == name {
			return Promise(i), true
		}
	}
	return 0, false
}

// Of returns the set holding the given promises.
func Of(ps ...Promise) Set {
	var s Set
	for _, p := range ps {
		s |= 1 << p
	}
	return s
}

// Has reports whether p is in s.
func (s Set) Has(p Promise) bool { return s&(1<<p) != 0 }

// With returns s plus p.
func (s Set) With(p Promise) Set { return s | 1<<p }

// Without returns s minus p.
func (s Set) Without(p Promise) Set { return s &^ (1 << p) }

// Beyond returns what s grants that t does not: the promises of s not in
// t, except "error", which changes the penalty and grants nothing. An
// execpromises with "error" is therefore never wider than promises
// without it (OpenBSD's pattern pledge("stdio exec", "stdio error")).
func (s Set) Beyond(t Set) Set { return (s &^ t).Without(Error) }

// SubsetOf reports whether every promise in s is also in t.
func (s Set) SubsetOf(t Set) bool { return s&^t == 0 }

// Len returns the number of promises in s.
func (s Set) Len() int { return bits.OnesCount64(uint64(s)) }

// Promises returns the members of s in pledgenames order.
func (s Set) Promises() []Promise {
	var out []Promise
	for p := Promise(0); p < numPromises; p++ {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// String returns s as a promise string that Parse accepts ("" for the
// empty set).
func (s Set) String() string {
	ps := s.Promises()
	ns := make([]string, len(ps))
	for i, p := range ps {
		ns[i] = p.String()
	}
	return strings.Join(ns, " ")
}

// ErrUnknown is wrapped by the error Parse returns for a word that is not a
// promise name (including words containing tabs or other whitespace).
var ErrUnknown = errors.New("unknown promise")

// ErrRemoved is wrapped by the error Parse returns for "tmppath": OpenBSD
// removed it in 2026 (its pledge(2) answers EINVAL), and on Linux it could
// only have granted path operations that the filter cannot limit to one
// directory. The error says what to use instead.
var ErrRemoved = errors.New("removed promise")

// ErrEmptyWord is wrapped by the error Parse returns for an empty word,
// which only a leading space produces (OpenBSD rejects it with EINVAL).
var ErrEmptyWord = errors.New("empty promise word (leading space)")

// ErrTooLong is wrapped by the error Parse returns for a promise string
// longer than OpenBSD's limit of MaxLen bytes.
var ErrTooLong = errors.New("promise string too long")

// MaxLen is the longest promise string OpenBSD accepts (MAXPATHLEN-1).
const MaxLen = 1023

// ParseError reports the offending word of a promise string.
type ParseError struct {
	Input  string // the whole promise string
	Word   string // the offending word
	Offset int    // byte offset of Word in Input
	Err    error  // ErrUnknown, ErrRemoved, ErrEmptyWord or ErrTooLong
}

func (e *ParseError) Error() string {
	switch e.Err {
	case ErrEmptyWord:
		return fmt.Sprintf("promises %q: %v at offset %d; separate promises with single spaces", e.Input, e.Err, e.Offset)
	case ErrTooLong:
		return fmt.Sprintf("promises: %v (%d bytes, limit %d)", e.Err, len(e.Input), MaxLen)
	case ErrRemoved:
		return fmt.Sprintf("promises %q: %v %q at offset %d: OpenBSD removed it in 2026 and so does pledgekit; "+
			"for temporary files promise \"rpath wpath cpath\" and unveil the temporary directory (os.TempDir()) with \"rwc\"",
			e.Input, e.Err, e.Word, e.Offset)
	}
	hint := ""
	if strings.ContainsAny(e.Word, "\t\n\r\v\f") {
		hint = " (separate promises with single spaces; tabs and newlines are not separators)"
	}
	return fmt.Sprintf("promises %q: %v %q at offset %d%s; known promises: %s", e.Input, e.Err, e.Word, e.Offset, hint, strings.Join(names[:], " "))
}

func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a promise string as OpenBSD's pledge(2) does: words are
// separated by single or repeated spaces; trailing spaces are fine; a
// leading space (an empty first word), a tab, or an unknown or
// differently-cased name is an error naming the offending word. Duplicates
// are harmless. The empty string is the empty set.
func Parse(s string) (Set, error) {
	if len(s) > MaxLen {
		return 0, &ParseError{Input: s, Err: ErrTooLong}
	}
	var set Set
	i := 0
	first := true
	for i < len(s) {
		j := strings.IndexByte(s[i:], ' ')
		var w string
		if j < 0 {
			w, j = s[i:], len(s)
		} else {
			w, j = s[i:i+j], i+j
		}
		if w == "" {
			if first {
				return 0, &ParseError{Input: s, Offset: i, Err: ErrEmptyWord}
			}
		} else {
			p, ok := Lookup(w)
			if !ok {
				return 0, &ParseError{Input: s, Word: w, Offset: i, Err: ErrUnknown}
			}
			if p == Tmppath {
				return 0, &ParseError{Input: s, Word: w, Offset: i, Err: ErrRemoved}
			}
			set = set.With(p)
		}
		first = false
		i = j + 1
	}
	return set, nil
}

// MustParse is Parse for constant strings; it panics on error.
func MustParse(s string) Set {
	set, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return set
}
