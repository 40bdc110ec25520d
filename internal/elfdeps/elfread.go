package elfdeps

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pledgekit/pledgekit/internal/elfdeps/internal/elf"
)

// elfInfo is what the resolver needs of an ELF file. It is read the way the
// kernel and the loader read it, from the file header and the program
// headers, not from the section tables (which neither of them reads): the
// first PT_INTERP, as the kernel takes it, and the dynamic section at the
// address PT_DYNAMIC gives (p_vaddr), found in the file through the PT_LOAD
// segment that maps it, as the loader sees it in memory. A file whose
// headers could be read two ways (two segments in the pages read,
// PT_DYNAMIC segments that disagree) is refused.
type elfInfo struct {
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	Type    elf.Type
	// Interp is the first PT_INTERP up to its first NUL; "" if none.
	// BadInterp is set instead when that PT_INTERP is one the kernel
	// refuses to execute (empty, longer than PATH_MAX, not NUL-terminated).
	Interp    string
	BadInterp error
	// PhdrView is set when the loader, reading this file as the program
	// it was started for, could see other program headers or another
	// load address than the file says (see segments.phdrView).
	PhdrView error
	// From the dynamic section (when asked for): DT_NEEDED, DT_RPATH and
	// DT_RUNPATH strings in the order they appear (the loaders take every
	// DT_NEEDED but only one DT_RPATH and DT_RUNPATH: see readDyn), and
	// whether the last DT_FLAGS_1 has DF_1_NODEFLIB.
	Needed, RPath, RunPath []string
	NoDefLib               bool
	SoName                 string // the last DT_SONAME
}

// errELF is wrapped by readELF's errors.
var errELF = errors.New("malformed ELF file")

// Limits on what readELF reads (the kernel refuses more than 64 KiB of
// program headers and a PT_INTERP longer than PATH_MAX).
const (
	maxPhdrBytes = 64 << 10
	maxInterp    = 4096
	maxDynamic   = 1 << 20
	maxDynString = 64 << 10
)

// segment is one program header.
type segment struct{ typ, off, vaddr, filesz, memsz uint64 }

// segments are an ELF file's program headers, in file order.
type segments []segment

// pageSize is the granularity at which segments are mapped.
var pageSize = uint64(os.Getpagesize())

// fileOffset finds the file bytes the loader sees at [addr, addr+n): the
// PT_LOAD segment mapping that range, and how many bytes of that
// segment's file contents follow addr. The range must lie in the
// file-backed part of the segment, and in the pages of no other PT_LOAD:
// segments are mapped a page at a time, a later one over an earlier one,
// and the loader zeroes the rest of a segment's last page, so bytes
// another segment's pages cover may not be the file's (linkers never put
// two segments in one page).
func (ss segments) fileOffset(addr, n uint64) (off, avail uint64, err error) {
	end := addr + n
	if end < addr {
		return 0, 0, fmt.Errorf("%w: address %#x overflows", errELF, addr)
	}
	var win *segment
	for i := range ss {
		s := &ss[i]
		if elf.ProgType(s.typ) != elf.PT_LOAD {
			continue
		}
		lo := s.vaddr &^ (pageSize - 1)
		hi := s.vaddr + s.memsz
		if hi < s.vaddr || hi+pageSize-1 < hi {
			return 0, 0, fmt.Errorf("%w: PT_LOAD at %#x overflows", errELF, s.vaddr)
		}
		hi = (hi + pageSize - 1) &^ (pageSize - 1)
		if end <= lo || addr >= hi {
			continue
		}
		if win != nil {
			return 0, 0, fmt.Errorf("%w: two PT_LOAD segments map the page of %#x", errELF, addr)
		}
		win = s
	}
	if win == nil || addr < win.vaddr || end-win.vaddr > win.filesz {
		return 0, 0, fmt.Errorf("%w: address %#x is in no loaded file contents", errELF, addr)
	}
	return addr - win.vaddr + win.off, win.filesz - (addr - win.vaddr), nil
}

// phdrView checks the program headers ld.so reads for the program the
// kernel started: not the file's bytes at e_phoff but the memory at
// AT_PHDR, where the PT_LOAD segment holding e_phoff maps it, and it takes
// the load address from PT_PHDR (AT_PHDR minus PT_PHDR's p_vaddr) when it
// meets one, before or after PT_DYNAMIC. A file where any of that could
// differ from the reading here (headers outside every PT_LOAD, mapped over
// by another segment, placed elsewhere by older kernels, a PT_PHDR at
// another address or after PT_DYNAMIC) is refused as a program.
func (ss segments) phdrView(phoff, size uint64) error {
	var first, holder *segment
	for i := range ss {
		s := &ss[i]
		if elf.ProgType(s.typ) != elf.PT_LOAD {
			continue
		}
		if first == nil {
			first = s
		}
		if holder == nil && phoff >= s.off && phoff-s.off < s.filesz {
			holder = s
		}
	}
	if holder == nil {
		return fmt.Errorf("%w: the program headers are in no PT_LOAD segment", errELF)
	}
	if holder.vaddr-holder.off != first.vaddr-first.off {
		return fmt.Errorf("%w: the program headers are mapped at different addresses by different kernels", errELF)
	}
	at := phoff - holder.off + holder.vaddr
	if off, _, err := ss.fileOffset(at, size); err != nil || off != phoff {
		return fmt.Errorf("%w: other bytes are mapped over the program headers", errELF)
	}
	dynamic := false
	for _, s := range ss {
		switch elf.ProgType(s.typ) {
		case elf.PT_DYNAMIC:
			dynamic = true
		case elf.PT_PHDR:
			if s.vaddr != at || dynamic {
				return fmt.Errorf("%w: PT_PHDR at %#x gives another load address (the headers are mapped at %#x, PT_PHDR must come before PT_DYNAMIC)", errELF, s.vaddr, at)
			}
		}
	}
	return nil
}

