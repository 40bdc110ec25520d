package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedUpToDate regenerates the tables in memory from the checked-in
// source and fails if the committed files differ (run go generate ./syscalls/).
func TestGeneratedUpToDate(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "syscalls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := parse(f)
	if err != nil {
		t.Fatal(err)
	}
	files, err := generate(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(arches) {
		t.Fatalf("generated %d files, want %d", len(files), len(arches))
	}
	for p, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", p))
		if err != nil {
			t.Fatalf("%v (run `go generate ./syscalls/`)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date with syscalls.txt; run `go generate ./syscalls/` and commit the result", p)
		}
	}
}

// TestRunReproducible runs the generator as go generate does, into a
// temporary directory, and compares its files with the committed ones.
func TestRunReproducible(t *testing.T) {
	dir := t.TempDir()
	if err := run(filepath.Join("..", "..", "syscalls.txt"), dir); err != nil {
		t.Fatal(err)
	}
	for _, a := range arches {
		p := filepath.Join(a.pkg, "zsysnum.go")
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("..", "..", p))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("go generate would change %s; run `go generate ./syscalls/` and commit the result", p)
		}
	}
}

func TestParseErrors(t *testing.T) {
	const head = "# kernel: v1.0\n"
	cases := []struct{ name, in, want string }{
		{"no kernel line", "read 0 63\n", "missing"},
		{"too few columns", head + "read 0\n", "want"},
		{"too many columns", head + "read 0 63 1\n", "want"},
		{"bad name", head + "Read 0 63\n", "bad syscall name"},
		{"bad number", head + "read x 63\n", "bad amd64 number"},
		{"negative number", head + "read 0 -3\n", "bad arm64 number"},
		{"huge number", head + "read 0 5000\n", "bad arm64 number"},
		{"duplicate name", head + "read 0 63\nread 1 64\n", "already listed"},
		{"duplicate number", head + "read 0 63\nwrite 0 64\n", "used by both"},
		{"on no arch", head + "read - -\n", "no architecture"},
		{"bad kernel", "# kernel: 6.18\x00\nread 0 63\n", "bad kernel release"},
		{"empty kernel", "# kernel:\nread 0 63\n", "bad kernel release"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parse(strings.NewReader(c.in))
			if err == nil {
				t.Fatalf("parse(%q) succeeded", c.in)
			}
			if !errors.Is(err, errSource) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("parse(%q) = %v, want errSource mentioning %q", c.in, err, c.want)
			}
		})
	}
}

func TestParseAndGenerate(t *testing.T) {
	src, err := parse(strings.NewReader("# comment\n# kernel: v9.9\n\nread 0 63\nopen 2 -\n"))
	if err != nil {
		t.Fatal(err)
	}
	if src.kernel != "v9.9" {
		t.Errorf("kernel = %q", src.kernel)
	}
	if n, ok := src.numbers[1]["open"]; ok {
		t.Errorf("open on arm64 = %d, want absent", n)
	}
	files, err := generate(src)
	if err != nil {
		t.Fatal(err)
	}
	amd := string(files[filepath.Join("linux_amd64", "zsysnum.go")])
	arm := string(files[filepath.Join("linux_arm64", "zsysnum.go")])
	for _, want := range []string{"DO NOT EDIT.", "package linux_amd64", "2: 1, // open", "0: 2, // read", "X32SyscallBit = 0x40000000",
		"AuditArch uint32 = 0xc000003e", `Kernel = "v9.9"`, "Count = 2\n", "MaxNr = 2\n"} {
		if !strings.Contains(amd, want) {
			t.Errorf("amd64 output lacks %q", want)
		}
	}
	for _, want := range []string{"package linux_arm64", "63: 1, // read", "AuditArch uint32 = 0xc00000b7", "Count = 1\n", "MaxNr = 63\n"} {
		if !strings.Contains(arm, want) {
			t.Errorf("arm64 output lacks %q", want)
		}
	}
	if strings.Contains(arm, `"open"`) || strings.Contains(arm, "X32SyscallBit") {
		t.Errorf("arm64 output has amd64-only content:\n%s", arm)
	}
	// A map literal would be built by init code at every program start.
	for _, out := range []string{amd, arm} {
		if strings.Contains(out, "= map[") || strings.Contains(out, "func init") {
			t.Errorf("generated table needs initialisation:\n%s", out)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("# kernel: v6.18\nread 0 63\n")
	f.Add("# kernel: v6.18\nopen 2 -\nread 0 63\nwrite 1 64\n")
	f.Add("read 0\n")
	f.Add("# kernel:\n\tx - -\n")
	f.Fuzz(func(t *testing.T, in string) {
		src, err := parse(strings.NewReader(in))
		if err != nil {
			return
		}
		if _, err := generate(src); err != nil {
			t.Fatalf("generate failed on parsed input %q: %v", in, err)
		}
	})
}
