package elfdeps

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// What elfdeps grants must be what the kernel and the loader open for the
// binary, whatever the binary says (issue #13): these tests build ELF
// files whose headers lie and check that the answer follows the loader.

// mkELF describes a small 64-bit little-endian ELF file.
type mkELF struct {
	typ     elf.Type
	machine elf.Machine
	interps [][]byte // PT_INTERP contents, exactly as written
	needed  []string
	rpath   []string // DT_RPATH entries, in order
	runpath []string // DT_RUNPATH entries, in order
	soname  string
	// fake is a second dynamic section naming these libraries, where
	// PT_DYNAMIC's p_offset points (p_vaddr keeps the real one).
	fake []string
	// overlap adds a PT_LOAD mapping other file bytes over the first.
	overlap bool
	// phdr adds a PT_PHDR, first, whose p_vaddr is phdrShift bytes off
	// where the program headers are mapped.
	phdr      bool
	phdrShift uint64
}

const mkBase = 0x10000 // vaddr of file offset 0

func hostMachine() elf.Machine {
	switch runtime.GOARCH {
	case "amd64":
		return elf.EM_X86_64
	case "arm64":
		return elf.EM_AARCH64
	}
	return elf.EM_NONE
}

func (m mkELF) bytes() []byte {
	le := binary.LittleEndian
	if m.typ == 0 {
		m.typ = elf.ET_DYN
	}
	if m.machine == 0 {
		m.machine = hostMachine()
	}
	dynamic := len(m.needed)+len(m.rpath)+len(m.runpath)+len(m.fake) > 0 || m.soname != ""
	nph := len(m.interps) + 1
	if m.phdr {
		nph++
	}
	if dynamic {
		nph++
	}
	if m.overlap {
		nph++
	}
	dataOff := 64 + 56*nph
	var data []byte
	var interpOff []int
	for _, in := range m.interps {
		interpOff = append(interpOff, dataOff+len(data))
		data = append(data, in...)
	}
	strOff := dataOff + len(data)
	strtab := []byte{0}
	str := func(s string) uint64 {
		o := len(strtab)
		strtab = append(append(strtab, s...), 0)
		return uint64(o)
	}
	type ent struct {
		tag elf.DynTag
		val uint64
	}
	var real, fake []ent
	for _, n := range m.needed {
		real = append(real, ent{elf.DT_NEEDED, str(n)})
	}
	for _, n := range m.rpath {
		real = append(real, ent{elf.DT_RPATH, str(n)})
	}
	for _, n := range m.runpath {
		real = append(real, ent{elf.DT_RUNPATH, str(n)})
	}
	if m.soname != "" {
		real = append(real, ent{elf.DT_SONAME, str(m.soname)})
	}
	for _, n := range m.fake {
		fake = append(fake, ent{elf.DT_NEEDED, str(n)})
	}
	data = append(data, strtab...)
	for (dataOff+len(data))%8 != 0 {
		data = append(data, 0)
	}
	dynArray := func(es []ent) (off int) {
		off = dataOff + len(data)
		es = append(es, ent{elf.DT_STRTAB, uint64(mkBase + strOff)}, ent{elf.DT_STRSZ, uint64(len(strtab))}, ent{elf.DT_NULL, 0})
		for _, e := range es {
			data = le.AppendUint64(le.AppendUint64(data, uint64(e.tag)), e.val)
		}
		return off
	}
	realOff := dynArray(real)
	dynOff, dynLen := realOff, dataOff+len(data)-realOff
	if len(m.fake) > 0 {
		dynOff = dynArray(append(fake, real...))
	}
	size := uint64(dataOff + len(data))
	b := make([]byte, 64, size)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1
	le.PutUint16(b[16:], uint16(m.typ))
	le.PutUint16(b[18:], uint16(m.machine))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], 64)
	le.PutUint16(b[52:], 64)
	le.PutUint16(b[54:], 56)
	le.PutUint16(b[56:], uint16(nph))
	ph := func(typ elf.ProgType, off, vaddr, filesz uint64) {
		p := make([]byte, 56)
		le.PutUint32(p, uint32(typ))
		le.PutUint32(p[4:], uint32(elf.PF_R))
		le.PutUint64(p[8:], off)
		le.PutUint64(p[16:], vaddr)
		le.PutUint64(p[24:], vaddr)
		le.PutUint64(p[32:], filesz)
		le.PutUint64(p[40:], filesz)
		le.PutUint64(p[48:], 8)
		b = append(b, p...)
	}
	if m.phdr {
		ph(elf.PT_PHDR, 64, mkBase+64+m.phdrShift, uint64(56*nph))
	}
	for i, in := range m.interps {
		ph(elf.PT_INTERP, uint64(interpOff[i]), uint64(mkBase+interpOff[i]), uint64(len(in)))
	}
	ph(elf.PT_LOAD, 0, mkBase, size)
	if m.overlap {
		ph(elf.PT_LOAD, 0, mkBase-0x1000, size+0x1000)
	}
	if dynamic {
		ph(elf.PT_DYNAMIC, uint64(dynOff), uint64(mkBase+realOff), uint64(dynLen))
	}
	return append(b, data...)
}

