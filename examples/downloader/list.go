package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
)

// The download list is a small TOML file: what to fetch, from where, and
// what it must hash to. It is configuration (trusted, like pacman.conf plus
// a sync database); the parent validates it before anything is spawned, and
// the child re-validates the names it is given.
//
//	version = 1
//	mirrors = ["https://mirror.example.org/repo"]   # base URLs; <mirror>/<name>
//	public_key = "base64 ed25519 public key"          # optional, or --key FILE
//
//	[[file]]
//	name   = "core.db"
//	size   = 131072
//	sha256 = "5f7c…"
//	signed = true       # fetch <url>.sig: a detached Ed25519ph signature
//	urls   = ["https://other.example.org/core.db"]    # optional, tried first

// Limits of the list format. They bound what the parent accepts and what
// the wire protocol must be able to express.
const (
	maxListBytes   = 4 << 20
	maxFiles       = 4096
	maxURLsPerFile = 16
	maxNameBytes   = 200 // leaves room for ".sig.part" within NAME_MAX
	maxURLBytes    = 2048
	maxFileSize    = 1 << 40
	maxSigSize     = 4096 // a .sig is 64 bytes; anything over this is hostile
	sigSuffix      = ".sig"
	partSuffix     = ".part"
	tempDirPrefix  = "download-"
	lockFileName   = ".downloader.lock"
)

// ErrBadList is returned (wrapped) for any invalid download list.
var ErrBadList = errors.New("invalid download list")

// ErrBadName is returned (wrapped) for a file name that is not a single,
// printable path component.
var ErrBadName = errors.New("invalid file name")

// List is a parsed download list.
type List struct {
	Version   int        `toml:"version" json:"version"`
	Mirrors   []string   `toml:"mirrors" json:"mirrors,omitempty"`
	PublicKey string     `toml:"public_key" json:"public_key,omitempty"`
	Files     []FileSpec `toml:"file" json:"files"`
}

// FileSpec is one file to download.
type FileSpec struct {
	Name   string   `toml:"name" json:"name"`
	Size   int64    `toml:"size" json:"size"`
	SHA256 string   `toml:"sha256" json:"sha256"`
	Signed bool     `toml:"signed" json:"signed,omitempty"`
	URLs   []string `toml:"urls" json:"urls,omitempty"`
}

// ParseList decodes and validates a download list. Unknown keys are errors
// (a typo such as "sha265" must not silently disable a check).
func ParseList(data []byte) (*List, error) {
	if len(data) > maxListBytes {
		return nil, fmt.Errorf("%w: %d bytes is over the %d byte limit", ErrBadList, len(data), maxListBytes)
	}
	var l List
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&l); err != nil {
		var unknown *toml.StrictMissingError
		if errors.As(err, &unknown) {
			keys := make([]string, 0, len(unknown.Errors))
			for _, e := range unknown.Errors {
				keys = append(keys, strconv.Quote(strings.Join(e.Key(), ".")))
			}
			return nil, fmt.Errorf("%w: unknown keys %s", ErrBadList, strings.Join(keys, ", "))
		}
		return nil, fmt.Errorf("%w: %w", ErrBadList, err)
	}
	if err := l.validate(); err != nil {
		return nil, err
	}
	return &l, nil
}

func (l *List) validate() error {
	if l.Version != 1 {
		return fmt.Errorf("%w: version = %d, want 1", ErrBadList, l.Version)
	}
	if len(l.Files) == 0 {
		return fmt.Errorf("%w: no [[file]] entries", ErrBadList)
	}
	if len(l.Files) > maxFiles {
		return fmt.Errorf("%w: %d files is over the limit of %d", ErrBadList, len(l.Files), maxFiles)
	}
	if len(l.Mirrors) > maxURLsPerFile {
		return fmt.Errorf("%w: %d mirrors is over the limit of %d", ErrBadList, len(l.Mirrors), maxURLsPerFile)
	}
	for _, m := range l.Mirrors {
		if _, err := parseMirrorURL(m); err != nil {
			return fmt.Errorf("%w: mirror %q: %w", ErrBadList, m, err)
		}
	}
	if l.PublicKey != "" {
		if _, err := parsePublicKey([]byte(l.PublicKey)); err != nil {
			return fmt.Errorf("%w: public_key: %w", ErrBadList, err)
		}
	}
	seen := make(map[string]int, 2*len(l.Files))
	for i := range l.Files {
		f := &l.Files[i]
		if err := ValidateName(f.Name); err != nil {
			return fmt.Errorf("%w: file %d: %w", ErrBadList, i+1, err)
		}
		for _, n := range []string{f.Name, f.Name + sigSuffix} {
			if j, dup := seen[n]; dup {
				return fmt.Errorf("%w: file %d (%q) collides with file %d on name %q", ErrBadList, i+1, f.Name, j+1, n)
			}
		}
		seen[f.Name] = i
		if f.Signed {
			seen[f.Name+sigSuffix] = i
		}
		if f.Size < 0 || f.Size > maxFileSize {
			return fmt.Errorf("%w: file %q: size %d out of range 0..%d", ErrBadList, f.Name, f.Size, int64(maxFileSize))
		}
		if len(f.SHA256) != 64 {
			return fmt.Errorf("%w: file %q: sha256 must be 64 hex digits", ErrBadList, f.Name)
		}
		if _, err := hex.DecodeString(f.SHA256); err != nil {
			return fmt.Errorf("%w: file %q: sha256: %w", ErrBadList, f.Name, err)
		}
		f.SHA256 = strings.ToLower(f.SHA256)
		if len(f.URLs) > maxURLsPerFile {
			return fmt.Errorf("%w: file %q: %d urls is over the limit of %d", ErrBadList, f.Name, len(f.URLs), maxURLsPerFile)
		}
		for _, u := range f.URLs {
			if _, err := parseFileURL(u); err != nil {
				return fmt.Errorf("%w: file %q: url %q: %w", ErrBadList, f.Name, u, err)
			}
		}
	}
	return nil
}

