package elfdeps

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// elfSamples are ELF files of this machine to compare with debug/elf.
func elfSamples(t testing.TB) []string {
	var out []string
	for _, pat := range []string{"/bin/true", "/bin/sh", "/usr/bin/env", "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"/usr/lib/aarch64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2", "/usr/lib/x86_64-linux-gnu/libz.so.*",
		"/usr/lib/x86_64-linux-gnu/libstdc++.so.*", filepath.Join(os.Getenv("GOROOT"), "bin", "go"), os.Args[0]} {
		m, _ := filepath.Glob(pat)
		out = append(out, m...)
	}
	if len(out) == 0 {
		t.Skip("no ELF files found")
	}
	return out
}

// TestReadELFAgrees compares readELF with debug/elf (header, PT_INTERP
// and the dynamic section's strings) on real files.
func TestReadELFAgrees(t *testing.T) {
	for _, p := range elfSamples(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		compareELF(t, p, data)
	}
}

func compareELF(t *testing.T, name string, data []byte) {
	t.Helper()
	ours, err := readELF(bytes.NewReader(data), true)
	ef, eerr := elf.NewFile(bytes.NewReader(data))
	if eerr != nil {
		return // debug/elf refuses it: nothing to compare
	}
	defer ef.Close()
	if err != nil {
		// debug/elf reads section tables, we read segments: a file whose
		// segments are broken may still have sane sections; only real
		// files must be read.
		if name != "fuzz" {
			t.Fatalf("%s: readELF: %v", name, err)
		}
		return
	}
	if elf.Class(ours.Class) != ef.Class || elf.Data(ours.Data) != ef.Data || elf.Machine(ours.Machine) != ef.Machine || elf.Type(ours.Type) != ef.Type {
		t.Fatalf("%s: header %v %v %v %v, debug/elf %v %v %v %v", name, ours.Class, ours.Data, ours.Machine, ours.Type, ef.Class, ef.Data, ef.Machine, ef.Type)
	}
	// The kernel's reading: the first PT_INTERP, of 2 to PATH_MAX bytes,
	// the last one NUL, up to its first NUL.
	interp := ""
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			if p.Filesz >= 2 && p.Filesz <= maxInterp {
				b := make([]byte, p.Filesz)
				if n, _ := p.ReadAt(b, 0); n == len(b) && b[n-1] == 0 {
					interp = string(b[:bytes.IndexByte(b, 0)])
				}
			}
			break
		}
	}
	if ours.Interp != interp {
		t.Fatalf("%s: interp %q, debug/elf %q", name, ours.Interp, interp)
	}
	if name == "fuzz" {
		return // sections and segments may disagree in made-up files
	}
	for _, c := range []struct {
		tag elf.DynTag
		got []string
	}{{elf.DT_NEEDED, ours.Needed}, {elf.DT_RPATH, ours.RPath}, {elf.DT_RUNPATH, ours.RunPath}} {
		want, _ := ef.DynString(c.tag)
		if !slices.Equal(c.got, want) {
			t.Fatalf("%s: %v = %q, debug/elf %q", name, c.tag, c.got, want)
		}
	}
	if sonames, _ := ef.DynString(elf.DT_SONAME); len(sonames) > 0 && ours.SoName != sonames[len(sonames)-1] || len(sonames) == 0 && ours.SoName != "" {
		t.Fatalf("%s: DT_SONAME %q, debug/elf %q", name, ours.SoName, sonames)
	}
}

// FuzzReadELF: readELF never panics, and where debug/elf also reads the
// file, the header and interpreter agree.
func FuzzReadELF(f *testing.F) {
	for _, p := range elfSamples(f) {
		if data, err := os.ReadFile(p); err == nil {
			if len(data) > 4096 {
				data = data[:4096] // headers and program headers; keeps the corpus small
			}
			f.Add(data)
		}
	}
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		compareELF(t, "fuzz", data)
	})
}