func TestReadELFLoaderView(t *testing.T) {
	read := func(m mkELF) (*elfInfo, error) { return readELF(bytes.NewReader(m.bytes()), true) }
	// The dynamic section at PT_DYNAMIC's address, not at its file offset.
	e, err := read(mkELF{needed: []string{"libreal.so"}, fake: []string{"/etc/shadow"}})
	if err != nil || !slices.Equal(e.Needed, []string{"libreal.so"}) {
		t.Errorf("fake dynamic section: needed %v, %v; want the one at p_vaddr", e.Needed, err)
	}
	// The first PT_INTERP, to its first NUL, as the kernel takes it.
	e, err = read(mkELF{interps: [][]byte{[]byte("/lib/ld.so\x00"), []byte("/etc/shadow\x00")}})
	if err != nil || e.Interp != "/lib/ld.so" || e.BadInterp != nil {
		t.Errorf("two PT_INTERP: %q %v %v; want the first", e.Interp, e.BadInterp, err)
	}
	e, err = read(mkELF{interps: [][]byte{[]byte("/lib/ld.so\x00/etc/shadow\x00")}})
	if err != nil || e.Interp != "/lib/ld.so" {
		t.Errorf("PT_INTERP with two strings: %q %v", e.Interp, err)
	}
	for _, bad := range []string{"/lib/ld.so", "\x00", "\x00x\x00", "x"} {
		e, err = read(mkELF{interps: [][]byte{[]byte(bad)}})
		if err != nil || e.Interp != "" || e.BadInterp == nil {
			t.Errorf("PT_INTERP %q: interp %q bad %v err %v; the kernel refuses it", bad, e.Interp, e.BadInterp, err)
		}
	}
	// Segments that map different bytes at the dynamic section's address.
	if e, err := read(mkELF{needed: []string{"libreal.so"}, overlap: true}); err == nil {
		t.Errorf("overlapping PT_LOADs: read %v, want an error", e.Needed)
	}
	// One DT_RUNPATH as each loader takes it.
	e, err = read(mkELF{needed: []string{"x"}, runpath: []string{"/first", "/last"}, rpath: []string{"/r1", "/r2"}})
	if err != nil {
		t.Fatal(err)
	}
	if d := readDyn(e, "", Glibc); !slices.Equal(d.runpath, []string{"/last"}) || d.rpath != nil {
		t.Errorf("glibc: runpath %v rpath %v, want the last DT_RUNPATH and no DT_RPATH", d.runpath, d.rpath)
	}
	if d := readDyn(e, "", Musl); !slices.Equal(d.runpath, []string{"/first"}) {
		t.Errorf("musl: runpath %v, want the first DT_RUNPATH", d.runpath)
	}
	e.RunPath = nil
	if d := readDyn(e, "", Glibc); !slices.Equal(d.rpath, []string{"/r2"}) {
		t.Errorf("glibc: rpath %v, want the last DT_RPATH", d.rpath)
	}
}