// URLsFor returns the URLs to try for f, in order: the file's own URLs, then
// each mirror (the list's, then extra ones from --mirror) joined with the
// escaped name. Duplicates are dropped; at most maxURLsPerFile are kept.
func (l *List) URLsFor(f *FileSpec, extraMirrors []string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if !seen[u] && len(out) < maxURLsPerFile {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, u := range f.URLs {
		add(u)
	}
	for _, m := range append(append([]string(nil), l.Mirrors...), extraMirrors...) {
		add(strings.TrimRight(m, "/") + "/" + url.PathEscape(f.Name))
	}
	return out
}

// ValidateName accepts a name only if it is one printable path component
// that cannot be confused with the downloader's own files: no slash or
// backslash, not "." or "..", no leading dot or dash, no control, format
// or bidirectional-override characters (terminal spoofing), valid UTF-8,
// at most maxNameBytes bytes, and no reserved ".part"/".sig" suffix.
func ValidateName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty", ErrBadName)
	case len(name) > maxNameBytes:
		return fmt.Errorf("%w: %d bytes is over the limit of %d", ErrBadName, len(name), maxNameBytes)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrBadName, name)
	case name == "." || name == "..":
		return fmt.Errorf("%w: %q is a directory reference", ErrBadName, name)
	case strings.ContainsAny(name, "/\\"):
		return fmt.Errorf("%w: %q contains a path separator", ErrBadName, name)
	case name[0] == '.':
		return fmt.Errorf("%w: %q starts with a dot (reserved for the downloader's own files)", ErrBadName, name)
	case name[0] == '-':
		return fmt.Errorf("%w: %q starts with a dash", ErrBadName, name)
	case strings.HasSuffix(name, partSuffix), strings.HasSuffix(name, sigSuffix):
		return fmt.Errorf("%w: %q ends in a reserved suffix (%s, %s)", ErrBadName, name, partSuffix, sigSuffix)
	case strings.HasPrefix(name, tempDirPrefix):
		return fmt.Errorf("%w: %q starts with the reserved prefix %q", ErrBadName, name, tempDirPrefix)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) && r != ' ' {
			return fmt.Errorf("%w: %q contains the non-printable character %U", ErrBadName, name, r)
		}
	}
	return nil
}

// parseMirrorURL checks a mirror base URL.
func parseMirrorURL(s string) (*url.URL, error) {
	u, err := parseFileURL(s)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" {
		return nil, errors.New("a mirror base URL cannot have a query")
	}
	return u, nil
}

// parseFileURL checks one download URL: http or https, a host, no fragment,
// no user info (credentials do not belong in a list that is printed).
func parseFileURL(s string) (*url.URL, error) {
	if len(s) > maxURLBytes {
		return nil, fmt.Errorf("longer than %d bytes", maxURLBytes)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("scheme %q not allowed (use https or http)", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("no host")
	}
	if u.User != nil {
		return nil, errors.New("user info in URLs is not allowed")
	}
	if u.Fragment != "" {
		return nil, errors.New("fragment not allowed")
	}
	if _, err := urlPort(u); err != nil {
		return nil, err
	}
	return u, nil
}

// urlPort is the TCP port a URL connects to.
func urlPort(u *url.URL) (uint16, error) {
	p := u.Port()
	if p == "" {
		if u.Scheme == "https" {
			return 443, nil
		}
		return 80, nil
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad port %q", p)
	}
	return uint16(n), nil
}

// hostIsIP reports whether the URL's host is an IP literal (no DNS needed).
func hostIsIP(u *url.URL) bool { return net.ParseIP(u.Hostname()) != nil }

// parsePublicKey accepts an Ed25519 public key as 32 raw bytes or base64
// (standard or URL alphabet, padding optional), surrounding space ignored.
func parsePublicKey(b []byte) ([]byte, error) {
	if len(b) == 32 {
		return append([]byte(nil), b...), nil
	}
	s := strings.TrimSpace(string(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != 32 {
				return nil, fmt.Errorf("ed25519 public key is %d bytes, want 32", len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("not a base64 or raw 32-byte ed25519 public key")
}
