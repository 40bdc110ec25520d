// Package elfdeps finds the files a program needs the kernel and the dynamic
// loader to open when it is executed: the program itself, its #! interpreter
// chain, its ELF interpreter (PT_INTERP), and its shared libraries, found the
// way the loader finds them (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH with
// $ORIGIN/$LIB/$PLATFORM, /etc/ld.so.cache, the default directories),
// recursively. It reads files only; it never executes anything.
//
// The answer is meant for allow-lists (Landlock rules): where the loader may
// choose among candidates at run time (glibc-hwcaps subdirectories, several
// cache entries), every existing candidate is returned, so the set is a
// superset of what one run opens. Libraries opened later with dlopen are not
// covered (they are not in DT_NEEDED).
//
// The program is not trusted: its headers are read as the kernel and the
// loader read them, never as they merely claim to be, and nothing is
// returned that they would not open for it. The dynamic section is read at
// PT_DYNAMIC's address through the PT_LOAD segment mapping it (p_offset is
// ignored, as ld.so ignores it); the first PT_INTERP is the interpreter, and
// it must be an executable ELF file of the program's class and machine; a
// library, whether a DT_NEEDED path, found in a search directory or listed
// in /etc/ld.so.preload, must be an ELF shared object of the program's
// class, byte order and machine; one DT_RPATH and DT_RUNPATH are used as
// the loader picks them; a name the loader already has (asked for before,
// a mapped library's DT_SONAME, the interpreter) is not searched for.
// Headers that could be read two ways are refused (an error for the
// program, a library that is not walked), among them a program whose
// headers ld.so would find elsewhere in memory or whose PT_PHDR would give
// it another load address. Names read from the program are
// escaped (Printable) wherever they end up in a message.
package elfdeps

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pledgekit/pledgekit/internal/elfdeps/internal/elf"
	"github.com/pledgekit/pledgekit/internal/pathres"
)

// Kind says how the kernel runs a file.
type Kind int

const (
	// Static is an ELF file without PT_INTERP: the kernel maps it alone.
	Static Kind = iota
	// Dynamic is an ELF file with PT_INTERP: the loader maps its libraries.
	Dynamic
	// Script is a file starting with "#!": the kernel runs its interpreter.
	Script
)