// loaderLab is a directory with the files the attacks name: a secret text
// file, an executable non-ELF file, an ELF executable that is no library,
// and links to the host's real ELF interpreter and C library.
type loaderLab struct {
	dir, secret, xsecret, notlib, interp, libc string
}

func newLoaderLab(t testing.TB, dir string) *loaderLab {
	t.Helper()
	if hostMachine() == elf.EM_NONE {
		t.Skipf("no ELF machine known for %s", runtime.GOARCH)
	}
	sh, err := Resolve("/bin/sh", Options{})
	if err != nil || sh.Kind != Dynamic || sh.Libc != Glibc {
		t.Skipf("/bin/sh is not a dynamic glibc program here (%v): no real interpreter and C library to build on", err)
	}
	l := &loaderLab{dir: dir, secret: filepath.Join(dir, "secret.txt"), xsecret: filepath.Join(dir, "xsecret"), notlib: filepath.Join(dir, "notlib.so")}
	l.interp = filepath.Join(dir, "ld")
	l.libc = filepath.Join(dir, "libok.so")
	for _, f := range sh.Files {
		switch {
		case f.Why == "ELF interpreter":
			os.Symlink(f.Path, l.interp)
		case strings.HasPrefix(filepath.Base(f.Path), "libc.so"):
			os.Symlink(f.Path, l.libc)
		}
	}
	os.WriteFile(l.secret, []byte("secret\n"), 0o644)
	os.WriteFile(l.xsecret, []byte("secret\n"), 0o755)
	os.WriteFile(l.notlib, mkELF{typ: elf.ET_EXEC}.bytes(), 0o755)
	if _, err := os.Stat(l.libc); err != nil {
		t.Skipf("no C library found for /bin/sh: %+v", sh.Files)
	}
	return l
}

