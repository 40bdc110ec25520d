package policy

import (
	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// The rights, their bits and names are internal/llaccess's table. The
// Landlock Config format names the rights of ABIs up to MaxGroupABI; the
// rights of later ABIs (resolve_unix, UDP) have no name in this revision
// of the format, exactly as in the reference implementation the samples
// come from, so the parser refuses their names.

// right is one name/bit pair the format knows.
type right struct {
	name string
	bit  uint64
}

// Access groups. Their meaning depends on the file's abi; see groupBits.
const (
	groupAll         = "abi.all"
	groupReadExecute = "abi.read_execute"
	groupReadWrite   = "abi.read_write"
)

// MaxGroupABI is the highest Landlock ABI whose rights the access groups
// ("abi.all", ...) can add to. An abi above it (the format accepts up to
// 2^31-1) resolves groups as this ABI: ABI 7 and 8 added no access rights,
// and the rights of later ABIs (resolve_unix, UDP) have no name in this
// revision of the Landlock Config format, exactly as in the reference
// implementation the samples come from.
const MaxGroupABI = 6

// MaxABI is the largest abi value the format accepts (2^31-1).
const MaxABI = 1<<31 - 1

// kind selects one of the three vocabularies.
type kind uint8

const (
	kindFS kind = iota
	kindNet
	kindScope
)

func (k kind) ll() llaccess.Kind {
	switch k {
	case kindNet:
		return llaccess.Net
	case kindScope:
		return llaccess.Scope
	}
	return llaccess.FS
}

// rights returns the rights of the vocabulary the format names, in bit
// order.
func (k kind) rights() []right {
	var out []right
	for _, r := range llaccess.Rights(k.ll()) {
		if r.ABI <= MaxGroupABI {
			out = append(out, right{r.Name, r.Bit})
		}
	}
	return out
}

func (k kind) String() string {
	switch k {
	case kindNet:
		return "network access right"
	case kindScope:
		return "scope"
	}
	return "filesystem access right"
}

// groups returns the group names valid for the vocabulary.
func (k kind) groups() []string {
	if k == kindFS {
		return []string{groupAll, groupReadExecute, groupReadWrite}
	}
	return []string{groupAll}
}

// groupBits returns the rights of an access group for an abi (>= 1):
//
//   - abi.all: every right of the vocabulary the ABI has.
//   - abi.read_execute (filesystem only): execute, read_file, read_dir,
//     plus refer from ABI 2 on.
//   - abi.read_write (filesystem only): abi.all without execute.
//
// Together read_execute and read_write cover abi.all.
func groupBits(k kind, group string, abi int) (uint64, bool) {
	all := llaccess.Mask(k.ll(), min(abi, MaxGroupABI))
	switch {
	case group == groupAll:
		return all, true
	case k != kindFS:
	case group == groupReadExecute:
		return (llaccess.FSExecute | llaccess.FSReadFile | llaccess.FSReadDir | llaccess.FSRefer) & all, true
	case group == groupReadWrite:
		return all &^ llaccess.FSExecute, true
	}
	return 0, false
}

// lookupRight returns the bit of a right name in a vocabulary.
func lookupRight(k kind, name string) (uint64, bool) {
	r, ok := llaccess.Lookup(k.ll(), name)
	if !ok || r.ABI > MaxGroupABI {
		return 0, false
	}
	return r.Bit, true
}

// names returns the names of the rights in set, in bit order.
func names(k kind, set uint64) []string { return llaccess.Names(k.ll(), set) }
