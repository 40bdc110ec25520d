package elfdeps

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
)

// The glibc dynamic loader cache (/etc/ld.so.cache), "new" format
// glibc-ld.so.cache1.1, as written by ldconfig since glibc 2.32 (and, after an
// old-format prefix, since 2.2):
//
//	header (48 bytes):
//	  magic      [17]byte "glibc-ld.so.cache"
//	  version    [3]byte  "1.1"
//	  nlibs      uint32
//	  lenStrings uint32
//	  flags      uint8    endianness: 0 unset, 1 invalid, 2 little, 3 big
//	  pad        [3]byte
//	  extOffset  uint32   offset of the extension directory (hwcaps names)
//	  unused     [3]uint32
//	nlibs entries (24 bytes each):
//	  flags      int32    FLAG_ELF_LIBC6 (3) | arch bits (0x0300 x86-64, 0x0a00 aarch64, ...)
//	  key, value uint32   offsets of the soname and the path, from the start of this header
//	  osversion  uint32
//	  hwcap      uint64   bit 62 set: low 32 bits index the glibc-hwcaps subdirectory names
//
// An old-format cache ("ld.so-1.7.0", 12-byte header and 12-byte entries) may
// precede the new header; the new header then starts after the old entries,
// aligned to 8 bytes (glibc's ALIGN_CACHE). Only the new format is read here:
// a cache holding only the old format is reported as ErrCacheFormat.

const (
	cacheMagicNew = "glibc-ld.so.cache1.1"
	cacheMagicOld = "ld.so-1.7.0"
	newHeaderLen  = 48
	newEntryLen   = 24
	oldHeaderLen  = 16 // magic (11) padded to 12, then nlibs uint32
	oldEntryLen   = 12
)

// Cache entry flag bits (glibc's FLAG_*).
const (
	FlagTypeMask      = 0x00ff
	FlagELFLibc6      = 0x0003
	FlagRequiredMask  = 0xff00
	FlagX8664Lib64    = 0x0300
	FlagX8664LibX32   = 0x0800
	FlagAArch64Lib64  = 0x0a00
	FlagARMLibHF      = 0x0900
	FlagRISCVDouble   = 0x1000
	FlagPowerPCLib64  = 0x0500
	FlagS390Lib64     = 0x0400 // shared with IA64 in glibc
	hwcapExtensionBit = uint64(1) << 62
)

// ErrCacheFormat is wrapped by the errors ParseCache returns for data that is
// not a well-formed glibc-ld.so.cache1.1 file.
var ErrCacheFormat = errors.New("not a glibc-ld.so.cache1.1 file")

// CacheEntry is one library in the loader cache.
type CacheEntry struct {
	Name  string // soname, e.g. "libc.so.6"
	Path  string // e.g. "/lib/x86_64-linux-gnu/libc.so.6"
	Flags int32
	HWCap uint64
}

// Cache is a parsed /etc/ld.so.cache.
type Cache struct {
	Entries []CacheEntry
	byName  map[string][]int
}

// LoadCache reads and parses the cache file at path.
func LoadCache(path string) (*Cache, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loader cache: %w", err)
	}
	c, err := ParseCache(data)
	if err != nil {
		return nil, fmt.Errorf("loader cache %s: %w", path, err)
	}
	return c, nil
}

// ParseCache parses the bytes of a glibc loader cache. Strings that point
// outside the file, or entry tables that do not fit, are errors; the parser
// never panics on bad input.
func ParseCache(data []byte) (*Cache, error) {
	rc, err := parseRawCache(data)
	if err != nil {
		return nil, err
	}
	c := &Cache{Entries: make([]CacheEntry, 0, rc.nlibs), byName: map[string][]int{}}
	for i := 0; i < rc.nlibs; i++ {
		name, path, flags, hwcap := rc.entry(i)
		c.byName[string(name)] = append(c.byName[string(name)], len(c.Entries))
		c.Entries = append(c.Entries, CacheEntry{Name: string(name), Path: string(path), Flags: flags, HWCap: hwcap})
	}
	return c, nil
}

// rawCache is a checked loader cache read in place: the resolver looks up
// a few names, which needs no strings or map built for the other entries.
type rawCache struct {
	d     []byte // from the new-format header on
	bo    binary.ByteOrder
	nlibs int
}