func (k Kind) String() string {
	switch k {
	case Static:
		return "static"
	case Dynamic:
		return "dynamic"
	case Script:
		return "script"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Libc names the loader family of a dynamic program.
type Libc string

const (
	Glibc Libc = "glibc"
	Musl  Libc = "musl"
)

// File is one file the program needs, and whether it must be executable
// (execve'd by the kernel, which Landlock checks as "execute") or only
// readable (opened and mapped by the loader).
type File struct {
	Path string // absolute, symlinks resolved
	Exec bool
	Why  string // "program", "interpreter", "library libc.so.6", "loader cache", ...
}

// Program is what Resolve found.
type Program struct {
	Path   string // the file asked for, absolute (not resolved)
	Real   string // Path with symlinks resolved
	Kind   Kind
	Libc   Libc   // for Dynamic (and scripts whose final interpreter is dynamic)
	Interp string // PT_INTERP, or the #! interpreter
	// ScriptArg is the optional argument on the #! line.
	ScriptArg string
	// Chain lists the files the kernel executes, in order: a script, its
	// interpreter (which may be a script again), and the final ELF file.
	Chain []string
	// Files is every file to allow, deduplicated, sorted by path.
	Files []File
	// Missing lists DT_NEEDED names the loader will not find; the program
	// will most likely fail to start.
	Missing []string
	// Machine is the ELF machine of the final executable.
	Machine elf.Machine
}

// Options tunes Resolve.
type Options struct {
	// LibraryPath is LD_LIBRARY_PATH as the program will see it.
	LibraryPath string
	// CachePath is the glibc loader cache; "" means /etc/ld.so.cache.
	CachePath string
	// Root is prepended to every absolute path read (for tests); "" is /.
	Root string
	// PathEnv is PATH as the program will see it; used for
	// "#!/usr/bin/env NAME" scripts to find NAME ("" means DefaultPath).
	PathEnv string
	// ExecOnly resolves only what the kernel executes: the program, its
	// #! interpreters and the ELF interpreter (Files then holds just
	// these, all with Exec set). The libraries the loader reads, the
	// preload list and Missing are left out: a caller that restricts
	// executing but not reading needs no more, and saves reading the
	// loader cache and every library's headers.
	ExecOnly bool
	// Paths, when set, answers the resolver's look-ups of paths (lstat,
	// symlinks) and keeps them for the caller's later ones (a planning
	// that resolves the same directories again); nil: a cache of the
	// resolver's own, for this call.
	Paths *pathres.Cache
}

// errNotRegular is openFile's answer for anything but a regular file.
var errNotRegular = errors.New("not a regular file")

// ErrNotExecutable is wrapped when the file is neither ELF nor a #! script,
// or is an ELF file of a kind that cannot be executed.
var ErrNotExecutable = errors.New("not an executable ELF file or #! script")

// maxScriptDepth is the kernel's BINPRM_MAX_RECURSION.
const maxScriptDepth = 4

type resolver struct {
	opt    Options
	cache  *rawCache
	cerr   error
	loaded bool
	files  map[string]*File
	prog   *Program
	seen   map[string]bool // libraries already walked (real paths)
	elfs   map[elfKey]elfRead
	reals  map[string]string // real's answers, by the path asked
	paths  *pathres.Cache    // lstat and symlink answers
}

// Resolve analyses the program at path (absolute or relative to the working
// directory).
func Resolve(path string, opt Options) (*Program, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	r := &resolver{opt: opt, files: map[string]*File{}, seen: map[string]bool{}, reals: map[string]string{}, paths: opt.Paths}
	if r.paths == nil {
		r.paths = pathres.New()
	}
	p := &Program{Path: abs}
	r.prog = p
	if err := r.exe(abs, 0); err != nil {
		return nil, err
	}
	p.Real = r.real(abs)
	for _, f := range r.files {
		p.Files = append(p.Files, *f)
	}
	sort.Slice(p.Files, func(i, j int) bool { return p.Files[i].Path < p.Files[j].Path })
	sort.Strings(p.Missing)
	return p, nil
}

func (r *resolver) host(p string) string {
	if r.opt.Root == "" {
		return p
	}
	return filepath.Join(r.opt.Root, p)
}

// real resolves symlinks; on failure it returns the cleaned path. The
// answers are kept: the same files and directories come up again and
// again (each library is added and walked; libraries share directories).
func (r *resolver) real(p string) string {
	if rp, ok := r.reals[p]; ok {
		return rp
	}
	rp := r.realHost(r.host(p))
	if rp == "" {
		rp = filepath.Clean(p)
	} else if r.opt.Root != "" {
		if rel, err := filepath.Rel(r.opt.Root, rp); err == nil {
			rp = "/" + rel
		}
	}
	r.reals[p] = rp
	return rp
}

// realHost is filepath.EvalSymlinks(hp) ("" on failure). For a clean
// absolute path whose last element is not a symlink it is the resolved
// directory (kept, under "\x00" + the directory) joined with that element:
// EvalSymlinks resolves a path element by element, left to right, so it
// resolves the directory part exactly as it would alone, and an element
// that is not a link is appended as it is.
func (r *resolver) realHost(hp string) string {
	dir, base := filepath.Split(hp)
	if !filepath.IsAbs(hp) || hp != filepath.Clean(hp) || base == "" || dir == "/" {
		rp, err := r.paths.EvalSymlinks(hp)
		if err != nil {
			return ""
		}
		return rp
	}
	dir = dir[:len(dir)-1]
	key := "\x00" + dir
	rd, ok := r.reals[key]
	if !ok {
		if d, err := r.paths.EvalSymlinks(dir); err == nil {
			rd = d
		}
		r.reals[key] = rd
	}
	if rd == "" {
		return ""
	}
	fi, err := r.paths.Lstat(filepath.Join(rd, base))
	switch {
	case err != nil:
		return ""
	case fi.Mode()&fs.ModeSymlink != 0:
		rp, err := r.paths.EvalSymlinks(hp)
		if err != nil {
			return ""
		}
		return rp
	}
	return filepath.Join(rd, base)
}

func (r *resolver) add(p string, exec bool, why string) {
	rp := r.real(p)
	if f, ok := r.files[rp]; ok {
		f.Exec = f.Exec || exec
		return
	}
	r.files[rp] = &File{Path: rp, Exec: exec, Why: why}
}

// escapePath escapes the path in err (an *fs.PathError) with Printable.
func escapePath(err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		pe.Path = Printable(pe.Path)
	}
	return err
}

// openExec opens a file the kernel is to execute: a regular file (see
// openFile) with an execute bit.
func (r *resolver) openExec(path string) (*rfile, error) {
	f, err := openFile(r.host(path))
	if errors.Is(err, errNotRegular) {
		return nil, fmt.Errorf("%w (not a regular file)", ErrNotExecutable)
	}
	if err != nil {
		return nil, err
	}
	x, err := f.executable()
	if err == nil && !x {
		err = fmt.Errorf("%w (no execute permission)", ErrNotExecutable)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// exe handles one file the kernel executes.
func (r *resolver) exe(path string, depth int) error {
	// Below the program, paths come from #! lines: the program's choice.
	name := Printable(path)
	f, err := r.openExec(path)
	if errors.Is(err, ErrNotExecutable) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err != nil {
		return escapePath(err)
	}
	defer f.Close()
	r.prog.Chain = append(r.prog.Chain, path)
	why := "program"
	if depth > 0 {
		why = "script interpreter"
	}
	r.add(path, true, why)
	head := make([]byte, 256)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	if bytes.HasPrefix(head, []byte("#!")) {
		if depth >= maxScriptDepth {
			return fmt.Errorf("%s: %w: #! interpreters nest deeper than %d", name, ErrNotExecutable, maxScriptDepth)
		}
		interp, arg, err := ParseShebang(head)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if depth == 0 {
			r.prog.Kind = Script
			r.prog.Interp = interp
			r.prog.ScriptArg = arg
		}
		if err := r.exe(interp, depth+1); err != nil {
			return fmt.Errorf("%s: interpreter: %w", name, err)
		}
		// "#!/usr/bin/env NAME": env will exec NAME found on PATH.
		if filepath.Base(interp) == "env" && arg != "" {
			if target := envTarget(arg); target != "" {
				if full := lookPath(target, r.opt.PathEnv, r.host); full != "" {
					if err := r.exe(full, depth+1); err != nil {
						return fmt.Errorf("%s: env target %s: %w", name, Printable(target), err)
					}
				}
			}
		}
		return nil
	}
	if !bytes.HasPrefix(head, []byte(elf.ELFMAG)) {
		return fmt.Errorf("%s: %w", name, ErrNotExecutable)
	}
	ef, err := readELF(f, true)
	if err != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrNotExecutable, err)
	}
	if ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN {
		return fmt.Errorf("%s: %w: ELF type %v", name, ErrNotExecutable, ef.Type)
	}
	r.prog.Machine = ef.Machine
	if ef.BadInterp != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrNotExecutable, ef.BadInterp)
	}
	interp := ef.Interp
	if interp != "" && ef.PhdrView != nil {
		return fmt.Errorf("%s: %w: %v", name, ErrNotExecutable, ef.PhdrView)
	}
	if interp == "" {
		if depth == 0 {
			r.prog.Kind = Static
		}
		return nil
	}
	if depth == 0 {
		r.prog.Kind = Dynamic
		r.prog.Interp = interp
	}
	libc := Glibc
	if strings.HasPrefix(filepath.Base(interp), "ld-musl-") {
		libc = Musl
	}
	if r.prog.Libc == "" || depth > 0 {
		r.prog.Libc = libc
	}
	if !filepath.IsAbs(interp) {
		// The kernel opens it relative to the working directory, which
		// the caller shares with the program.
		if abs, err := filepath.Abs(interp); err == nil {
			interp = abs
		}
	}
	if err := escapePath(r.checkInterp(interp, ef)); err != nil {
		return fmt.Errorf("%s: %w: its ELF interpreter %s: %v", name, ErrNotExecutable, Printable(interp), err)
	}
	// The kernel opens the interpreter for execution.
	r.add(interp, true, "ELF interpreter")
	if r.opt.ExecOnly {
		return nil
	}
	if libc == Glibc {
		// glibc's loader reads the preload list (and loads what it names).
		const preload = "/etc/ld.so.preload"
		if b, err := readFile(r.host(preload)); err == nil {
			r.add(preload, false, "loader preload list")
			// The loader splits it at blanks and colons; a name without a
			// slash it would search for is left out (not granted).
			for _, name := range strings.FieldsFunc(string(b), func(c rune) bool { return strings.ContainsRune(" \t\n:", c) }) {
				if filepath.IsAbs(name) && exists(r.host(name)) && r.compatible(name, ef) {
					r.add(name, false, "preloaded library")
				}
			}
		}
	}
	r.objects(ef, filepath.Dir(r.real(path)), libc, interp)
	return nil
}

