package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// Test key pair (fixed seed: tests are reproducible).
var (
	testPriv = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	testPub  = testPriv.Public().(ed25519.PublicKey)
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

const sampleList = `version = 1
mirrors = ["https://mirror.example.org/repo/", "http://10.0.0.1:8080/arch"]
public_key = "MCowBQYDK2VwAyEAqVvYBjvCVx7tZ8gG2Bv3xHbB0cQKc6G1wY0PbWvEfn0="

[[file]]
name = "core.db"
size = 131072
sha256 = "5F7C0000000000000000000000000000000000000000000000000000000000AB"

[[file]]
name = "linux-6.18.4-1-x86_64.pkg.tar.zst"
size = 1
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
signed = true
urls = ["https://fast.example.org/linux-6.18.4-1-x86_64.pkg.tar.zst"]
`

func TestParseList(t *testing.T) {
	// The sample's key is not 32 bytes; use a valid one.
	src := strings.Replace(sampleList, "MCowBQYDK2VwAyEAqVvYBjvCVx7tZ8gG2Bv3xHbB0cQKc6G1wY0PbWvEfn0=", "qVvYBjvCVx7tZ8gG2Bv3xHbB0cQKc6G1wY0PbWvEfn0=", 1)
	l, err := ParseList([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Files) != 2 || l.Files[0].SHA256 != "5f7c0000000000000000000000000000000000000000000000000000000000ab" {
		t.Fatalf("%+v", l.Files)
	}
	got := l.URLsFor(&l.Files[1], []string{"https://extra.example.org/r"})
	want := []string{
		"https://fast.example.org/linux-6.18.4-1-x86_64.pkg.tar.zst",
		"https://mirror.example.org/repo/linux-6.18.4-1-x86_64.pkg.tar.zst",
		"http://10.0.0.1:8080/arch/linux-6.18.4-1-x86_64.pkg.tar.zst",
		"https://extra.example.org/r/linux-6.18.4-1-x86_64.pkg.tar.zst",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("URLsFor:\n got %q\nwant %q", got, want)
	}
	// The wrong-length key is rejected.
	if _, err := ParseList([]byte(sampleList)); !errors.Is(err, ErrBadList) {
		t.Fatalf("33+ byte key accepted: %v", err)
	}
}

func TestParseListRejects(t *testing.T) {
	file := func(extra string) string {
		return "version = 1\nmirrors = [\"https://m.example/r\"]\n[[file]]\nname = \"a\"\nsize = 1\nsha256 = \"" + strings.Repeat("0", 64) + "\"\n" + extra
	}
	cases := map[string]string{
		"no version":      strings.Replace(file(""), "version = 1\n", "", 1),
		"version 2":       strings.Replace(file(""), "version = 1", "version = 2", 1),
		"no files":        "version = 1\n",
		"typo key":        file("sha265 = \"x\"\n"),
		"unknown top key": "colour = 1\n" + file(""),
		"short sha":       strings.Replace(file(""), strings.Repeat("0", 64), "00", 1),
		"non-hex sha":     strings.Replace(file(""), strings.Repeat("0", 64), strings.Repeat("g", 64), 1),
		"negative size":   strings.Replace(file(""), "size = 1", "size = -1", 1),
		"huge size":       strings.Replace(file(""), "size = 1", "size = 2199023255553", 1),
		"file url":        file("urls = [\"file:///etc/passwd\"]\n"),
		"ftp url":         file("urls = [\"ftp://x/y\"]\n"),
		"no host":         file("urls = [\"https:///y\"]\n"),
		"user info":       file("urls = [\"https://u:p@x/y\"]\n"),
		"fragment":        file("urls = [\"https://x/y#z\"]\n"),
		"port 0":          file("urls = [\"https://x:0/y\"]\n"),
		"mirror query":    strings.Replace(file(""), "https://m.example/r", "https://m.example/r?a=b", 1),
		"duplicate":       file("[[file]]\nname = \"a\"\nsize = 1\nsha256 = \"" + strings.Repeat("0", 64) + "\"\n"),
		"bad key":         "public_key = \"!!\"\n" + file(""),
		"not toml":        "{]",
		"traversal name":  strings.Replace(file(""), `name = "a"`, `name = "../a"`, 1),
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseList([]byte(src)); !errors.Is(err, ErrBadList) {
				t.Fatalf("err = %v, want ErrBadList", err)
			}
		})
	}
	if _, err := ParseList(bytes.Repeat([]byte("#"), maxListBytes+1)); !errors.Is(err, ErrBadList) {
		t.Fatalf("oversized list: %v", err)
	}
}

