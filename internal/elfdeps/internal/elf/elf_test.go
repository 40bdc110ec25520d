package elf

import (
	stdelf "debug/elf"
	"testing"
)

// Every constant has debug/elf's value, and its String is debug/elf's name.
func TestMatchesDebugELF(t *testing.T) {
	type pair struct {
		ours, std   uint64
		oursS, stdS string
	}
	var all []pair
	for _, c := range []Class{ELFCLASSNONE, ELFCLASS32, ELFCLASS64} {
		all = append(all, pair{uint64(c), uint64(stdelf.Class(c)), c.String(), stdelf.Class(c).String()})
	}
	for _, d := range []Data{ELFDATANONE, ELFDATA2LSB, ELFDATA2MSB} {
		all = append(all, pair{uint64(d), uint64(stdelf.Data(d)), d.String(), stdelf.Data(d).String()})
	}
	for _, ty := range []Type{ET_NONE, ET_REL, ET_EXEC, ET_DYN, ET_CORE} {
		all = append(all, pair{uint64(ty), uint64(stdelf.Type(ty)), ty.String(), stdelf.Type(ty).String()})
	}
	for _, n := range machineNames {
		m := n.m
		all = append(all, pair{uint64(m), uint64(stdelf.Machine(m)), m.String(), stdelf.Machine(m).String()})
	}
	for _, tc := range all {
		if tc.oursS != tc.stdS {
			t.Errorf("%d: name %q, debug/elf %q", tc.ours, tc.oursS, tc.stdS)
		}
	}
	for _, tc := range []struct {
		name      string
		ours, std uint64
	}{
		{"EI_CLASS", EI_CLASS, stdelf.EI_CLASS}, {"EI_DATA", EI_DATA, stdelf.EI_DATA},
		{"PT_NULL", uint64(PT_NULL), uint64(stdelf.PT_NULL)}, {"PT_LOAD", uint64(PT_LOAD), uint64(stdelf.PT_LOAD)},
		{"PT_DYNAMIC", uint64(PT_DYNAMIC), uint64(stdelf.PT_DYNAMIC)}, {"PT_INTERP", uint64(PT_INTERP), uint64(stdelf.PT_INTERP)},
		{"PT_PHDR", uint64(PT_PHDR), uint64(stdelf.PT_PHDR)},
		{"DT_NULL", uint64(DT_NULL), uint64(stdelf.DT_NULL)}, {"DT_NEEDED", uint64(DT_NEEDED), uint64(stdelf.DT_NEEDED)},
		{"DT_STRTAB", uint64(DT_STRTAB), uint64(stdelf.DT_STRTAB)}, {"DT_STRSZ", uint64(DT_STRSZ), uint64(stdelf.DT_STRSZ)},
		{"DT_SONAME", uint64(DT_SONAME), uint64(stdelf.DT_SONAME)}, {"DT_RPATH", uint64(DT_RPATH), uint64(stdelf.DT_RPATH)},
		{"DT_RUNPATH", uint64(DT_RUNPATH), uint64(stdelf.DT_RUNPATH)}, {"DT_FLAGS_1", uint64(DT_FLAGS_1), uint64(stdelf.DT_FLAGS_1)},
		{"DF_1_NODEFLIB", uint64(DF_1_NODEFLIB), uint64(stdelf.DF_1_NODEFLIB)},
	} {
		if tc.ours != tc.std {
			t.Errorf("%s = %#x, debug/elf %#x", tc.name, tc.ours, tc.std)
		}
	}
	if ELFMAG != stdelf.ELFMAG {
		t.Errorf("ELFMAG %q, debug/elf %q", ELFMAG, stdelf.ELFMAG)
	}
}