// checkInterp checks that the kernel would execute interp as the ELF
// interpreter of ef (load_elf_binary): a regular file with an execute bit,
// an ELF executable or shared object of ef's class, byte order and
// machine. A program naming anything else as its interpreter cannot run,
// and nothing is granted for it.
func (r *resolver) checkInterp(interp string, ef *elfInfo) error {
	f, err := r.openExec(interp)
	if err != nil {
		return err
	}
	defer f.Close()
	ie, err := readELF(f, false)
	if err != nil {
		return err
	}
	if ie.Class != ef.Class || ie.Data != ef.Data || ie.Machine != ef.Machine || (ie.Type != elf.ET_EXEC && ie.Type != elf.ET_DYN) {
		return fmt.Errorf("a %v %v %v file, not an interpreter for a %v %v program", ie.Class, ie.Machine, ie.Type, ef.Class, ef.Machine)
	}
	return nil
}

// dyn is what the loader reads from one object's dynamic section.
type dyn struct {
	needed   []string
	rpath    []string
	runpath  []string
	nodeflib bool
	origin   string
}

// readDyn takes one DT_RPATH and one DT_RUNPATH as the loader does where a
// file has several: glibc keeps the last of each and ignores DT_RPATH when
// there is a DT_RUNPATH; musl uses the first DT_RUNPATH, else the last
// DT_RPATH (kept here as runpath, which musl treats alike).
func readDyn(ef *elfInfo, origin string, libc Libc) dyn {
	d := dyn{needed: ef.Needed, nodeflib: ef.NoDefLib, origin: origin}
	last := func(l []string) []string {
		if len(l) == 0 {
			return nil
		}
		return strings.Split(l[len(l)-1], ":")
	}
	switch {
	case libc == Musl && len(ef.RunPath) > 0:
		d.runpath = strings.Split(ef.RunPath[0], ":")
	case libc == Musl:
		d.runpath = last(ef.RPath)
	case len(ef.RunPath) > 0:
		d.runpath = last(ef.RunPath)
	default:
		d.rpath = last(ef.RPath)
	}
	return d
}

