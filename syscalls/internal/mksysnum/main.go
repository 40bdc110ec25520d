// Command mksysnum generates the per-architecture syscall number tables
// (syscalls/linux_amd64/zsysnum.go and syscalls/linux_arm64/zsysnum.go)
// from the checked-in source syscalls/syscalls.txt.
//
// Usage (normally through go generate in package syscalls):
//
//	go run ./internal/mksysnum -src syscalls.txt -out .
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/pledgekit/pledgekit/syscalls/internal/systab"
)

// arch describes one generated package.
type arch struct {
	goarch    string // Go's name, also the column name in the source
	pkg       string // package (and directory) name
	auditArch uint32 // AUDIT_ARCH_* value seccomp reports in seccomp_data.arch
	auditName string
	x32Bit    bool // whether the arch has x32 (__X32_SYSCALL_BIT)
}

// arches lists the generated tables, in the source's column order.
var arches = []arch{
	{goarch: "amd64", pkg: "linux_amd64", auditArch: 0xc000003e, auditName: "AUDIT_ARCH_X86_64", x32Bit: true},
	{goarch: "arm64", pkg: "linux_arm64", auditArch: 0xc00000b7, auditName: "AUDIT_ARCH_AARCH64"},
}

// source is the parsed syscalls.txt.
type source struct {
	kernel  string
	numbers []map[string]uint32 // per arch, same order as arches
}

// errSource is wrapped by every parse error.
var errSource = errors.New("bad syscall source")

func parse(r io.Reader) (*source, error) {
	src := &source{numbers: make([]map[string]uint32, len(arches))}
	for i := range src.numbers {
		src.numbers[i] = map[string]uint32{}
	}
	byNumber := make([]map[uint32]string, len(arches))
	for i := range byNumber {
		byNumber[i] = map[uint32]string{}
	}
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			if v, ok := strings.CutPrefix(text, "# kernel:"); ok {
				src.kernel = strings.TrimSpace(v)
				if !validKernel(src.kernel) {
					return nil, fmt.Errorf("%w: line %d: bad kernel release %q (want e.g. v6.18)", errSource, line, src.kernel)
				}
			}
			continue
		}
		f := strings.Fields(text)
		if len(f) != 1+len(arches) {
			return nil, fmt.Errorf("%w: line %d: want \"name amd64 arm64\", got %q", errSource, line, text)
		}
		name := f[0]
		if !validName(name) {
			return nil, fmt.Errorf("%w: line %d: bad syscall name %q", errSource, line, name)
		}
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("%w: line %d: %s already listed on line %d", errSource, line, name, prev)
		}
		seen[name] = line
		present := false
		for i, a := range arches {
			col := f[1+i]
			if col == "-" {
				continue
			}
			n, err := strconv.ParseUint(col, 10, 32)
			if err != nil || n >= 4096 {
				return nil, fmt.Errorf("%w: line %d: bad %s number %q for %s", errSource, line, a.goarch, col, name)
			}
			if other, dup := byNumber[i][uint32(n)]; dup {
				return nil, fmt.Errorf("%w: line %d: %s number %d used by both %s and %s", errSource, line, a.goarch, n, other, name)
			}
			byNumber[i][uint32(n)] = name
			src.numbers[i][name] = uint32(n)
			present = true
		}
		if !present {
			return nil, fmt.Errorf("%w: line %d: %s exists on no architecture", errSource, line, name)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if src.kernel == "" {
		return nil, fmt.Errorf("%w: missing \"# kernel: vX.Y\" line", errSource)
	}
	for i, a := range arches {
		if len(src.numbers[i]) == 0 {
			return nil, fmt.Errorf("%w: no %s syscalls", errSource, a.goarch)
		}
	}
	return src, nil
}

