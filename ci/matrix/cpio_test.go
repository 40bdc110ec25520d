package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// cpioEntry is one entry read back by readNewc, an independent reader
// written from the format description (110-byte ASCII header, name and data
// each padded to 4 bytes, "TRAILER!!!" last).
type cpioEntry struct {
	Name       string
	Mode       uint32
	Rmaj, Rmin uint32
	Data       string
}

func readNewc(b []byte) ([]cpioEntry, error) {
	var out []cpioEntry
	off := 0
	field := func(h []byte, i int) uint32 {
		v, _ := strconv.ParseUint(string(h[6+8*i:6+8*i+8]), 16, 32)
		return uint32(v)
	}
	for {
		if off%4 != 0 {
			return nil, fmt.Errorf("header at unaligned offset %d", off)
		}
		if off+110 > len(b) {
			return nil, fmt.Errorf("truncated header at %d", off)
		}
		h := b[off : off+110]
		if string(h[:6]) != "070701" {
			return nil, fmt.Errorf("bad magic %q at %d", h[:6], off)
		}
		namesize := int(field(h, 11))
		size := int(field(h, 6))
		off += 110
		name := string(b[off : off+namesize-1])
		if b[off+namesize-1] != 0 {
			return nil, fmt.Errorf("name %q not NUL-terminated", name)
		}
		off += namesize
		off = (off + 3) &^ 3
		data := string(b[off : off+size])
		off += size
		off = (off + 3) &^ 3
		if name == "TRAILER!!!" {
			if off != len(b) {
				return nil, fmt.Errorf("%d bytes after the trailer", len(b)-off)
			}
			return out, nil
		}
		out = append(out, cpioEntry{Name: name, Mode: field(h, 1), Rmaj: field(h, 9), Rmin: field(h, 10), Data: data})
	}
}

func TestCpioWriter(t *testing.T) {
	var buf bytes.Buffer
	w := newCpioWriter(&buf)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Dir("dev", 0o755))
	must(w.CharDev("dev/console", 0o600, 5, 1))
	must(w.File("init", 0o755, []byte("#!")))
	must(w.File("etc-empty", 0o644, nil))
	must(w.File("five", 0o644, []byte("12345")))
	must(w.Symlink("dev/fd", "/proc/self/fd"))
	if err := w.File("init", 0o755, nil); err == nil {
		t.Error("duplicate entry accepted")
	}
	for _, bad := range []string{"", ".", "..", "../x", "/"} {
		if err := w.File(bad, 0o644, nil); err == nil {
			t.Errorf("bad name %q accepted", bad)
		}
	}
	must(w.Close())
	if err := w.File("late", 0o644, nil); err == nil {
		t.Error("write after Close accepted")
	}
	ents, err := readNewc(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []cpioEntry{
		{"dev", 0o040755, 0, 0, ""},
		{"dev/console", 0o020600, 5, 1, ""},
		{"init", 0o100755, 0, 0, "#!"},
		{"etc-empty", 0o100644, 0, 0, ""},
		{"five", 0o100644, 0, 0, "12345"},
		{"dev/fd", 0o120777, 0, 0, "/proc/self/fd"},
	}
	if fmt.Sprint(ents) != fmt.Sprint(want) {
		t.Errorf("read back\n%v\nwant\n%v", ents, want)
	}
}

func TestWriteInitramfs(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(dir, "init"), []byte("binary"), 0o755)
	os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("root:x:0:0::/:/bin/sh\n"), 0o644)
	os.Symlink("/proc/mounts", filepath.Join(dir, "etc", "mtab"))
	out := filepath.Join(t.TempDir(), "initramfs.gz")
	if err := writeInitramfs(dir, out); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := readNewc(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]cpioEntry{}
	var order []string
	for _, e := range ents {
		got[e.Name] = e
		order = append(order, e.Name)
	}
	if e := got["init"]; e.Mode != 0o100755 || e.Data != "binary" {
		t.Errorf("init = %+v", e)
	}
	if e := got["etc/mtab"]; e.Mode&0o170000 != 0o120000 || e.Data != "/proc/mounts" {
		t.Errorf("etc/mtab = %+v", e)
	}
	if e := got["dev/console"]; e.Mode != 0o020600 || e.Rmaj != 5 || e.Rmin != 1 {
		t.Errorf("dev/console = %+v", e)
	}
	// A directory must come before what it contains.
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	for _, n := range order {
		if d := filepath.Dir(n); d != "." && pos[d] > pos[n] {
			t.Errorf("%s comes before its directory %s", n, d)
		}
	}
}