func (l *loaderLab) prog(t testing.TB, name string, m mkELF) string {
	t.Helper()
	p := filepath.Join(l.dir, name)
	if err := os.WriteFile(p, m.bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestResolveGrantsOnlyWhatTheLoaderOpens builds programs and libraries
// that name the secret in every way the issue lists.
func TestResolveGrantsOnlyWhatTheLoaderOpens(t *testing.T) {
	l := newLoaderLab(t, t.TempDir())
	interp := []byte(l.interp + "\x00")
	granted := func(p *Program, path string) bool {
		_, ok := files(p)[realpath(t, path)]
		return ok
	}
	// DT_NEEDED paths: only the library is granted.
	p, err := Resolve(l.prog(t, "needs", mkELF{interps: [][]byte{interp}, needed: []string{l.secret, l.xsecret, l.notlib, l.libc}}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{l.secret, l.xsecret, l.notlib} {
		if granted(p, s) {
			t.Errorf("DT_NEEDED %s is no library, granted: %+v", s, p.Files)
		}
		if !slices.Contains(p.Missing, s) {
			t.Errorf("DT_NEEDED %s not reported missing: %v", s, p.Missing)
		}
	}
	if !granted(p, l.libc) {
		t.Errorf("DT_NEEDED naming a real library not granted: %+v", p.Files)
	}
	// A second PT_INTERP.
	p, err = Resolve(l.prog(t, "interp2", mkELF{interps: [][]byte{interp, []byte(l.xsecret + "\x00")}, needed: []string{l.libc}}), Options{})
	if err != nil || p.Interp != l.interp || granted(p, l.xsecret) {
		t.Errorf("second PT_INTERP: interp %q, err %v, files %+v", p.Interp, err, p.Files)
	}
	// An interpreter the kernel would not run: a text file, a file without
	// an execute bit, an ELF file of another machine.
	noX := filepath.Join(l.dir, "ld-nox")
	b, _ := os.ReadFile(l.interp)
	os.WriteFile(noX, b, 0o644)
	other := filepath.Join(l.dir, "ld-other")
	os.WriteFile(other, mkELF{machine: elf.EM_RISCV}.bytes(), 0o755)
	for _, bad := range []string{l.xsecret, l.secret, noX, other} {
		if p, err := Resolve(l.prog(t, "badinterp", mkELF{interps: [][]byte{[]byte(bad + "\x00")}}), Options{}); !errors.Is(err, ErrNotExecutable) {
			t.Errorf("PT_INTERP %s: want ErrNotExecutable, got %v %+v", bad, err, p)
		}
	}
	// A fake dynamic section.
	p, err = Resolve(l.prog(t, "fakedyn", mkELF{interps: [][]byte{interp}, needed: []string{l.libc}, fake: []string{l.secret, l.notlib}}), Options{})
	if err != nil || granted(p, l.secret) || len(p.Missing) != 0 || !granted(p, l.libc) {
		t.Errorf("fake dynamic section: err %v, files %+v, missing %v", err, p.Files, p.Missing)
	}
	// A library whose own DT_NEEDED names the secret, and one whose
	// DT_RUNPATH is the secret's directory.
	evil := filepath.Join(l.dir, "libevil.so")
	os.WriteFile(evil, mkELF{needed: []string{l.secret, "secret.txt"}, runpath: []string{l.dir}}.bytes(), 0o644)
	p, err = Resolve(l.prog(t, "useslib", mkELF{interps: [][]byte{interp}, needed: []string{l.libc, evil}}), Options{})
	if err != nil || !granted(p, evil) || granted(p, l.secret) {
		t.Errorf("library naming the secret: err %v, files %+v", err, p.Files)
	}
	// A name the loader already has is not searched for: here the first
	// library's DT_SONAME is the second DT_NEEDED, so the library of that
	// name in the DT_RUNPATH is never opened. (Nor is anything opened for
	// a DT_NEEDED naming the interpreter.)
	sub := filepath.Join(l.dir, "sub")
	os.Mkdir(sub, 0o755)
	os.WriteFile(filepath.Join(sub, "libtaken.so"), mkELF{}.bytes(), 0o644)
	first := filepath.Join(l.dir, "libfirst.so")
	os.WriteFile(first, mkELF{soname: "libtaken.so"}.bytes(), 0o644)
	p, err = Resolve(l.prog(t, "taken", mkELF{interps: [][]byte{interp}, needed: []string{first, "libtaken.so", l.interp}, runpath: []string{sub}}), Options{})
	if err != nil || !granted(p, first) || granted(p, filepath.Join(sub, "libtaken.so")) || len(p.Missing) != 0 {
		t.Errorf("DT_NEEDED answered by a DT_SONAME: err %v, files %+v, missing %v", err, p.Files, p.Missing)
	}
	// PT_PHDR sets the load address ld.so adds to PT_DYNAMIC's address:
	// one that disagrees with where the headers are mapped makes it read
	// another dynamic section (the program is refused); one that agrees is
	// fine.
	if _, err := Resolve(l.prog(t, "phdrshift", mkELF{interps: [][]byte{interp}, needed: []string{l.libc}, phdr: true, phdrShift: 0x1000}), Options{}); !errors.Is(err, ErrNotExecutable) {
		t.Errorf("PT_PHDR at another address: %v, want ErrNotExecutable", err)
	}
	if p, err := Resolve(l.prog(t, "phdrok", mkELF{interps: [][]byte{interp}, needed: []string{l.libc}, phdr: true}), Options{}); err != nil || !granted(p, l.libc) {
		t.Errorf("PT_PHDR where the headers are: %v", err)
	}
	// A program without an execute bit is not run by the kernel.
	np := l.prog(t, "nox", mkELF{interps: [][]byte{interp}})
	os.Chmod(np, 0o644)
	if _, err := Resolve(np, Options{}); !errors.Is(err, ErrNotExecutable) {
		t.Errorf("program without an execute bit: %v", err)
	}
}

// checkGrants is the fuzz property: every file granted for prog is the
// program itself, a file of the loader's own (its cache, preload list,
// musl path file), its ELF interpreter (an executable ELF file of the
// program's class and machine, the first PT_INTERP), a #! interpreter, or
// an ELF shared object of the program's class and machine. Never a
// non-ELF file, never the lab's secrets.
func checkGrants(t *testing.T, l *loaderLab, prog string, data []byte, p *Program) {
	t.Helper()
	self := realpath(t, prog)
	var wantInterp string
	if ef, err := elf.NewFile(bytes.NewReader(data)); err == nil {
		for _, ph := range ef.Progs {
			if ph.Type == elf.PT_INTERP {
				b := make([]byte, min(ph.Filesz, 4096))
				ph.ReadAt(b, 0)
				if i := bytes.IndexByte(b, 0); i > 0 {
					wantInterp, _ = filepath.Abs(string(b[:i]))
				}
				break
			}
		}
	}
	for _, f := range p.Files {
		switch {
		case f.Path == self:
			continue
		case f.Path == "/etc/ld.so.cache" || f.Path == "/etc/ld.so.preload" || strings.HasPrefix(f.Path, "/etc/ld-musl-"):
			continue
		}
		// (notlib, an ELF executable with an execute bit, is a valid
		// interpreter; the checks below refuse it as a library.)
		if f.Path == realpath(t, l.secret) || f.Path == realpath(t, l.xsecret) {
			t.Fatalf("granted %s (%s)", f.Path, f.Why)
		}
		if f.Why == "script interpreter" {
			if b, _ := os.ReadFile(f.Path); bytes.HasPrefix(b, []byte("#!")) {
				continue
			}
		}
		ef, err := elf.Open(f.Path)
		if err != nil {
			t.Fatalf("granted %s (%s), which is no ELF file: %v", f.Path, f.Why, err)
		}
		ef.Close()
		if ef.Machine != elf.Machine(p.Machine) {
			t.Fatalf("granted %s (%s) of machine %v for a %v program", f.Path, f.Why, ef.Machine, p.Machine)
		}
		switch {
		case f.Why == "ELF interpreter" || f.Why == "script interpreter":
			st, _ := os.Stat(f.Path)
			if (ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN) || st.Mode()&0o111 == 0 {
				t.Fatalf("granted %s as %s: %v, mode %v", f.Path, f.Why, ef.Type, st.Mode())
			}
			if f.Why == "ELF interpreter" && wantInterp != "" && len(p.Chain) == 1 && f.Path != realpath(t, wantInterp) {
				t.Fatalf("granted interpreter %s, the kernel runs %s", f.Path, wantInterp)
			}
		case ef.Type != elf.ET_DYN:
			t.Fatalf("granted %s (%s), an ELF %v file, not a shared object", f.Path, f.Why, ef.Type)
		}
	}
}

// FuzzResolveGrants resolves made-up programs in a directory holding
// secrets, real libraries and a real interpreter (named relative to it:
// seeds in testdata/fuzz/FuzzResolveGrants), and checks checkGrants. Each
// input runs in that directory (t.Chdir: the fuzzing engine itself stays
// in the package's, where it writes failing inputs).
func FuzzResolveGrants(f *testing.F) {
	dir := f.TempDir()
	l := newLoaderLab(f, dir)
	in := []byte("./ld\x00")
	for _, m := range []mkELF{
		{interps: [][]byte{in}, needed: []string{"./libok.so", "./secret.txt", "./notlib.so"}},
		{interps: [][]byte{in, []byte("./xsecret\x00")}, needed: []string{"./libok.so"}},
		{interps: [][]byte{in}, needed: []string{"./libok.so"}, fake: []string{"./secret.txt", "./libok.so"}},
		{interps: [][]byte{in}, needed: []string{"secret.txt", "libok.so"}, runpath: []string{".", "/nonexistent"}, rpath: []string{"$ORIGIN"}},
		{interps: [][]byte{[]byte("./xsecret\x00")}},
		{interps: [][]byte{in}, needed: []string{"./libok.so"}, overlap: true},
		{interps: [][]byte{in}, needed: []string{"./libok.so"}, phdr: true, phdrShift: 0x1000},
		{interps: [][]byte{[]byte("./notlib.so\x00")}, needed: []string{"./libok.so"}},
	} {
		f.Add(m.bytes())
	}
	f.Add([]byte("#!./ld ./secret.txt\n"))
	prog := filepath.Join(dir, "prog")
	f.Fuzz(func(t *testing.T, data []byte) {
		t.Chdir(dir)
		if err := os.WriteFile(prog, data, 0o755); err != nil {
			t.Fatal(err)
		}
		p, err := Resolve(prog, Options{})
		if err != nil {
			return
		}
		checkGrants(t, l, prog, data, p)
	})
}

// Names the program chooses never reach a message raw: a #! interpreter, a
// PT_INTERP and a DT_NEEDED entry with a terminal escape sequence.
func TestResolveEscapesNames(t *testing.T) {
	l := newLoaderLab(t, t.TempDir())
	const esc = "\x1b]0;pwned\x07"
	script := filepath.Join(l.dir, "script")
	os.WriteFile(script, []byte("#!"+l.dir+"/"+esc+"\n"), 0o755)
	prog := l.prog(t, "badinterp", mkELF{interps: [][]byte{[]byte(l.dir + "/" + esc + "\x00")}})
	for _, p := range []string{script, prog} {
		_, err := Resolve(p, Options{})
		if err == nil || strings.ContainsAny(err.Error(), "\x1b\x07") {
			t.Errorf("%s: error %q", p, err)
		}
	}
	p, err := Resolve(l.prog(t, "needs", mkELF{interps: [][]byte{[]byte(l.interp + "\x00")}, needed: []string{l.libc, esc}}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range p.Missing {
		if strings.ContainsAny(m, "\x1b\x07") {
			t.Errorf("missing %q", m)
		}
	}
	for _, f := range p.Files {
		if strings.ContainsAny(f.Why, "\x1b\x07") {
			t.Errorf("why %q", f.Why)
		}
	}
	if len(p.Missing) != 1 {
		t.Errorf("missing %q, want the escaped name", p.Missing)
	}
}

// A FIFO or a device named by a #! line or PT_INTERP is refused without
// being opened: opening a FIFO blocks (the command hung), opening some
// devices acts.
func TestResolveOpensOnlyRegularFiles(t *testing.T) {
	l := newLoaderLab(t, t.TempDir())
	fifo := filepath.Join(l.dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o755); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	script := filepath.Join(l.dir, "script")
	os.WriteFile(script, []byte("#!"+fifo+"\n"), 0o755)
	for _, p := range []string{
		script,
		l.prog(t, "fifointerp", mkELF{interps: [][]byte{[]byte(fifo + "\x00")}}),
		l.prog(t, "fifoneeded", mkELF{interps: [][]byte{[]byte(l.interp + "\x00")}, needed: []string{fifo}}),
	} {
		done := make(chan error, 1)
		go func() {
			p, err := Resolve(p, Options{})
			if err == nil && len(p.Missing) == 0 {
				err = errors.New("accepted")
			}
			done <- err
		}()
		select {
		case err := <-done:
			if errors.Is(err, os.ErrNotExist) || err != nil && err.Error() == "accepted" {
				t.Errorf("%s: %v", p, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Resolve blocks on the FIFO", p)
		}
	}
}
