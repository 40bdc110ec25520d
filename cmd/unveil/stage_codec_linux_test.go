package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// TestBPFProgJSON: the filter travels to the stage in the kernel's layout
// and comes back instruction for instruction; a length that is not whole
// instructions is refused.
func TestBPFProgJSON(t *testing.T) {
	in := bpfProg{{Code: 0x20, K: 4}, {Code: 0x15, Jt: 1, Jf: 255, K: 0xc000003e}, {Code: 0x06, K: 0x7fff0000}}
	b, err := json.Marshal(struct{ F bpfProg }{in})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ F bpfProg }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in, out.F) {
		t.Errorf("round trip %s: got %v, want %v", b, out.F, in)
	}
	var bad bpfProg
	if err := json.Unmarshal([]byte(`"AAAAAAAAAA=="`), &bad); err == nil {
		t.Errorf("7 bytes decoded as %v, want an error", bad)
	}
}

// statField counts /proc/PID/stat's fields after the last ')': a command
// name with parentheses, spaces and digits (the process's own choice)
// does not shift them; a short, cut or missing line gives -1. Checked
// against this process's own stat too.
func TestStatField(t *testing.T) {
	dir := t.TempDir()
	tail := " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 7 20 21 4096 22\n" // fields 3 to 24
	for _, c := range []struct {
		line  string
		field int
		want  int64
	}{
		{"42 (cat)" + tail, statThreads, 7},
		{"42 (cat)" + tail, statVsize, 4096},
		{"42 (a) R 9 9 (b)" + tail, statThreads, 7}, // comm "a) R 9 9 (b"
		{"42 (x 1 2 3 4)" + tail, statVsize, 4096},
		{"42 (cat) S 1 2", statThreads, -1},
		{"42 cat S 1 2 3", statThreads, -1},
		{"", statThreads, -1},
	} {
		name := filepath.Join(dir, "stat")
		if err := os.WriteFile(name, []byte(c.line), 0o600); err != nil {
			t.Fatal(err)
		}
		fd, err := unix.Open(name, unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		var buf [1024]byte
		if got := statField(fd, buf[:], c.field); got != c.want {
			t.Errorf("field %d of %q: %d, want %d", c.field, c.line, got, c.want)
		}
		var small [16]byte // a line that fills the buffer may be cut
		if got := statField(fd, small[:], c.field); got != -1 {
			t.Errorf("field %d of %q in 16 bytes: %d, want -1", c.field, c.line, got)
		}
		unix.Close(fd)
	}
	if got := statField(-1, make([]byte, 64), statThreads); got != -1 {
		t.Errorf("no descriptor: %d, want -1", got)
	}
	fd, err := unix.Open("/proc/self/stat", unix.O_RDONLY, 0)
	if err != nil {
		t.Skip("no /proc")
	}
	defer unix.Close(fd)
	var buf [1024]byte
	if n := statField(fd, buf[:], statThreads); n < 1 {
		t.Errorf("own threads: %d", n)
	}
	if v := statField(fd, buf[:], statVsize); v < 1<<20 {
		t.Errorf("own vsize: %d", v)
	}
}