// objects walks the DT_NEEDED entries of the program ef and of every
// library they bring in, breadth first as the loader maps them: a library
// is searched for with the DT_RPATH of the objects that first needed it,
// and a name the loader already has (requested before, the DT_SONAME of a
// library it mapped, or the interpreter's own name) is not searched for
// again, as glibc's loader answers it with the object it has.
func (r *resolver) objects(ef *elfInfo, origin string, libc Libc, interp string) {
	type node struct {
		ef     *elfInfo
		origin string
		chain  []dyn // the objects that caused this one to be loaded
	}
	have := map[string]bool{interp: true}
	if libc == Glibc {
		if ie, err := r.readELF(interp, true); err == nil && ie.SoName != "" {
			have[ie.SoName] = true
		}
	}
	queue := []node{{ef, origin, nil}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		chain := append(append([]dyn(nil), n.chain...), readDyn(n.ef, n.origin, libc))
		for _, name := range chain[len(chain)-1].needed {
			if have[name] {
				continue
			}
			have[name] = true
			cands := r.find(name, n.ef, chain, libc, interp)
			if len(cands) == 0 {
				r.prog.Missing = append(r.prog.Missing, Printable(name))
				continue
			}
			for _, c := range cands {
				rp := r.real(c)
				r.add(c, false, "library "+Printable(name))
				if r.seen[rp] {
					continue
				}
				r.seen[rp] = true
				lf, err := r.readELF(c, true)
				if err != nil {
					continue
				}
				if libc == Glibc && lf.SoName != "" {
					have[lf.SoName] = true
				}
				queue = append(queue, node{lf, filepath.Dir(c), chain})
			}
		}
	}
}

