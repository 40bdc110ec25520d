package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/elfdeps"
)

// The program's own ELF metadata must not widen the veil (issue #13): each
// test builds a program or library that lies to the command about what the
// loader opens, checks that it runs and reads the secret without a sandbox,
// then runs it under a veil and under a pledge without rpath, where the
// secret must stay unreadable while the program still runs.

// showC prints the files named on its command line. pk_interp and
// pk_strtab are strings the tests point patched headers at.
const showC = `#include <fcntl.h>
#include <unistd.h>
__attribute__((used)) const char pk_interp[] = "@INTERP@";
__attribute__((used)) const char pk_strtab[] = "\0libc.so.6\0@FAKE@";
static void show(const char *p) {
	char b[4096];
	ssize_t n;
	int fd = open(p, O_RDONLY);
	if (fd < 0) { write(2, "show: open failed\n", 18); return; }
	while ((n = read(fd, b, sizeof b)) > 0) write(1, b, n);
	close(fd);
}
int main(int argc, char **argv) {
	for (int i = 1; i < argc; i++) show(argv[i]);
	return 0;
}
`

// stealC is a library whose constructor prints the secret.
const stealC = `#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void steal(void) {
	char b[4096];
	ssize_t n;
	int fd = open("@SECRET@", O_RDONLY);
	if (fd < 0) { write(2, "steal: open failed\n", 19); return; }
	while ((n = read(fd, b, sizeof b)) > 0) write(1, b, n);
	close(fd);
}
`

type elfLab struct {
	t      *testing.T
	dir    string
	cc     string
	secret string // a text file outside the jail
	jail   string
	ok     string // a file in the jail
}

const secretMark = "PK-SECRET-7f3a"

