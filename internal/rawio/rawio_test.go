//go:build unix

package rawio

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ReadFile reads what os.ReadFile reads: a regular file sized by fstat, a
// /proc file (size 0) into storage too small for it, and it reports a
// missing file as a *PathError wrapping ENOENT.
func TestReadFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	data := []byte(strings.Repeat("0123456789", 1000))
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, buf := range [][]byte{nil, make([]byte, 8), make([]byte, 0, 1<<16)} {
		got, err := ReadFile(p, buf)
		if err != nil || string(got) != string(data) {
			t.Errorf("storage %d: read %d bytes, %v; want %d", cap(buf), len(got), err, len(data))
		}
	}
	want, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skip("no /proc")
	}
	for _, buf := range [][]byte{nil, make([]byte, 8)} {
		got, err := ReadFile("/proc/self/maps", buf)
		if err != nil {
			t.Fatal(err)
		}
		// The maps may change between two reads; the first line (the
		// executable) does not.
		first := func(b []byte) string { s, _, _ := strings.Cut(string(b), "\n"); return s }
		if len(got) < 100 || first(got) != first(want) {
			t.Errorf("/proc/self/maps: read %d bytes starting %q; os.ReadFile %d starting %q", len(got), first(got), len(want), first(want))
		}
	}
	if _, err := ReadFile(filepath.Join(filepath.Dir(p), "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}