// compatible reports whether the file at p is a library the loader can
// load into an object like ef: an ELF shared object (ET_DYN) of the same
// class, machine and byte order. Nothing else is ever granted as a
// library, whatever a DT_NEEDED entry names.
func (r *resolver) compatible(p string, ef *elfInfo) bool {
	// Read with the dynamic section (walking the library needs it next);
	// a library whose dynamic section is unreadable is judged by its
	// header alone, as before.
	lf, err := r.readELF(p, true)
	if err != nil {
		if lf, err = r.readELF(p, false); err != nil {
			return false
		}
	}
	return lf.Class == ef.Class && lf.Machine == ef.Machine && lf.Data == ef.Data && lf.Type == elf.ET_DYN
}

// readELF reads the library at p (a path in the program's view), once: a
// candidate is read for its header when checked and again, with its
// dynamic section, when walked.
func (r *resolver) readELF(p string, dyn bool) (*elfInfo, error) {
	k := elfKey{p, dyn}
	if e, ok := r.elfs[k]; ok {
		return e.info, e.err
	}
	if !dyn {
		if e, ok := r.elfs[elfKey{p, true}]; ok {
			return e.info, e.err
		}
	}
	var info *elfInfo
	f, err := openFile(r.host(p))
	if err == nil {
		info, err = readELF(f, dyn)
		f.Close()
	}
	if r.elfs == nil {
		r.elfs = map[elfKey]elfRead{}
	}
	r.elfs[k] = elfRead{info, err}
	return info, err
}

type elfKey struct {
	path string
	dyn  bool
}

type elfRead struct {
	info *elfInfo
	err  error
}

// find returns the candidates the loader may use for name.
func (r *resolver) find(name string, ef *elfInfo, chain []dyn, libc Libc, interp string) []string {
	if strings.Contains(name, "/") {
		p := name
		if !filepath.IsAbs(p) {
			// Relative to the working directory at run time; resolved here
			// against ours, which the CLI shares with the program.
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
		}
		// The loader opens the path and refuses what is not a library
		// of the program's kind; only a library is granted.
		if exists(r.host(p)) && r.compatible(p, ef) {
			return []string{p}
		}
		return nil
	}
	if libc == Musl {
		if isMuslLibcName(name) {
			return []string{interp}
		}
		return r.search(name, ef, r.muslDirs(chain, interp), false)
	}
	self := chain[len(chain)-1]
	var dirs []string
	if len(self.runpath) == 0 {
		for i := len(chain) - 1; i >= 0; i-- {
			if len(chain[i].runpath) == 0 {
				dirs = append(dirs, r.expand(chain[i].rpath, chain[i].origin, ef)...)
			}
		}
	}
	dirs = append(dirs, r.expand(splitPath(r.opt.LibraryPath), "", ef)...)
	dirs = append(dirs, r.expand(self.runpath, self.origin, ef)...)
	if out := r.search(name, ef, dirs, true); len(out) > 0 {
		return out
	}
	if self.nodeflib {
		return nil
	}
	if out := r.fromCache(name, ef); len(out) > 0 {
		return out
	}
	return r.search(name, ef, defaultDirs(ef), true)
}