// validKernel accepts a release tag such as v6.18 or v6.19-rc2.
func validKernel(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	for _, c := range s[1:] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// generate returns the generated files, keyed by path relative to the
// syscalls package directory.
//
// Each file declares its table as one systab.Table composite literal of
// constants, which the compiler lays out as static data: importing the
// package runs no initialisation code (a map literal would be built by
// init code at every program start).
func generate(src *source) (map[string][]byte, error) {
	out := map[string][]byte{}
	for i, a := range arches {
		t := systab.Build(src.numbers[i]) // parse saw at least one syscall per arch
		var b bytes.Buffer
		p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
		// numbers writes a []uint16 field, 16 values a line.
		numbers := func(field string, vals []uint16) {
			p("\t%s: []uint16{", field)
			for j, v := range vals {
				if j%16 == 0 {
					p("\n\t\t")
				}
				p("%d, ", v)
			}
			p("\n\t},\n")
		}
		p("// Code generated by mksysnum from syscalls.txt (Linux %s); DO NOT EDIT.\n\n", src.kernel)
		p("// Package %s holds the Linux %s system call numbers, generated from\n", a.pkg, a.goarch)
		p("// the kernel's own table at %s. It has no build constraints: any host can\n", src.kernel)
		p("// import it, so filters for %s can be built and tested anywhere.\n", a.goarch)
		p("//\n")
		p("// The table is static data: importing the package runs no code. It is\n")
		p("// reached only through the functions below, so it cannot be changed.\n")
		p("package %s\n\n", a.pkg)
		p("import (\n\t\"slices\"\n\n\t\"github.com/pledgekit/pledgekit/syscalls/internal/systab\"\n)\n\n")
		p("// Arch is the Go architecture name these numbers belong to.\n")
		p("const Arch = %q\n\n", a.goarch)
		p("// AuditArch is %s, the value seccomp reports in seccomp_data.arch.\n", a.auditName)
		p("const AuditArch uint32 = %#x\n\n", a.auditArch)
		if a.x32Bit {
			p("// X32SyscallBit (__X32_SYSCALL_BIT) is set in the number of every x32 system\n")
			p("// call; x32 calls arrive with AuditArch too, so a filter must refuse them.\n")
			p("const X32SyscallBit = 0x40000000\n\n")
		}
		p("// Kernel is the Linux release the table reflects.\n")
		p("const Kernel = %q\n\n", src.kernel)
		p("// Count is the number of syscalls in the table.\n")
		p("const Count = %d\n\n", len(t.Names))
		p("// MaxNr is the highest syscall number in the table.\n")
		p("const MaxNr = %d\n\n", len(t.ByNr)-1)
		p("// Number returns the number of the named syscall on %s, or false if\n", a.goarch)
		p("// %s has no syscall of that name.\n", a.goarch)
		p("func Number(name string) (uint32, bool) { return table.Number(name) }\n\n")
		p("// Name returns the name of syscall nr on %s, or false if nr is unassigned.\n", a.goarch)
		p("func Name(nr uint32) (string, bool) { return table.Name(nr) }\n\n")
		p("// Names returns every syscall name on %s, sorted, in a new slice.\n", a.goarch)
		p("func Names() []string { return slices.Clone(table.Names) }\n\n")
		p("// Numbers returns a new map from every syscall name on %s to its number.\n", a.goarch)
		p("func Numbers() map[string]uint32 { return table.Map() }\n\n")
		p("var table = systab.Table{\n")
		p("\tNames: []string{\n")
		for _, n := range t.Names {
			p("\t\t%q,\n", n)
		}
		p("\t},\n")
		numbers("Nrs", t.Nrs)
		// The top number is always assigned, so the keyed literal's length
		// is len(t.ByNr) without an explicit size.
		p("\tByNr: []uint16{\n")
		for nr, i := range t.ByNr {
			if i != 0 {
				p("\t\t%d: %d, // %s\n", nr, i, t.Names[i-1])
			}
		}
		p("\t},\n")
		numbers("Start", t.Start)
		numbers("Slots", t.Slots)
		p("}\n")
		code, err := format.Source(b.Bytes())
		if err != nil {
			return nil, fmt.Errorf("formatting %s table: %w", a.goarch, err)
		}
		out[filepath.Join(a.pkg, "zsysnum.go")] = code
	}
	return out, nil
}

func run(srcPath, outDir string) error {
	f, err := os.Open(srcPath)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := parse(f)
	if err != nil {
		return fmt.Errorf("%s: %w", srcPath, err)
	}
	files, err := generate(src)
	if err != nil {
		return err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		full := filepath.Join(outDir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	srcPath := flag.String("src", "syscalls.txt", "syscall number source")
	outDir := flag.String("out", ".", "directory holding the linux_* packages")
	flag.Parse()
	if err := run(*srcPath, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "mksysnum:", err)
		os.Exit(1)
	}
}
