package main

import (
	"strings"
)

// compareDebVersions compares two Debian package versions
// ([epoch:]upstream[-revision]) by the rules of Debian Policy §5.6.12:
// it returns -1, 0 or +1. Malformed versions compare by the same
// character rules without failing, so sorting never panics.
func compareDebVersions(a, b string) int {
	ea, ua, ra := splitDebVersion(a)
	eb, ub, rb := splitDebVersion(b)
	if c := compareNumeric(ea, eb); c != 0 {
		return c
	}
	if c := compareDebPart(ua, ub); c != 0 {
		return c
	}
	return compareDebPart(ra, rb)
}

func splitDebVersion(v string) (epoch, upstream, revision string) {
	v = strings.TrimSpace(v)
	epoch = "0"
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	upstream = v
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		upstream, revision = v[:i], v[i+1:]
	}
	return epoch, upstream, revision
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// compareNumeric compares two strings of decimal digits of any length
// numerically (leading zeros ignored); non-digits are ignored.
func compareNumeric(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// debOrder is the sort weight of one character in the non-digit parts:
// '~' sorts before everything (even the end of the string), then the end,
// then letters, then everything else by ASCII.
func debOrder(c byte, end bool) int {
	switch {
	case end:
		return 0
	case c == '~':
		return -1
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return int(c)
	default:
		return int(c) + 256
	}
}

func compareDebPart(a, b string) int {
	for a != "" || b != "" {
		// non-digit prefix
		for (a != "" && !isDigit(a[0])) || (b != "" && !isDigit(b[0])) {
			var ca, cb int
			if a == "" || isDigit(a[0]) {
				ca = debOrder(0, true)
			} else {
				ca = debOrder(a[0], false)
				a = a[1:]
			}
			if b == "" || isDigit(b[0]) {
				cb = debOrder(0, true)
			} else {
				cb = debOrder(b[0], false)
				b = b[1:]
			}
			if ca != cb {
				if ca < cb {
					return -1
				}
				return 1
			}
		}
		// digit prefix
		i := 0
		for i < len(a) && isDigit(a[i]) {
			i++
		}
		j := 0
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		if c := compareNumeric(a[:i], b[:j]); c != 0 {
			return c
		}
		a, b = a[i:], b[j:]
	}
	return 0
}