func (r *resolver) fromCache(name string, ef *elfInfo) []string {
	if !r.loaded {
		r.loaded = true
		cp := r.opt.CachePath
		if cp == "" {
			cp = "/etc/ld.so.cache"
		}
		r.cache, r.cerr = loadRawCache(r.host(cp))
		if r.cerr == nil {
			r.add(cp, false, "loader cache")
		}
	}
	if r.cache == nil {
		return nil
	}
	var out []string
	for _, p := range r.cache.lookup(name, cacheFlags(ef)) {
		if r.compatible(p, ef) {
			out = append(out, p)
		}
	}
	return out
}

// cacheFlags is the ldconfig flag word for libraries of ef's kind, or -1
// when not known (candidates are then checked by reading their ELF header).
func cacheFlags(ef *elfInfo) int32 {
	switch {
	case ef.Machine == elf.EM_X86_64 && ef.Class == elf.ELFCLASS64:
		return FlagELFLibc6 | FlagX8664Lib64
	case ef.Machine == elf.EM_X86_64 && ef.Class == elf.ELFCLASS32:
		return FlagELFLibc6 | FlagX8664LibX32
	case ef.Machine == elf.EM_AARCH64 && ef.Class == elf.ELFCLASS64:
		return FlagELFLibc6 | FlagAArch64Lib64
	case ef.Machine == elf.EM_386:
		return FlagELFLibc6
	}
	return -1
}

// hwcapsSubdirs are the glibc-hwcaps subdirectories glibc 2.33+ tries in
// each search directory before the directory itself.
func hwcapsSubdirs(ef *elfInfo) []string {
	switch ef.Machine {
	case elf.EM_X86_64:
		return []string{"glibc-hwcaps/x86-64-v4", "glibc-hwcaps/x86-64-v3", "glibc-hwcaps/x86-64-v2"}
	case elf.EM_PPC64:
		return []string{"glibc-hwcaps/power10", "glibc-hwcaps/power9"}
	case elf.EM_S390:
		return []string{"glibc-hwcaps/z16", "glibc-hwcaps/z15", "glibc-hwcaps/z14", "glibc-hwcaps/z13"}
	}
	return nil
}

// search looks for name in dirs as the loader does. glibc tries a
// directory's glibc-hwcaps subdirectories first (every existing one is
// returned: which the loader uses depends on the CPU), skips a file of
// another class or machine and stops at any other existing file; musl
// stops at the first existing file. Only a compatible library is returned.
func (r *resolver) search(name string, ef *elfInfo, dirs []string, glibc bool) []string {
	var out []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if glibc {
			for _, sub := range hwcapsSubdirs(ef) {
				p := filepath.Join(d, sub, name)
				if exists(r.host(p)) && r.compatible(p, ef) {
					out = append(out, p)
				}
			}
		}
		p := filepath.Join(d, name)
		if !exists(r.host(p)) {
			continue
		}
		if r.compatible(p, ef) {
			return append(out, p)
		}
		if !glibc || !r.otherKind(p, ef) {
			return out
		}
	}
	return out
}

// otherKind reports whether p is an ELF file of another class or machine
// than ef, which glibc's loader skips while searching (any other file
// that is not a library stops the search with an error).
func (r *resolver) otherKind(p string, ef *elfInfo) bool {
	lf, err := r.readELF(p, false)
	return err == nil && (lf.Class != ef.Class || lf.Machine != ef.Machine)
}

