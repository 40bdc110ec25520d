// Package elf holds the few ELF constants and header types package
// elfdeps reads, with the names and values of the standard library's
// debug/elf. elfdeps imported debug/elf for these alone, which linked
// debug/dwarf, compress/flate and internal/zstd into every program that
// resolves a program's files (the unveil command), whose package
// initialisation ran at every launch (~30 µs). TestMatchesDebugELF keeps
// the values and names equal to debug/elf's.
package elf

import "strconv"

// ELFMAG is the magic number at the start of an ELF file.
const ELFMAG = "\177ELF"

// Indexes into the identification bytes.
const (
	EI_CLASS = 4
	EI_DATA  = 5
)

// Class is the word size (EI_CLASS).
type Class byte

const (
	ELFCLASSNONE Class = 0
	ELFCLASS32   Class = 1
	ELFCLASS64   Class = 2
)

// Data is the byte order (EI_DATA).
type Data byte

const (
	ELFDATANONE Data = 0
	ELFDATA2LSB Data = 1
	ELFDATA2MSB Data = 2
)

// Type is the file type (e_type).
type Type uint16

const (
	ET_NONE Type = 0
	ET_REL  Type = 1
	ET_EXEC Type = 2
	ET_DYN  Type = 3
	ET_CORE Type = 4
)

// Machine is the architecture (e_machine); the ones Linux runs on.
type Machine uint16

const (
	EM_NONE      Machine = 0
	EM_SPARC     Machine = 2
	EM_386       Machine = 3
	EM_68K       Machine = 4
	EM_MIPS      Machine = 8
	EM_PARISC    Machine = 15
	EM_PPC       Machine = 20
	EM_PPC64     Machine = 21
	EM_S390      Machine = 22
	EM_ARM       Machine = 40
	EM_SH        Machine = 42
	EM_SPARCV9   Machine = 43
	EM_IA_64     Machine = 50
	EM_X86_64    Machine = 62
	EM_AARCH64   Machine = 183
	EM_RISCV     Machine = 243
	EM_LOONGARCH Machine = 258
	EM_ALPHA     Machine = 0x9026
)

// ProgType is a program header's type (p_type).
type ProgType uint32

const (
	PT_NULL    ProgType = 0
	PT_LOAD    ProgType = 1
	PT_DYNAMIC ProgType = 2
	PT_INTERP  ProgType = 3
	PT_PHDR    ProgType = 6
)

// DynTag is a dynamic section entry's tag (d_tag).
type DynTag int

const (
	DT_NULL    DynTag = 0
	DT_NEEDED  DynTag = 1
	DT_STRTAB  DynTag = 5
	DT_STRSZ   DynTag = 10
	DT_SONAME  DynTag = 14
	DT_RPATH   DynTag = 15
	DT_RUNPATH DynTag = 29
	DT_FLAGS_1 DynTag = 0x6ffffffb
)

// DynFlag1 is a bit of DT_FLAGS_1.
type DynFlag1 uint32

const DF_1_NODEFLIB DynFlag1 = 0x00000800

var classNames = []string{"ELFCLASSNONE", "ELFCLASS32", "ELFCLASS64"}

var dataNames = []string{"ELFDATANONE", "ELFDATA2LSB", "ELFDATA2MSB"}

var typeNames = []string{"ET_NONE", "ET_REL", "ET_EXEC", "ET_DYN", "ET_CORE"}

// machineNames is a table, not a map: a map literal is built at
// package initialisation.
var machineNames = [...]struct {
	m Machine
	s string
}{
	{EM_NONE, "EM_NONE"}, {EM_SPARC, "EM_SPARC"}, {EM_386, "EM_386"}, {EM_68K, "EM_68K"}, {EM_MIPS, "EM_MIPS"},
	{EM_PARISC, "EM_PARISC"}, {EM_PPC, "EM_PPC"}, {EM_PPC64, "EM_PPC64"}, {EM_S390, "EM_S390"}, {EM_ARM, "EM_ARM"},
	{EM_SH, "EM_SH"}, {EM_SPARCV9, "EM_SPARCV9"}, {EM_IA_64, "EM_IA_64"}, {EM_X86_64, "EM_X86_64"},
	{EM_AARCH64, "EM_AARCH64"}, {EM_RISCV, "EM_RISCV"}, {EM_LOONGARCH, "EM_LOONGARCH"}, {EM_ALPHA, "EM_ALPHA"},
}

func name(names []string, i int) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return strconv.Itoa(i)
}

// String is the constant's name (a number for a value not listed here).
func (c Class) String() string { return name(classNames, int(c)) }

// String is the constant's name (a number for a value not listed here).
func (d Data) String() string { return name(dataNames, int(d)) }

// String is the constant's name (a number for a value not listed here).
func (t Type) String() string { return name(typeNames, int(t)) }

// String is the constant's name (a number for a machine not listed here).
func (m Machine) String() string {
	for _, n := range machineNames {
		if n.m == m {
			return n.s
		}
	}
	return strconv.Itoa(int(m))
}