func newElfLab(t *testing.T) *elfLab {
	t.Helper()
	needKernel(t)
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc is not installed: the malicious programs are built with it (apt-get install gcc)")
	}
	if !hostLE64() {
		t.Skip("the header patches are written for 64-bit little-endian ELF")
	}
	dir := t.TempDir()
	l := &elfLab{t: t, dir: dir, cc: cc, secret: filepath.Join(dir, "secret.txt"), jail: filepath.Join(dir, "jail")}
	l.ok = filepath.Join(l.jail, "ok.txt")
	if err := os.MkdirAll(filepath.Join(dir, "lib"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(l.jail, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.ok, []byte("jail-ok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}

// hostLE64 reports whether this machine's programs are 64-bit
// little-endian ELF files (amd64, arm64), which the tests patch.
func hostLE64() bool {
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		return false
	}
	defer f.Close()
	return f.Class == elf.ELFCLASS64 && f.Data == elf.ELFDATA2LSB
}

func (l *elfLab) cc1(args ...string) {
	l.t.Helper()
	cmd := exec.Command(l.cc, args...)
	cmd.Dir = l.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		l.t.Fatalf("gcc %v: %v\n%s", args, err, out)
	}
}

func (l *elfLab) write(name, content string, mode os.FileMode) string {
	l.t.Helper()
	p := filepath.Join(l.dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		l.t.Fatal(err)
	}
	return p
}

// show builds showC with the given strings.
func (l *elfLab) show(name, interp, fake string) string {
	l.t.Helper()
	src := strings.NewReplacer("@INTERP@", interp, "@FAKE@", fake).Replace(showC)
	c := l.write(name+".c", src, 0o644)
	out := filepath.Join(l.dir, name)
	l.cc1("-O1", "-o", out, c)
	return out
}

// runs checks the program, run directly, prints the secret: the attack
// works without a sandbox.
func (l *elfLab) runs(prog string, args ...string) {
	l.t.Helper()
	out, err := exec.Command(prog, args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), secretMark) {
		l.t.Fatalf("the patched program does not run or read the secret unsandboxed: %v\n%s", err, out)
	}
}

// confined runs prog under a veil and under pledges without rpath: the
// secret is never printed, and under the veil the program still runs (a
// program that prints its arguments' files, show, reads the jail).
func (l *elfLab) confined(prog string, show bool, args ...string) {
	l.t.Helper()
	for _, pre := range [][]string{
		{"-p", "stdio rpath", "-v", "rwc:" + l.jail},
		{"-q", "-p", "stdio rpath", "-v", "rwc:" + l.jail},
		{"-p", "stdio"},
		{"-q", "-p", "stdio"},
		{"-p", "stdio exec"},
	} {
		a := append(append(append([]string(nil), pre...), "--", prog), args...)
		r := unveil(l.t, a...)
		if strings.Contains(r.stdout, secretMark) {
			l.t.Errorf("unveil %q: the secret was read:\n%v", a, r)
		}
		if strings.Contains(strings.Join(pre, " "), "-v") {
			a := append(append([]string(nil), pre...), "--", prog, l.ok)
			r := unveil(l.t, a...)
			if r.code != 0 || show && !strings.Contains(r.stdout, "jail-ok") {
				l.t.Errorf("unveil %q: the program does not run under the veil:\n%v", a, r)
			}
		}
	}
}

// phdr is one program header of a 64-bit little-endian ELF file, and
// where it is in the file (phdrs reads them, setPhdr patches one).
type phdr struct {
	at                 int // file offset of the header
	typ                elf.ProgType
	off, vaddr, filesz uint64
}

func phdrs(t *testing.T, b []byte) []phdr {
	t.Helper()
	le := binary.LittleEndian
	phoff, ent, n := int(le.Uint64(b[32:])), int(le.Uint16(b[54:])), int(le.Uint16(b[56:]))
	var out []phdr
	for i := 0; i < n; i++ {
		p := b[phoff+i*ent:]
		out = append(out, phdr{at: phoff + i*ent, typ: elf.ProgType(le.Uint32(p)), off: le.Uint64(p[8:]), vaddr: le.Uint64(p[16:]), filesz: le.Uint64(p[32:])})
	}
	return out
}

func setPhdr(b []byte, h phdr) {
	le := binary.LittleEndian
	p := b[h.at:]
	le.PutUint32(p, uint32(h.typ))
	le.PutUint64(p[8:], h.off)
	le.PutUint64(p[16:], h.vaddr)
	le.PutUint64(p[24:], h.vaddr)
	le.PutUint64(p[32:], h.filesz)
	le.PutUint64(p[40:], h.filesz)
}

// vaddrOf is where the loader maps file offset off.
func vaddrOf(t *testing.T, hs []phdr, off uint64) uint64 {
	t.Helper()
	for _, h := range hs {
		if h.typ == elf.PT_LOAD && off >= h.off && off < h.off+h.filesz {
			return off - h.off + h.vaddr
		}
	}
	t.Fatalf("offset %#x is not loaded", off)
	return 0
}

func index(t *testing.T, b []byte, s string) uint64 {
	t.Helper()
	i := bytes.Index(b, []byte(s))
	if i < 0 {
		t.Fatalf("%q not in the program", s)
	}
	return uint64(i)
}

// libcOf is the C library the program loads.
func libcOf(t *testing.T, prog string) string {
	t.Helper()
	p, err := elfdeps.Resolve(prog, elfdeps.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range p.Files {
		if f.Why == "library libc.so.6" {
			return f.Path
		}
	}
	t.Skipf("%s loads no libc.so.6 (not glibc): %+v", prog, p.Files)
	return ""
}

// A fake dynamic section at PT_DYNAMIC's file offset (the loader reads the
// one at its address) names a secret that is even a valid library: a copy
// of the C library with the secret appended. Reading the dynamic section
// where the loader does is the only defence.
func TestELFFakeDynamicSection(t *testing.T) {
	l := newElfLab(t)
	secretLib := filepath.Join(l.dir, "secret.so")
	prog := l.show("fakedyn", "unused", secretLib)
	libc, err := os.ReadFile(libcOf(t, prog))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(secretLib, append(libc, secretMark...), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	hs := phdrs(t, b)
	strtab := index(t, b, "\x00libc.so.6\x00"+secretLib+"\x00")
	le := binary.LittleEndian
	var fake []byte
	for _, e := range [][2]uint64{
		{uint64(elf.DT_NEEDED), 1},
		{uint64(elf.DT_NEEDED), uint64(len("\x00libc.so.6\x00"))},
		{uint64(elf.DT_STRTAB), vaddrOf(t, hs, strtab)},
		{uint64(elf.DT_STRSZ), uint64(len("\x00libc.so.6\x00" + secretLib + "\x00"))},
		{uint64(elf.DT_NULL), 0},
	} {
		fake = le.AppendUint64(le.AppendUint64(fake, e[0]), e[1])
	}
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	patched := false
	for _, h := range hs {
		if h.typ == elf.PT_DYNAMIC {
			le.PutUint64(b[h.at+8:], uint64(len(b)))
			le.PutUint64(b[h.at+32:], uint64(len(fake)))
			patched = true
		}
	}
	if !patched {
		t.Fatal("no PT_DYNAMIC")
	}
	b = append(b, fake...)
	if err := os.WriteFile(prog, b, 0o755); err != nil {
		t.Fatal(err)
	}
	l.runs(prog, secretLib)
	l.confined(prog, true, secretLib)
}

// A second PT_INTERP (the kernel takes the first) names the secret.
func TestELFSecondInterp(t *testing.T) {
	l := newElfLab(t)
	l.write("secret.txt", secretMark+"\n", 0o755)
	prog := l.show("interp2", l.secret, "unused")
	b, err := os.ReadFile(prog)
	if err != nil {
		t.Fatal(err)
	}
	hs := phdrs(t, b)
	at := index(t, b, l.secret+"\x00")
	seenInterp, patched := false, false
	for _, h := range hs {
		switch {
		case h.typ == elf.PT_INTERP:
			seenInterp = true
		case h.typ == elf.PT_NOTE && seenInterp && !patched:
			setPhdr(b, phdr{at: h.at, typ: elf.PT_INTERP, off: at, vaddr: vaddrOf(t, hs, at), filesz: uint64(len(l.secret) + 1)})
			patched = true
		}
	}
	if !patched {
		t.Skip("the test program has no PT_NOTE after its PT_INTERP to turn into a second PT_INTERP")
	}
	if err := os.WriteFile(prog, b, 0o755); err != nil {
		t.Fatal(err)
	}
	l.runs(prog, l.secret)
	l.confined(prog, true, l.secret)
}

// soname builds the libraries that let a DT_NEEDED entry name the secret
// without the loader ever opening it: lib/libpka.so's DT_SONAME is the
// secret's path, so once it is loaded, a DT_NEEDED of that path is taken
// as loaded. link are the objects linked against stubs (the secret's path
// holds a stub library while they are linked).
func (l *elfLab) soname(link func()) {
	l.t.Helper()
	a := l.write("a.c", "void pka(void) {}\n", 0o644)
	os.MkdirAll(filepath.Join(l.dir, "stub"), 0o755)
	l.cc1("-shared", "-fPIC", "-o", "stub/libpka.so", a)
	l.cc1("-shared", "-fPIC", "-o", l.secret, a)
	l.cc1("-shared", "-fPIC", "-Wl,-soname,"+l.secret, "-o", "lib/libpka.so", a)
	link()
	if err := os.WriteFile(l.secret, []byte(secretMark+"\n"), 0o644); err != nil {
		l.t.Fatal(err)
	}
}

// The program's DT_NEEDED names the secret (a text file) by path.
func TestELFNeededPathNotALibrary(t *testing.T) {
	l := newElfLab(t)
	prog := filepath.Join(l.dir, "needpath")
	l.soname(func() {
		src := strings.NewReplacer("@INTERP@", "unused", "@FAKE@", "unused").Replace(showC)
		c := l.write("needpath.c", src, 0o644)
		l.cc1("-o", prog, c, "-Wl,--no-as-needed", "-Lstub", "-lpka", l.secret, "-Wl,-rpath,"+filepath.Join(l.dir, "lib"))
	})
	l.runs(prog, l.secret)
	l.confined(prog, true, l.secret)
	// The report lists what the binary made readable, and the secret is
	// not among it.
	r := unveil(t, "--report", "-p", "stdio rpath", "-v", "r:"+l.jail, "--", prog, l.ok)
	if strings.Contains(r.stderr, "loader file "+l.secret) {
		t.Errorf("--report lists the secret as a loader file:\n%v", r)
	}
	if !strings.Contains(r.stderr, "loader file "+filepath.Join(l.dir, "lib", "libpka.so")) {
		t.Errorf("--report does not list the library the binary made readable:\n%v", r)
	}
}

// An unmodified program loads a library whose own DT_NEEDED names the
// secret; the library's constructor prints it.
func TestELFLibraryNeedsSecret(t *testing.T) {
	l := newElfLab(t)
	prog := filepath.Join(l.dir, "plain")
	l.soname(func() {
		s := l.write("steal.c", strings.ReplaceAll(stealC, "@SECRET@", l.secret), 0o644)
		l.cc1("-shared", "-fPIC", "-o", "lib/libpkb.so", s, "-Wl,--no-as-needed", l.secret)
		m := l.write("plain.c", "int main(void) { return 0; }\n", 0o644)
		lib := filepath.Join(l.dir, "lib")
		l.cc1("-o", prog, m, "-Wl,--no-as-needed", "-Lstub", "-lpka", "-L"+lib, "-lpkb", "-Wl,-rpath,"+lib)
	})
	l.runs(prog)
	l.confined(prog, false)
}

// A real dynamic program still runs under a veil and reads what is
// unveiled, and nothing else.
func TestELFRealProgramUnderVeil(t *testing.T) {
	needKernel(t)
	cat := need(t, "cat")
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	os.WriteFile(ok, []byte("fine\n"), 0o644)
	r := unveil(t, "-p", "stdio rpath", "-v", "r:"+dir, "--", cat, ok)
	if r.code != 0 || r.stdout != "fine\n" {
		t.Errorf("cat under a veil: %v", r)
	}
	r = unveil(t, "-p", "stdio rpath", "-v", "r:"+dir, "--", cat, "/etc/passwd")
	if r.code == 0 || r.stdout != "" {
		t.Errorf("cat read /etc/passwd under a veil: %v", r)
	}
	// python3 with its standard library unveiled: the interpreter, its
	// libraries and its extension modules load.
	py := need(t, "python3")
	out, err := exec.Command(py, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])").Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	stdlib := strings.TrimSpace(string(out))
	script := "import zlib, json; print(open(" + strconv.Quote(ok) + ").read().strip(), zlib.crc32(b'x'))"
	r = unveil(t, "-p", "stdio rpath", "-v", "r:"+dir, "-v", "r:"+stdlib, "--", py, "-I", "-c", script)
	if r.code != 0 || r.stdout != "fine 2363233923\n" {
		t.Errorf("python3 under a veil: %v", r)
	}
	r = unveil(t, "-p", "stdio rpath", "-v", "r:"+dir, "-v", "r:"+stdlib, "--", py, "-I", "-c", "print(open('/etc/passwd').read())")
	if r.code == 0 || strings.Contains(r.stdout, "root:") {
		t.Errorf("python3 read /etc/passwd under a veil: %v", r)
	}
}