func TestValidateName(t *testing.T) {
	good := []string{"core.db", "linux-6.18.4-1-x86_64.pkg.tar.zst", "a", "with space", "ünïcödé", "a..b", "x.sig2"}
	for _, n := range good {
		if err := ValidateName(n); err != nil {
			t.Errorf("%q rejected: %v", n, err)
		}
	}
	bad := []string{"", ".", "..", "../x", "x/..", "/abs", "a/b", `a\b`, ".hidden", "-rf", "x.part", "x.sig",
		"download-x", "nul\x00", "new\nline", "tab\t", "esc\x1b[2J", "bidi\u202e", "zw\u200b", "\xff", strings.Repeat("a", maxNameBytes+1)}
	for _, n := range bad {
		if err := ValidateName(n); !errors.Is(err, ErrBadName) {
			t.Errorf("%q accepted (%v)", n, err)
		}
	}
}

func TestCheckContentRange(t *testing.T) {
	ok := []struct {
		h     string
		off   int64
		known bool
		size  int64
	}{
		{"bytes 100-199/200", 100, true, 200},
		{"bytes 100-199/*", 100, true, 200},
		{"bytes 10-63/64", 10, false, 0},
	}
	for _, c := range ok {
		if err := checkContentRange(c.h, c.off, c.known, c.size); err != nil {
			t.Errorf("%q: %v", c.h, err)
		}
	}
	bad := []struct {
		h    string
		off  int64
		size int64
	}{
		{"", 100, 200}, {"bytes */200", 100, 200}, {"bytes 0-199/200", 100, 200}, {"bytes 100-198/200", 100, 200},
		{"bytes 100-199/300", 100, 200}, {"bytes 100-99/200", 100, 200}, {"bytes 100-199/199", 100, 200},
		{"items 100-199/200", 100, 200}, {"bytes -1-199/200", 100, 200}, {"bytes 100-199/x", 100, 200},
	}
	for _, c := range bad {
		if err := checkContentRange(c.h, c.off, true, c.size); err == nil {
			t.Errorf("%q accepted", c.h)
		}
	}
	if err := checkContentRange("bytes 10-5000/5001", 10, false, 0); err == nil {
		t.Error("signature range beyond the limit accepted")
	}
}

func TestSignatures(t *testing.T) {
	data := []byte("package contents")
	sig, err := SignFile(testPriv, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyFile(testPub, bytes.NewReader(data), sig); err != nil {
		t.Fatalf("good signature rejected: %v", err)
	}
	if err := VerifyFile(testPub, bytes.NewReader([]byte("package content5")), sig); err == nil {
		t.Fatal("signature of other data accepted")
	}
	bad := append([]byte(nil), sig...)
	bad[0] ^= 1
	if err := VerifyFile(testPub, bytes.NewReader(data), bad); err == nil {
		t.Fatal("corrupted signature accepted")
	}
	otherPub, _, _ := ed25519.GenerateKey(nil)
	if err := VerifyFile(otherPub, bytes.NewReader(data), sig); err == nil {
		t.Fatal("signature accepted with another key")
	}
	if err := VerifyFile(testPub, bytes.NewReader(data), sig[:63]); err == nil {
		t.Fatal("short signature accepted")
	}
	// A plain (not pre-hashed) Ed25519 signature is a different scheme.
	if err := VerifyFile(testPub, bytes.NewReader(data), ed25519.Sign(testPriv, data)); err == nil {
		t.Fatal("pure Ed25519 signature accepted as Ed25519ph")
	}
}

func TestParsePublicKey(t *testing.T) {
	raw := []byte(testPub)
	for _, in := range [][]byte{raw, []byte(" " + b64(raw) + "\n"), []byte(strings.TrimRight(b64(raw), "="))} {
		k, err := parsePublicKey(in)
		if err != nil || !bytes.Equal(k, raw) {
			t.Errorf("%q: %v", in, err)
		}
	}
	for _, in := range []string{"", "abc", b64([]byte("short"))} {
		if _, err := parsePublicKey([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// FuzzParseList: the list parser must not panic, and anything it accepts
// has only valid names and URLs.
func FuzzParseList(f *testing.F) {
	f.Add([]byte(sampleList))
	f.Add([]byte("version = 1\n[[file]]\nname = \"a\"\nsize = 1\nsha256 = \"" + strings.Repeat("0", 64) + "\"\nurls = [\"https://x/a\"]\n"))
	f.Add([]byte("version = 1\n[[file]]\nname = \"../a\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseList(data)
		if err != nil {
			if !errors.Is(err, ErrBadList) {
				t.Fatalf("error not wrapping ErrBadList: %v", err)
			}
			return
		}
		for i := range l.Files {
			if err := ValidateName(l.Files[i].Name); err != nil {
				t.Fatalf("accepted a bad name: %v", err)
			}
			for _, u := range l.URLsFor(&l.Files[i], nil) {
				if _, err := parseFileURL(u); err != nil {
					t.Fatalf("accepted a bad URL %q: %v", u, err)
				}
			}
		}
	})
}
