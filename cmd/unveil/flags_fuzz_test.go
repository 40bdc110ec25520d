package main

import (
	"errors"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Seeds: the checked-in corpus in testdata/fuzz, and these.

// argSep separates arguments in FuzzParseArgs's input: a command line's
// arguments are C strings, so none contains a NUL byte.
const argSep = "\x00"

func joinArgs(args ...string) string { return strings.Join(args, argSep) }

// FuzzParseArgs: parsing never panics; an error is a usage error and
// returns no config; a success leaves the program's arguments as a suffix
// of the command line that starts at "--" or at the first non-option;
// every -v value splits back into itself; parsing is deterministic.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{
		joinArgs("-p", "stdio rpath", "--", "cat", "/etc/hostname"),
		joinArgs("-kq", "-pstdio", "-v", "rwc:/tmp", "-v", "/a:b", "prog", "-x"),
		joinArgs("--policy=p.toml", "--tcp-connect", "80,443", "--tcp-bind=0", "--env", "A=1", "--", "-prog"),
		joinArgs("-M", "1g", "-O"),
		joinArgs("--frobnicate"),
		joinArgs("--tcp-connect", "70000", "x"),
		joinArgs("--env=", "x"),
		joinArgs("--format", "policy", "--", "py"),
		joinArgs("--arch", "arm64", "--bpf", "openat,read"),
		joinArgs("-", "--", "-h"),
		"",
	} {
		for set := uint8(0); set < 3; set++ {
			f.Add(s, set)
		}
	}
	tables := [][]option{
		options,
		append(append([]option(nil), options...), learnOptions...),
		explainOptions,
	}
	f.Fuzz(func(t *testing.T, line string, set uint8) {
		var args []string
		if line != "" {
			args = strings.Split(line, argSep)
		}
		opts := tables[int(set)%len(tables)]
		c, err := parseArgs(args, opts)
		if err != nil {
			if c != nil || !errors.Is(err, errUsage) {
				t.Fatalf("parseArgs(%q): config %+v, error %v: want no config and a usage error", args, c, err)
			}
			return
		}
		n := len(c.argv)
		if n > len(args) || !reflect.DeepEqual(c.argv, args[len(args)-n:]) && n > 0 {
			t.Fatalf("parseArgs(%q): program arguments %q are not a suffix", args, c.argv)
		}
		if n > 0 {
			i := len(args) - n
			if (i == 0 || args[i-1] != "--") && len(args[i]) > 1 && args[i][0] == '-' {
				t.Fatalf("parseArgs(%q): program arguments start at the option %q", args, args[i])
			}
		}
		for _, a := range args {
			// Split at the first colon (the permission is checked later,
			// see TestExitCodes), or all path with permission r.
			u := parseUnveilArg(a)
			i := strings.IndexByte(a, ':')
			if i >= 0 && (u.Perm != a[:i] || u.Path != a[i+1:]) || i < 0 && (u.Perm != "r" || u.Path != a) {
				t.Fatalf("parseUnveilArg(%q) = %+v", a, u)
			}
		}
		again, err := parseArgs(args, opts)
		if err != nil || !reflect.DeepEqual(c, again) {
			t.Fatalf("parseArgs(%q) is not deterministic: %+v then %+v, %v", args, c, again, err)
		}
	})
}

// sizeRef is parseSize written another way (math/big), to compare with.
func sizeRef(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	mult := int64(1)
	if i := strings.IndexByte("kmgtpe", s[len(s)-1]|0x20); i >= 0 {
		mult = 1 << (10 * (i + 1)) // k: 2^10 ... e: 2^60
		s = s[:len(s)-1]
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, false
	}
	n, ok := new(big.Int).SetString(s, 0)
	if !ok {
		return 0, false
	}
	n.Mul(n, big.NewInt(mult))
	if !n.IsUint64() {
		return 0, false
	}
	return n.Uint64(), true
}

// FuzzParseSize: parseSize never panics, agrees with sizeRef, and an error
// quotes the input.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "1", "64", "256000000", "4k", "4K", "1m", "2g", "1t", "1p", "15e", "16e",
		"0x10", "010", "0b101", "0o17", "1_000", "18446744073709551615", "18446744073709551616", "k", "",
		"12q", "-1", "+1", "1.5g", " 1", "1 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSize(s)
		want, ok := sizeRef(s)
		if (err == nil) != ok || got != want {
			t.Fatalf("parseSize(%q) = %d, %v; want %d, ok %v", s, got, err, want, ok)
		}
		if err != nil && s != "" && !strings.Contains(err.Error(), strconv.Quote(s)) {
			t.Fatalf("parseSize(%q): the error does not quote the input: %v", s, err)
		}
	})
}
