package elfdeps

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// elfInfo is what the resolver needs of an ELF file. It is read the way the
// kernel and the loader read it, from the file header and the program
// headers (PT_INTERP, PT_DYNAMIC and the PT_LOAD segment holding the
// dynamic string table), not from the section tables, so a large library
// costs a few small reads instead of parsing every section header.
type elfInfo struct {
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	Type    elf.Type
	Interp  string // PT_INTERP without trailing NULs; "" if none
	// From PT_DYNAMIC (when asked for): DT_NEEDED, DT_RPATH and DT_RUNPATH
	// strings in order, and whether a DT_FLAGS_1 has DF_1_NODEFLIB.
	Needed, RPath, RunPath []string
	NoDefLib               bool
}

// errELF is wrapped by readELF's errors.
var errELF = errors.New("malformed ELF file")

// Limits on what readELF reads (the kernel refuses more than 64 KiB of
// program headers; PT_INTERP is a path).
const (
	maxPhdrBytes = 64 << 10
	maxInterp    = 4096
	maxDynamic   = 1 << 20
	maxDynString = 64 << 10
)

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
	type seg struct{ typ, off, vaddr, filesz uint64 }
	segs := make([]seg, phnum)
	for i := range segs {
		p := ph[i*phentsize:]
		s := &segs[i]
		s.typ = uint64(bo.Uint32(p))
		if e.Class == elf.ELFCLASS64 {
			s.off, s.vaddr, s.filesz = bo.Uint64(p[8:]), bo.Uint64(p[16:]), bo.Uint64(p[32:])
		} else {
			s.off, s.vaddr, s.filesz = uint64(bo.Uint32(p[4:])), uint64(bo.Uint32(p[8:])), uint64(bo.Uint32(p[16:]))
		}
	}
	var dynSeg *seg
	for i := range segs {
		s := &segs[i]
		switch elf.ProgType(s.typ) {
		case elf.PT_INTERP:
			b := make([]byte, min(s.filesz, maxInterp))
			if err := readFull(r, b, s.off); err != nil {
				return nil, fmt.Errorf("%w: reading PT_INTERP: %w", errELF, err)
			}
			e.Interp = string(bytes.TrimRight(b, "\x00"))
		case elf.PT_DYNAMIC:
			dynSeg = s
		}
	}
	if !dyn || dynSeg == nil {
		return e, nil
	}
	if dynSeg.filesz > maxDynamic {
		return nil, fmt.Errorf("%w: PT_DYNAMIC of %d bytes", errELF, dynSeg.filesz)
	}
	d := make([]byte, dynSeg.filesz)
	if err := readFull(r, d, dynSeg.off); err != nil {
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
	haveStrtab := false
	for i := 0; i+entSize <= len(d); i += entSize {
		var tag elf.DynTag
		var val uint64
		if entSize == 16 {
			tag, val = elf.DynTag(bo.Uint64(d[i:])), bo.Uint64(d[i+8:])
		} else {
			tag, val = elf.DynTag(int32(bo.Uint32(d[i:]))), uint64(bo.Uint32(d[i+4:]))
		}
		switch tag {
		case elf.DT_NULL:
			i = len(d)
		case elf.DT_NEEDED, elf.DT_RPATH, elf.DT_RUNPATH:
			strs = append(strs, ent{tag, val})
		case elf.DT_STRTAB:
			strtab, haveStrtab = val, true
		case elf.DT_STRSZ:
			strsz = val
		case elf.DT_FLAGS_1:
			if val&uint64(elf.DF_1_NODEFLIB) != 0 {
				e.NoDefLib = true
			}
		}
	}
	if len(strs) == 0 {
		return e, nil
	}
	if !haveStrtab {
		return nil, fmt.Errorf("%w: dynamic strings without DT_STRTAB", errELF)
	}
	// The string table's file offset: the PT_LOAD segment mapping it.
	strOff, found := uint64(0), false
	for _, s := range segs {
		if elf.ProgType(s.typ) == elf.PT_LOAD && strtab >= s.vaddr && strtab-s.vaddr < s.filesz {
			strOff, found = strtab-s.vaddr+s.off, true
			if limit := s.filesz - (strtab - s.vaddr); strsz == 0 || strsz > limit {
				strsz = limit
			}
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("%w: DT_STRTAB %#x is in no loaded segment", errELF, strtab)
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