func splitPath(s string) []string {
	if s == "" {
		return nil
	}
	return strings.FieldsFunc(s, func(c rune) bool { return c == ':' || c == ';' })
}

// expand substitutes the loader's dynamic string tokens. $LIB expands to
// every spelling the common distributions use.
func (r *resolver) expand(dirs []string, origin string, ef *elfInfo) []string {
	var out []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if strings.Contains(d, "ORIGIN") && origin == "" {
			continue
		}
		d = replaceToken(d, "ORIGIN", origin)
		d = replaceToken(d, "PLATFORM", platform(ef))
		if strings.Contains(d, "$LIB") || strings.Contains(d, "${LIB}") {
			for _, lib := range libNames(ef) {
				out = append(out, filepath.Clean(replaceToken(d, "LIB", lib)))
			}
			continue
		}
		if filepath.IsAbs(d) {
			out = append(out, filepath.Clean(d))
		}
	}
	return out
}

func replaceToken(s, tok, val string) string {
	s = strings.ReplaceAll(s, "${"+tok+"}", val)
	return strings.ReplaceAll(s, "$"+tok, val)
}

func platform(ef *elfInfo) string {
	switch ef.Machine {
	case elf.EM_X86_64:
		return "x86_64"
	case elf.EM_AARCH64:
		return "aarch64"
	case elf.EM_386:
		return "i686"
	}
	return strings.ToLower(strings.TrimPrefix(ef.Machine.String(), "EM_"))
}

func triplet(ef *elfInfo) string {
	switch {
	case ef.Machine == elf.EM_X86_64 && ef.Class == elf.ELFCLASS64:
		return "x86_64-linux-gnu"
	case ef.Machine == elf.EM_AARCH64:
		return "aarch64-linux-gnu"
	case ef.Machine == elf.EM_386:
		return "i386-linux-gnu"
	case ef.Machine == elf.EM_ARM:
		return "arm-linux-gnueabihf"
	case ef.Machine == elf.EM_RISCV:
		return "riscv64-linux-gnu"
	}
	return ""
}

func libNames(ef *elfInfo) []string {
	out := []string{"lib"}
	if ef.Class == elf.ELFCLASS64 {
		out = append(out, "lib64")
	}
	if t := triplet(ef); t != "" {
		out = append(out, "lib/"+t)
	}
	return out
}

// defaultDirs are the trusted directories glibc searches last (Debian
// multiarch first, then the FHS ones).
func defaultDirs(ef *elfInfo) []string {
	var out []string
	if t := triplet(ef); t != "" {
		out = append(out, "/lib/"+t, "/usr/lib/"+t)
	}
	if ef.Class == elf.ELFCLASS64 {
		out = append(out, "/lib64", "/usr/lib64")
	}
	return append(out, "/lib", "/usr/lib")
}

// Printable returns s as it is when every character of it is printable,
// else quoted with Go escapes: names read from a program (DT_NEEDED
// entries, PT_INTERP) are the program's choice and must not reach a
// terminal raw.
func Printable(s string) string {
	q := strconv.QuoteToGraphic(s)
	if q[1:len(q)-1] == s {
		return s
	}
	return q
}

// isMuslLibcName reports the names musl's loader answers with itself.
func isMuslLibcName(name string) bool {
	base := name
	if i := strings.Index(base, ".so"); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "libc", "libpthread", "librt", "libm", "libdl", "libutil", "libxnet":
		return true
	}
	return strings.HasPrefix(name, "libc.musl-")
}

