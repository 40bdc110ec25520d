package elfdeps

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"testing"
)

// buildCache writes a glibc-ld.so.cache1.1 image (optionally after an
// old-format prefix), the way ldconfig lays it out.
func buildCache(bo binary.ByteOrder, oldPrefix bool, entries []CacheEntry) []byte {
	var strs bytes.Buffer
	type off struct{ k, v uint32 }
	base := uint32(newHeaderLen + newEntryLen*len(entries))
	offs := make([]off, len(entries))
	for i, e := range entries {
		offs[i].k = base + uint32(strs.Len())
		strs.WriteString(e.Name + "\x00")
		offs[i].v = base + uint32(strs.Len())
		strs.WriteString(e.Path + "\x00")
	}
	var b bytes.Buffer
	b.WriteString(cacheMagicNew)
	w32 := func(v uint32) { _ = binary.Write(&b, bo, v) }
	w32(uint32(len(entries)))
	w32(uint32(strs.Len()))
	if bo == binary.BigEndian {
		b.WriteByte(3)
	} else {
		b.WriteByte(2)
	}
	b.Write([]byte{0, 0, 0})
	w32(0)
	w32(0)
	w32(0)
	w32(0)
	for i, e := range entries {
		w32(uint32(e.Flags))
		w32(offs[i].k)
		w32(offs[i].v)
		w32(0)
		_ = binary.Write(&b, bo, e.HWCap)
	}
	b.Write(strs.Bytes())
	if !oldPrefix {
		return b.Bytes()
	}
	var o bytes.Buffer
	o.WriteString(cacheMagicOld + "\x00")
	_ = binary.Write(&o, binary.LittleEndian, uint32(1))
	o.Write(make([]byte, oldEntryLen)) // one old entry
	for o.Len()%8 != 0 {
		o.WriteByte(0)
	}
	o.Write(b.Bytes())
	return o.Bytes()
}

var sample = []CacheEntry{
	{Name: "libc.so.6", Path: "/lib/x86_64-linux-gnu/libc.so.6", Flags: FlagELFLibc6 | FlagX8664Lib64},
	{Name: "libc.so.6", Path: "/lib/i386-linux-gnu/libc.so.6", Flags: FlagELFLibc6},
	{Name: "libz.so.1", Path: "/usr/lib/aarch64-linux-gnu/libz.so.1", Flags: FlagELFLibc6 | FlagAArch64Lib64},
}

func TestParseCacheSynthetic(t *testing.T) {
	for _, tc := range []struct {
		name string
		bo   binary.ByteOrder
		old  bool
	}{{"little", binary.LittleEndian, false}, {"big", binary.BigEndian, false}, {"old-prefix", binary.LittleEndian, true}} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCache(buildCache(tc.bo, tc.old, sample))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Entries) != len(sample) {
				t.Fatalf("got %d entries, want %d", len(c.Entries), len(sample))
			}
			for i, e := range sample {
				if c.Entries[i] != e {
					t.Errorf("entry %d = %+v, want %+v", i, c.Entries[i], e)
				}
			}
			got := c.Lookup("libc.so.6", FlagELFLibc6|FlagX8664Lib64)
			if len(got) != 1 || got[0] != "/lib/x86_64-linux-gnu/libc.so.6" {
				t.Errorf("Lookup x86-64 libc = %v", got)
			}
			if got := c.Lookup("libc.so.6", FlagELFLibc6); len(got) != 1 || got[0] != "/lib/i386-linux-gnu/libc.so.6" {
				t.Errorf("Lookup i386 libc = %v", got)
			}
			if got := c.Lookup("libc.so.6", -1); len(got) != 2 {
				t.Errorf("Lookup any libc = %v", got)
			}
			if got := c.Lookup("libz.so.1", FlagELFLibc6|FlagX8664Lib64); len(got) != 0 {
				t.Errorf("Lookup of an aarch64-only library for x86-64 = %v", got)
			}
		})
	}
}

func TestParseCacheRejects(t *testing.T) {
	good := buildCache(binary.LittleEndian, false, sample)
	cases := map[string][]byte{
		"empty":       nil,
		"wrong magic": append([]byte("glibc-ld.so.cache1.0"), good[20:]...),
		"truncated":   good[:newHeaderLen+5],
		"bad endian":  func() []byte { b := bytes.Clone(good); b[28] = 1; return b }(),
		"string offset": func() []byte {
			b := bytes.Clone(good)
			binary.LittleEndian.PutUint32(b[newHeaderLen+4:], 1<<30)
			return b
		}(),
		"unterminated": good[:len(good)-1],
		"nlibs huge":   func() []byte { b := bytes.Clone(good); binary.LittleEndian.PutUint32(b[20:], 1<<31); return b }(),
		"old only":     append([]byte(cacheMagicOld+"\x00"), 0, 0, 0, 0),
	}
	for name, data := range cases {
		if _, err := ParseCache(data); !errors.Is(err, ErrCacheFormat) {
			t.Errorf("%s: err = %v, want ErrCacheFormat", name, err)
		}
	}
}

// TestParseCacheHost compares our reading of the host's cache with what
// glibc's own ldconfig prints for it.
func TestParseCacheHost(t *testing.T) {
	const path = "/etc/ld.so.cache"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no %s on this host (not glibc?)", path)
	}
	ldconfig, err := exec.LookPath("ldconfig")
	if err != nil {
		ldconfig = "/sbin/ldconfig"
	}
	out, err := exec.Command(ldconfig, "-p").Output()
	if err != nil {
		t.Skipf("ldconfig -p: %v", err)
	}
	c, err := LoadCache(path)
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^\s+(\S+) \(([^)]*)\)(?: OS ABI: [^=]*)? => (\S+)$`)
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		n++
		found := false
		for _, p := range c.Lookup(m[1], -1) {
			if p == m[3] {
				found = true
			}
		}
		if !found {
			t.Errorf("ldconfig lists %s => %s; our reader has %v", m[1], m[3], c.Lookup(m[1], -1))
		}
	}
	if n == 0 {
		t.Fatalf("could not read any line of ldconfig -p:\n%s", out)
	}
	if n != len(c.Entries) {
		t.Errorf("ldconfig lists %d libraries, we read %d", n, len(c.Entries))
	}
}

func FuzzParseCache(f *testing.F) {
	f.Add(buildCache(binary.LittleEndian, false, sample))
	f.Add(buildCache(binary.BigEndian, true, sample))
	f.Add([]byte(cacheMagicNew))
	if b, err := os.ReadFile("/etc/ld.so.cache"); err == nil && len(b) < 1<<20 {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCache(data)
		rc, rerr := parseRawCache(data)
		if (err == nil) != (rerr == nil) || err != nil && err.Error() != rerr.Error() {
			t.Fatalf("ParseCache: %v; parseRawCache: %v", err, rerr)
		}
		if err != nil {
			return
		}
		for _, e := range c.Entries {
			for _, want := range []int32{e.Flags & (FlagTypeMask | FlagRequiredMask), -1, FlagELFLibc6 | FlagX8664Lib64} {
				a, b := c.Lookup(e.Name, want), rc.lookup(e.Name, want)
				if !slices.Equal(a, b) {
					t.Fatalf("Lookup(%q, %#x) = %q, raw lookup %q", e.Name, want, a, b)
				}
			}
		}
	})
}
