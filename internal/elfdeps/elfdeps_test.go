package elfdeps

import (
	"bufio"
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func files(p *Program) map[string]File {
	m := map[string]File{}
	for _, f := range p.Files {
		m[f.Path] = f
	}
	return m
}

func realpath(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// lddLibs runs the real loader in trace mode (ldd) and returns the resolved
// paths it maps.
func lddLibs(t *testing.T, prog string) []string {
	t.Helper()
	ldd, err := exec.LookPath("ldd")
	if err != nil {
		t.Skip("ldd not installed")
	}
	out, err := exec.Command(ldd, prog).Output()
	if err != nil {
		t.Skipf("ldd %s: %v", prog, err)
	}
	var libs []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		for i, w := range f {
			if strings.HasPrefix(w, "/") && (i == 0 || f[i-1] == "=>") {
				libs = append(libs, realpath(t, w))
			}
		}
	}
	return libs
}

// fileInterp reads the first PT_INTERP of prog with debug/elf ("" if none).
func fileInterp(t *testing.T, prog string) string {
	t.Helper()
	ef, err := elf.Open(prog)
	if err != nil {
		t.Skipf("%s: %v", prog, err)
	}
	defer ef.Close()
	for _, ph := range ef.Progs {
		if ph.Type == elf.PT_INTERP {
			b := make([]byte, min(ph.Filesz, maxInterp))
			ph.ReadAt(b, 0)
			if i := bytes.IndexByte(b, 0); i >= 0 {
				b = b[:i]
			}
			return string(b)
		}
	}
	return ""
}

// TestResolveMatchesLoader checks that every file the real loader maps for
// well-known programs is in our answer, with the right permission.
func TestResolveMatchesLoader(t *testing.T) {
	progs := []string{"/usr/bin/git", "/usr/bin/sqlite3", "/usr/bin/python3", "/usr/bin/curl", "/bin/ls", "/usr/bin/busybox"}
	tested := 0
	for _, prog := range progs {
		if _, err := os.Stat(prog); err != nil {
			continue
		}
		tested++
		t.Run(filepath.Base(prog), func(t *testing.T) {
			// What the loader maps depends on the installed file:
			// Debian's busybox-static replaces the dynamic busybox.
			switch interp := fileInterp(t, prog); {
			case interp == "":
				t.Skipf("%s is a static program here (no PT_INTERP): no loader to compare with", prog)
			case strings.Contains(filepath.Base(interp), "musl"):
				t.Skipf("%s is a musl program here (%s): ldd is glibc's", prog, interp)
			}
			p, err := Resolve(prog, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Kind != Dynamic || p.Libc != Glibc {
				t.Fatalf("kind %v libc %q, want dynamic glibc", p.Kind, p.Libc)
			}
			if len(p.Missing) > 0 {
				t.Errorf("missing libraries: %v", p.Missing)
			}
			m := files(p)
			self := realpath(t, prog)
			if f, ok := m[self]; !ok || !f.Exec {
				t.Errorf("program %s not listed as executable: %+v", self, f)
			}
			interp := realpath(t, p.Interp)
			if f, ok := m[interp]; !ok || !f.Exec {
				t.Errorf("interpreter %s not listed as executable", interp)
			}
			for _, lib := range lddLibs(t, prog) {
				if _, ok := m[lib]; !ok {
					t.Errorf("loader maps %s; not in our answer", lib)
				}
			}
		})
	}
	if tested == 0 {
		t.Skip("none of the programs is installed (install git sqlite3 python3 curl busybox coreutils)")
	}
}

func TestResolveStatic(t *testing.T) {
	const prog = "/sbin/ldconfig" // static-pie on Debian
	p, err := Resolve(prog, Options{})
	if err != nil {
		t.Skipf("%s: %v", prog, err)
	}
	if p.Kind != Static {
		t.Skipf("%s is %v here, not static", prog, p.Kind)
	}
	if len(p.Files) != 1 || !p.Files[0].Exec || p.Files[0].Path != realpath(t, prog) {
		t.Errorf("static program files = %+v, want only itself", p.Files)
	}
}

func TestResolveScript(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh -e\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Resolve(script, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != Script || p.Interp != "/bin/sh" || p.ScriptArg != "-e" {
		t.Fatalf("kind %v interp %q arg %q", p.Kind, p.Interp, p.ScriptArg)
	}
	m := files(p)
	if !m[script].Exec {
		t.Errorf("script not executable in %+v", p.Files)
	}
	if !m[realpath(t, "/bin/sh")].Exec {
		t.Errorf("/bin/sh (%s) not executable in %+v", realpath(t, "/bin/sh"), p.Files)
	}
	if interp := fileInterp(t, realpath(t, "/bin/sh")); interp == "" || strings.Contains(interp, "musl") {
		t.Skipf("/bin/sh is not a dynamic glibc program here (interpreter %q): no C library to look for", interp)
	}
	if p.Libc != Glibc {
		t.Errorf("libc = %q", p.Libc)
	}
	libc := ""
	for _, f := range p.Files {
		if strings.HasPrefix(filepath.Base(f.Path), "libc.so") {
			libc = f.Path
		}
	}
	if libc == "" {
		t.Errorf("the interpreter's libc is missing: %+v", p.Files)
	}
}

func TestResolveEnvScript(t *testing.T) {
	py := LookPath("python3", "/usr/bin:/bin")
	if py == "" {
		t.Skip("python3 not installed")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "s.py")
	if err := os.WriteFile(script, []byte("#!/usr/bin/env python3\nprint(1)\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Resolve(script, Options{PathEnv: "/usr/bin:/bin"})
	if err != nil {
		t.Fatal(err)
	}
	m := files(p)
	for _, want := range []string{"/usr/bin/env", py} {
		if !m[realpath(t, want)].Exec {
			t.Errorf("%s not executable in %+v", want, p.Files)
		}
	}
	if len(p.Chain) != 3 {
		t.Errorf("chain = %v, want script, env, python", p.Chain)
	}
}

func TestResolveRejects(t *testing.T) {
	dir := t.TempDir()
	txt := filepath.Join(dir, "t.txt")
	os.WriteFile(txt, []byte("hello"), 0o755)
	if _, err := Resolve(txt, Options{}); !errors.Is(err, ErrNotExecutable) {
		t.Errorf("text file: %v", err)
	}
	loop := filepath.Join(dir, "loop")
	os.WriteFile(loop, []byte("#!"+loop+"\n"), 0o755)
	if _, err := Resolve(loop, Options{}); !errors.Is(err, ErrNotExecutable) {
		t.Errorf("self-interpreting script: %v", err)
	}
	if _, err := Resolve(dir, Options{}); !errors.Is(err, ErrNotExecutable) {
		t.Errorf("directory: %v", err)
	}
	if _, err := Resolve(filepath.Join(dir, "nope"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestResolveOrigin builds a program whose library is found only through
// DT_RUNPATH=$ORIGIN/lib (needs a C compiler; skipped without one).
func TestResolveOrigin(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler to build a $ORIGIN test program")
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "lib"), 0o755)
	os.WriteFile(filepath.Join(dir, "f.c"), []byte("int f(void){return 42;}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "m.c"), []byte("int f(void);int main(void){return f()-42;}\n"), 0o644)
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(cc, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("cc %v: %v\n%s", args, err, out)
		}
	}
	run("-shared", "-fPIC", "-o", "lib/libpkf.so", "f.c")
	run("-o", "m", "m.c", "-Llib", "-lpkf", "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib")
	p, err := Resolve(filepath.Join(dir, "m"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Missing) != 0 {
		t.Fatalf("missing %v", p.Missing)
	}
	if _, ok := files(p)[filepath.Join(realpath(t, dir), "lib", "libpkf.so")]; !ok {
		t.Errorf("$ORIGIN library not found: %+v", p.Files)
	}
	// The loader agrees that the program runs.
	if err := exec.Command(filepath.Join(dir, "m")).Run(); err != nil {
		t.Errorf("test program does not run: %v", err)
	}
}

func TestParseShebang(t *testing.T) {
	for in, want := range map[string][2]string{
		"#!/bin/sh\n":               {"/bin/sh", ""},
		"#! /bin/sh -e \n":          {"/bin/sh", "-e"},
		"#!/usr/bin/env -S a b\r\n": {"/usr/bin/env", "-S a b"},
		"#!/x\ty z":                 {"/x", "y z"},
	} {
		i, a, err := ParseShebang([]byte(in))
		if err != nil || i != want[0] || a != want[1] {
			t.Errorf("ParseShebang(%q) = %q %q %v, want %q", in, i, a, err, want)
		}
	}
	for _, bad := range []string{"", "#!", "#!   \n", "hello"} {
		if _, _, err := ParseShebang([]byte(bad)); err == nil {
			t.Errorf("ParseShebang(%q) accepted", bad)
		}
	}
	for arg, want := range map[string]string{
		"-S python3 -u":            "python3",
		"python3":                  "python3",
		"python3 -u":               "python3 -u", // one word without -S: env finds no such program
		"-i":                       "",
		"A=1":                      "",
		"-S -u /x/evil.so python3": "python3",
		"-S -C /tmp -a name prog":  "prog",
		"-S A=1 -- -prog":          "-prog",
		"--split-string=py -x":     "py",
		"-Spy -x":                  "py",
		"-S -i":                    "",
	} {
		if got := envTarget(arg); got != want {
			t.Errorf("envTarget(%q) = %q, want %q", arg, got, want)
		}
	}
}

func FuzzParseShebang(f *testing.F) {
	f.Add([]byte("#!/bin/sh\n"))
	f.Add([]byte("#! /usr/bin/env -S x y\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		i, _, err := ParseShebang(b)
		if err == nil && (i == "" || strings.ContainsAny(i, " \t\n")) {
			t.Errorf("bad interpreter %q", i)
		}
	})
}

// ExecOnly gives exactly the executable files of the full answer (program,
// #! interpreters, ELF interpreter) and nothing the loader merely reads.
func TestResolveExecOnly(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "s.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh -e\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, prog := range []string{"/bin/ls", script, "/sbin/ldconfig"} {
		full, err := Resolve(prog, Options{})
		if err != nil {
			t.Fatalf("%s: %v", prog, err)
		}
		only, err := Resolve(prog, Options{ExecOnly: true})
		if err != nil {
			t.Fatalf("%s exec-only: %v", prog, err)
		}
		var want []File
		for _, f := range full.Files {
			if f.Exec {
				want = append(want, f)
			}
		}
		if len(only.Files) != len(want) || len(only.Files) == 0 {
			t.Fatalf("%s: exec-only files %+v, want the executable ones of %+v", prog, only.Files, full.Files)
		}
		for i := range want {
			if only.Files[i] != want[i] {
				t.Errorf("%s: exec-only file %d = %+v, want %+v", prog, i, only.Files[i], want[i])
			}
		}
		if only.Kind != full.Kind || only.Libc != full.Libc || only.Interp != full.Interp || len(only.Missing) != 0 {
			t.Errorf("%s: exec-only kind %v libc %q interp %q missing %v, full %v %q %q", prog, only.Kind, only.Libc, only.Interp, only.Missing, full.Kind, full.Libc, full.Interp)
		}
		if full.Kind != Static && len(full.Files) <= len(want) {
			t.Errorf("%s: the full answer lists no library: %+v", prog, full.Files)
		}
	}
}