// readELF reads the header and program headers of the ELF file r, and with
// dyn its dynamic section's library names and search paths.
func readELF(r io.ReaderAt, dyn bool) (*elfInfo, error) {
	var hdr [64]byte
	n, err := r.ReadAt(hdr[:], 0)
	if n < 52 {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: header: %w", errELF, err)
	}
	if string(hdr[:4]) != elf.ELFMAG {
		return nil, fmt.Errorf("%w: bad magic", errELF)
	}
	e := &elfInfo{Class: elf.Class(hdr[elf.EI_CLASS]), Data: elf.Data(hdr[elf.EI_DATA])}
	var bo binary.ByteOrder
	switch e.Data {
	case elf.ELFDATA2LSB:
		bo = binary.LittleEndian
	case elf.ELFDATA2MSB:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: unknown data encoding %d", errELF, e.Data)
	}
	e.Type = elf.Type(bo.Uint16(hdr[16:]))
	e.Machine = elf.Machine(bo.Uint16(hdr[18:]))
	var phoff uint64
	var phentsize, phnum, minEnt int
	switch e.Class {
	case elf.ELFCLASS64:
		if n < 64 {
			return nil, fmt.Errorf("%w: truncated header", errELF)
		}
		phoff = bo.Uint64(hdr[32:])
		phentsize, phnum, minEnt = int(bo.Uint16(hdr[54:])), int(bo.Uint16(hdr[56:])), 56
	case elf.ELFCLASS32:
		phoff = uint64(bo.Uint32(hdr[28:]))
		phentsize, phnum, minEnt = int(bo.Uint16(hdr[42:])), int(bo.Uint16(hdr[44:])), 32
	default:
		return nil, fmt.Errorf("%w: unknown class %d", errELF, e.Class)
	}
	if phnum == 0 {
		return e, nil
	}
	if phentsize < minEnt || phnum*phentsize > maxPhdrBytes {
		return nil, fmt.Errorf("%w: %d program headers of %d bytes", errELF, phnum, phentsize)
	}
	ph := make([]byte, phnum*phentsize)
	if err := readFull(r, ph, phoff); err != nil {
		return nil, fmt.Errorf("%w: program headers: %w", errELF, err)
	}
	segs := make(segments, phnum)
	for i := range segs {
		p := ph[i*phentsize:]
		s := &segs[i]
		s.typ = uint64(bo.Uint32(p))
		if e.Class == elf.ELFCLASS64 {
			s.off, s.vaddr, s.filesz, s.memsz = bo.Uint64(p[8:]), bo.Uint64(p[16:]), bo.Uint64(p[32:]), bo.Uint64(p[40:])
		} else {
			s.off, s.vaddr, s.filesz, s.memsz = uint64(bo.Uint32(p[4:])), uint64(bo.Uint32(p[8:])), uint64(bo.Uint32(p[16:])), uint64(bo.Uint32(p[20:]))
		}
	}
	e.PhdrView = segs.phdrView(phoff, uint64(len(ph)))
	var dynSeg *segment
	haveInterp := false
	for i := range segs {
		s := &segs[i]
		switch elf.ProgType(s.typ) {
		case elf.PT_INTERP:
			// The kernel (load_elf_binary) uses the first PT_INTERP and
			// ignores any other.
			if haveInterp {
				continue
			}
			haveInterp = true
			if s.filesz < 2 || s.filesz > maxInterp {
				e.BadInterp = fmt.Errorf("%w: PT_INTERP of %d bytes", errELF, s.filesz)
				continue
			}
			b := make([]byte, s.filesz)
			if err := readFull(r, b, s.off); err != nil {
				return nil, fmt.Errorf("%w: reading PT_INTERP: %w", errELF, err)
			}
			if b[len(b)-1] != 0 {
				e.BadInterp = fmt.Errorf("%w: PT_INTERP is not NUL-terminated", errELF)
				continue
			}
			e.Interp = string(b[:bytes.IndexByte(b, 0)])
			if e.Interp == "" {
				e.BadInterp = fmt.Errorf("%w: empty PT_INTERP", errELF)
			}
		case elf.PT_DYNAMIC:
			// The loaders take the last one; two that disagree are
			// refused rather than guessed at.
			if dynSeg != nil && dynSeg.vaddr != s.vaddr {
				return nil, fmt.Errorf("%w: two PT_DYNAMIC segments at %#x and %#x", errELF, dynSeg.vaddr, s.vaddr)
			}
			dynSeg = s
		}
	}
	if !dyn || dynSeg == nil {
		return e, nil
	}
	// The dynamic section as the loader sees it: at p_vaddr, read up to
	// its DT_NULL (the loader does not look at p_offset or p_filesz).
	dynOff, avail, err := segs.fileOffset(dynSeg.vaddr, 1)
	if err != nil {
		return nil, fmt.Errorf("PT_DYNAMIC: %w", err)
	}
	d := make([]byte, min(avail, maxDynamic))
	if err := readFull(r, d, dynOff); err != nil {
		return nil, fmt.Errorf("%w: reading PT_DYNAMIC: %w", errELF, err)
	}
	entSize := 16
	if e.Class == elf.ELFCLASS32 {
		entSize = 8
	}
	type ent struct {
		tag elf.DynTag
		val uint64
	}
	var strs []ent
	var strtab, strsz uint64
	haveStrtab, terminated := false, false
	used := 0
	for i := 0; i+entSize <= len(d) && !terminated; i += entSize {
		var tag elf.DynTag
		var val uint64
		if entSize == 16 {
			tag, val = elf.DynTag(bo.Uint64(d[i:])), bo.Uint64(d[i+8:])
		} else {
			tag, val = elf.DynTag(int32(bo.Uint32(d[i:]))), uint64(bo.Uint32(d[i+4:]))
		}
		used = i + entSize
		// Where a tag appears twice the loaders keep the last.
		switch tag {
		case elf.DT_NULL:
			terminated = true
		case elf.DT_NEEDED, elf.DT_RPATH, elf.DT_RUNPATH, elf.DT_SONAME:
			strs = append(strs, ent{tag, val})
		case elf.DT_STRTAB:
			strtab, haveStrtab = val, true
		case elf.DT_STRSZ:
			strsz = val
		case elf.DT_FLAGS_1:
			e.NoDefLib = val&uint64(elf.DF_1_NODEFLIB) != 0
		}
	}
	if !terminated {
		return nil, fmt.Errorf("%w: the dynamic section has no DT_NULL in its segment", errELF)
	}
	if o, _, err := segs.fileOffset(dynSeg.vaddr, uint64(used)); err != nil || o != dynOff {
		return nil, fmt.Errorf("PT_DYNAMIC: %w", cmp.Or(err, errELF))
	}
	if len(strs) == 0 {
		return e, nil
	}
	if !haveStrtab {
		return nil, fmt.Errorf("%w: dynamic strings without DT_STRTAB", errELF)
	}
	// The string table's file offset, and no more of it than its segment
	// holds.
	strOff, avail, err := segs.fileOffset(strtab, 1)
	if err != nil {
		return nil, fmt.Errorf("DT_STRTAB: %w", err)
	}
	if strsz == 0 || strsz > avail {
		strsz = avail
	}
	if _, _, err := segs.fileOffset(strtab, strsz); err != nil {
		return nil, fmt.Errorf("DT_STRTAB: %w", err)
	}
	for _, x := range strs {
		s, err := readString(r, strOff, strsz, x.val)
		if err != nil {
			return nil, err
		}
		switch x.tag {
		case elf.DT_NEEDED:
			e.Needed = append(e.Needed, s)
		case elf.DT_RPATH:
			e.RPath = append(e.RPath, s)
		case elf.DT_RUNPATH:
			e.RunPath = append(e.RunPath, s)
		case elf.DT_SONAME:
			e.SoName = s
		}
	}
	return e, nil
}