// parseRawCache checks the header, the entry table and every entry's
// strings (the same checks, in the same order, as ParseCache always made).
func parseRawCache(data []byte) (*rawCache, error) {
	start := 0
	if bytes.HasPrefix(data, []byte(cacheMagicOld)) {
		if len(data) < oldHeaderLen {
			return nil, fmt.Errorf("%w: truncated old-format header", ErrCacheFormat)
		}
		n := binary.LittleEndian.Uint32(data[12:16])
		off := uint64(oldHeaderLen) + uint64(n)*oldEntryLen
		off = (off + 7) &^ 7
		if off > uint64(len(data)) {
			return nil, fmt.Errorf("%w: old-format table of %d entries exceeds the file", ErrCacheFormat, n)
		}
		start = int(off)
	}
	d := data[start:]
	if len(d) < newHeaderLen || string(d[:len(cacheMagicNew)]) != cacheMagicNew {
		return nil, fmt.Errorf("%w: missing %q header", ErrCacheFormat, cacheMagicNew)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch d[28] {
	case 0, 2:
	case 3:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("%w: invalid endianness flag %d", ErrCacheFormat, d[28])
	}
	nlibs := uint64(bo.Uint32(d[20:24]))
	if uint64(newHeaderLen)+nlibs*newEntryLen > uint64(len(d)) {
		return nil, fmt.Errorf("%w: %d entries exceed the file size %d", ErrCacheFormat, nlibs, len(data))
	}
	// Every string ends before the file does when its last byte is a
	// NUL (glibc's do): then only the offsets need checking.
	endsNUL := d[len(d)-1] == 0
	check := func(off uint32) error {
		if uint64(off) >= uint64(len(d)) {
			return fmt.Errorf("%w: string offset %d outside the file", ErrCacheFormat, off)
		}
		if !endsNUL && bytes.IndexByte(d[off:], 0) < 0 {
			return fmt.Errorf("%w: unterminated string at offset %d", ErrCacheFormat, off)
		}
		return nil
	}
	for i := uint64(0); i < nlibs; i++ {
		e := d[newHeaderLen+i*newEntryLen:]
		if err := check(bo.Uint32(e[4:8])); err != nil {
			return nil, err
		}
		if err := check(bo.Uint32(e[8:12])); err != nil {
			return nil, err
		}
	}
	return &rawCache{d: d, bo: bo, nlibs: int(nlibs)}, nil
}

// entry returns entry i (checked by parseRawCache); name and path point
// into the cache's bytes.
func (c *rawCache) entry(i int) (name, path []byte, flags int32, hwcap uint64) {
	e := c.d[newHeaderLen+i*newEntryLen:]
	return c.str(c.bo.Uint32(e[4:8])), c.str(c.bo.Uint32(e[8:12])), int32(c.bo.Uint32(e[0:4])), c.bo.Uint64(e[16:24])
}

func (c *rawCache) str(off uint32) []byte {
	s := c.d[off:]
	return s[:bytes.IndexByte(s, 0)]
}

// lookup is Cache.Lookup on the raw cache.
func (c *rawCache) lookup(soname string, want int32) []string {
	if c == nil {
		return nil
	}
	if strings.IndexByte(soname, 0) >= 0 {
		return nil // no entry's name holds a NUL
	}
	var out []string
	for i := 0; i < c.nlibs; i++ {
		e := c.d[newHeaderLen+i*newEntryLen:]
		// The name at the offset is soname: its bytes, then the NUL that
		// ends it (str, without scanning each name for its end).
		if s := c.d[c.bo.Uint32(e[4:8]):]; len(s) <= len(soname) || s[len(soname)] != 0 || string(s[:len(soname)]) != soname {
			continue
		}
		if flags := int32(c.bo.Uint32(e[0:4])); want >= 0 && flags&(FlagTypeMask|FlagRequiredMask) != want {
			continue
		}
		out = append(out, string(c.str(c.bo.Uint32(e[8:12]))))
	}
	return out
}

// loadRawCache reads the cache file at path for lookups.
func loadRawCache(path string) (*rawCache, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("loader cache: %w", err)
	}
	c, err := parseRawCache(data)
	if err != nil {
		return nil, fmt.Errorf("loader cache %s: %w", path, err)
	}
	return c, nil
}

// Lookup returns the paths the cache holds for soname whose flags equal
// want (type and required-arch bits). want < 0 accepts any flags. Several
// paths can come back when the cache lists glibc-hwcaps variants; the loader
// picks one of them at run time, so callers that must allow the loader's
// choice should allow all of them.
func (c *Cache) Lookup(soname string, want int32) []string {
	if c == nil {
		return nil
	}
	var out []string
	for _, i := range c.byName[soname] {
		e := c.Entries[i]
		if want >= 0 && e.Flags&(FlagTypeMask|FlagRequiredMask) != want {
			continue
		}
		out = append(out, e.Path)
	}
	return out
}