// muslDirs is musl's search order: LD_LIBRARY_PATH, then the RPATH or
// RUNPATH of the loading object (musl treats both alike; see readDyn), then the path file next to
// the loader's name (/etc/ld-musl-ARCH.path) or the default list.
func (r *resolver) muslDirs(chain []dyn, interp string) []string {
	var dirs []string
	dirs = append(dirs, splitPath(r.opt.LibraryPath)...)
	self := chain[len(chain)-1]
	for _, d := range self.runpath {
		dirs = append(dirs, replaceToken(d, "ORIGIN", self.origin))
	}
	base := strings.TrimSuffix(filepath.Base(interp), ".so.1")
	base = strings.TrimPrefix(base, "ld-musl-")
	pf := "/etc/ld-musl-" + base + ".path"
	if b, err := readFile(r.host(pf)); err == nil {
		r.add(pf, false, "musl loader path file")
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			dirs = append(dirs, splitPath(strings.TrimSpace(sc.Text()))...)
		}
	} else {
		dirs = append(dirs, "/lib", "/usr/local/lib", "/usr/lib")
	}
	return dirs
}

// ParseShebang reads the interpreter and its optional argument from the
// first line of a script, as Linux does: after "#!", blanks are skipped,
// the interpreter runs to the next blank, and the rest of the line
// (trimmed) is one argument.
func ParseShebang(head []byte) (interp, arg string, err error) {
	if !bytes.HasPrefix(head, []byte("#!")) {
		return "", "", fmt.Errorf("%w: no #! line", ErrNotExecutable)
	}
	line := head[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	line = bytes.TrimRight(line, " \t\r")
	line = bytes.TrimLeft(line, " \t")
	if len(line) == 0 {
		return "", "", fmt.Errorf("%w: empty #! line", ErrNotExecutable)
	}
	i := bytes.IndexAny(line, " \t")
	if i < 0 {
		return string(line), "", nil
	}
	return string(line[:i]), string(bytes.TrimLeft(line[i:], " \t")), nil
}

// envTarget returns the program "#!/usr/bin/env ARG" runs ("" if none).
// The kernel passes ARG as one argument. Without -S (--split-string) env
// takes it as one word: a program name, unless it is an option or an
// assignment. With -S env splits it, and the program is the first word
// that is neither an option (nor the argument of -u, -C, -a or their long
// forms) nor an assignment; a word env would still unquote or expand is
// returned as it is, so it is found nowhere and granted nothing.
func envTarget(arg string) string {
	var words []string
	switch {
	case strings.HasPrefix(arg, "--split-string="):
		words = strings.Fields(strings.TrimPrefix(arg, "--split-string="))
	case strings.HasPrefix(arg, "-S"):
		words = strings.Fields(strings.TrimPrefix(arg, "-S"))
	case strings.HasPrefix(arg, "--split-string"):
		words = strings.Fields(strings.TrimPrefix(arg, "--split-string"))
	case strings.HasPrefix(arg, "-") || strings.Contains(arg, "="):
		return ""
	default:
		return arg
	}
	for i := 0; i < len(words); i++ {
		switch w := words[i]; {
		case w == "--":
			if i+1 < len(words) {
				return words[i+1]
			}
			return ""
		case w == "-u" || w == "-C" || w == "-a" || w == "--unset" || w == "--chdir" || w == "--argv0":
			i++
		case strings.HasPrefix(w, "-") || strings.Contains(w, "="):
		default:
			return w
		}
	}
	return ""
}

// LookPath finds name on the PATH list the way execvp does ("" if not
// found). A name containing a slash is returned as is when it exists.
func LookPath(name, path string) string {
	return lookPath(name, path, func(s string) string { return s })
}

// DefaultPath is execvp's search list when PATH is unset.
const DefaultPath = "/usr/local/bin:/usr/bin:/bin"

func lookPath(name, path string, host func(string) string) string {
	if strings.Contains(name, "/") {
		if _, err := os.Stat(host(name)); err == nil {
			return name
		}
		return ""
	}
	if path == "" {
		path = DefaultPath
	}
	for _, d := range strings.Split(path, ":") {
		if d == "" {
			d = "."
		}
		p := filepath.Join(d, name)
		st, err := os.Stat(host(p))
		if err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			if abs, err := filepath.Abs(p); err == nil {
				return abs
			}
			return p
		}
	}
	return ""
}