// readString reads the NUL-terminated string at offset off of the string
// table at base (size bytes) in r.
func readString(r io.ReaderAt, base, size, off uint64) (string, error) {
	if off >= size {
		return "", fmt.Errorf("%w: string offset %d outside the %d-byte string table", errELF, off, size)
	}
	var out []byte
	chunk := make([]byte, 256)
	for pos := off; pos < size && pos-off < maxDynString; pos += uint64(len(chunk)) {
		c := chunk[:min(uint64(len(chunk)), size-pos)]
		if base+pos > 1<<62 {
			return "", fmt.Errorf("%w: dynamic string offset out of range", errELF)
		}
		n, err := r.ReadAt(c, int64(base+pos))
		if i := bytes.IndexByte(c[:n], 0); i >= 0 {
			return string(append(out, c[:i]...)), nil
		}
		out = append(out, c[:n]...)
		if n < len(c) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return "", fmt.Errorf("%w: dynamic string: %w", errELF, err)
		}
	}
	return "", fmt.Errorf("%w: unterminated dynamic string at %d", errELF, off)
}

func readFull(r io.ReaderAt, b []byte, off uint64) error {
	if off > 1<<62 {
		return io.ErrUnexpectedEOF
	}
	n, err := r.ReadAt(b, int64(off))
	if n == len(b) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}
