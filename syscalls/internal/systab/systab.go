// Package systab is the form in which mksysnum lays out one architecture's
// syscall table, and the lookups over it.
//
// A Table is plain slices of strings and integers, so a generated package
// declares it as one composite literal the linker lays out as static data:
// importing a table runs no code at start-up and allocates nothing. Lookups
// by number index an array; lookups by name hash the name into one of
// Buckets small buckets (names of equal length, usually one to three of
// them) and compare it with each, which is faster than a Go map for these
// few hundred short names and needs no construction.
//
// The layout is internal: the generated packages export lookup functions,
// not the Table, so no caller can change a table other packages rely on.
package systab

import "slices"

// Buckets is the number of name buckets. Bucket keys on the name's length
// (mod 32) and three of its bytes; the table size is fixed so that Bucket
// needs no per-table parameters.
const Buckets = 1024

// Bucket returns the bucket of a non-empty name, in [0, Buckets).
func Bucket(name string) int {
	n := len(name)
	return (n&31)<<5 | int((name[0]*5+name[n/2]*3+name[n-1])&31)
}

// Table is one architecture's syscall table. Build makes one; generated
// code spells one out as a literal. All slices are read-only.
type Table struct {
	// Names holds every syscall name, sorted.
	Names []string
	// Nrs[i] is the number of Names[i].
	Nrs []uint16
	// ByNr[nr] is 1 plus the index in Names of syscall nr, or 0 if nr is
	// unassigned; len(ByNr) is the highest number plus one. (Indices, not
	// strings, keep it an eighth of the size.)
	ByNr []uint16
	// Start has Buckets+1 entries: the names in bucket b are
	// Names[Slots[j]] for j in [Start[b], Start[b+1]).
	Start []uint16
	// Slots holds indices into Names, grouped by bucket, each bucket in
	// Names order.
	Slots []uint16
}

// Build lays out the table for a name-to-number map. Numbers must be below
// 65536 and distinct, names non-empty, and at most 65535 of them; Build panics otherwise, as it runs
// only in the generator and its tests, on input the generator has checked.
func Build(numbers map[string]uint32) *Table {
	t := &Table{Names: make([]string, 0, len(numbers))}
	var maxNr uint32
	for n, nr := range numbers {
		if n == "" || nr > 0xffff || len(t.Names) == 0xffff {
			panic("systab: empty name, number out of range or too many names")
		}
		t.Names = append(t.Names, n)
		maxNr = max(maxNr, nr)
	}
	slices.Sort(t.Names)
	t.Nrs = make([]uint16, len(t.Names))
	if len(t.Names) > 0 {
		t.ByNr = make([]uint16, maxNr+1)
	}
	buckets := make([][]uint16, Buckets)
	for i, n := range t.Names {
		nr := numbers[n]
		if t.ByNr[nr] != 0 {
			panic("systab: number used twice")
		}
		t.Nrs[i] = uint16(nr)
		t.ByNr[nr] = uint16(i + 1)
		b := Bucket(n)
		buckets[b] = append(buckets[b], uint16(i))
	}
	t.Start = make([]uint16, Buckets+1)
	t.Slots = make([]uint16, 0, len(t.Names))
	for b, s := range buckets {
		t.Start[b] = uint16(len(t.Slots))
		t.Slots = append(t.Slots, s...)
	}
	t.Start[Buckets] = uint16(len(t.Slots))
	return t
}

// Number returns the number of the named syscall, or false if the table has
// no syscall of that name.
func (t *Table) Number(name string) (uint32, bool) {
	if name == "" {
		return 0, false
	}
	b := Bucket(name)
	for _, i := range t.Slots[t.Start[b]:t.Start[b+1]] {
		if t.Names[i] == name {
			return uint32(t.Nrs[i]), true
		}
	}
	return 0, false
}

// Name returns the name of syscall nr, or false if nr is unassigned.
func (t *Table) Name(nr uint32) (string, bool) {
	if nr >= uint32(len(t.ByNr)) {
		return "", false
	}
	i := t.ByNr[nr]
	if i == 0 {
		return "", false
	}
	return t.Names[i-1], true
}

// Map returns a new map from every name to its number.
func (t *Table) Map() map[string]uint32 {
	m := make(map[string]uint32, len(t.Names))
	for i, n := range t.Names {
		m[n] = uint32(t.Nrs[i])
	}
	return m
}
