package policy

import (
	"math/bits"
	"strconv"
)

// Landlock access-right and scope bits, with the values of the kernel's
// LANDLOCK_ACCESS_FS_*, LANDLOCK_ACCESS_NET_* and LANDLOCK_SCOPE_*
// constants (golang.org/x/sys/unix on Linux; a Linux-only test checks they
// agree). They are repeated here so the package builds on every GOOS.
const (
	fsExecute    uint64 = 1 << 0
	fsWriteFile  uint64 = 1 << 1
	fsReadFile   uint64 = 1 << 2
	fsReadDir    uint64 = 1 << 3
	fsRemoveDir  uint64 = 1 << 4
	fsRemoveFile uint64 = 1 << 5
	fsMakeChar   uint64 = 1 << 6
	fsMakeDir    uint64 = 1 << 7
	fsMakeReg    uint64 = 1 << 8
	fsMakeSock   uint64 = 1 << 9
	fsMakeFifo   uint64 = 1 << 10
	fsMakeBlock  uint64 = 1 << 11
	fsMakeSym    uint64 = 1 << 12
	fsRefer      uint64 = 1 << 13 // ABI 2
	fsTruncate   uint64 = 1 << 14 // ABI 3
	fsIoctlDev   uint64 = 1 << 15 // ABI 5

	netBindTCP    uint64 = 1 << 0 // ABI 4
	netConnectTCP uint64 = 1 << 1 // ABI 4

	scopeAbstractUnixSocket uint64 = 1 << 0 // ABI 6
	scopeSignal             uint64 = 1 << 1 // ABI 6
)

// name/bit tables, in bit order (the order names are printed in).
type right struct {
	name string
	bit  uint64
}

var fsRights = []right{
	{"execute", fsExecute},
	{"write_file", fsWriteFile},
	{"read_file", fsReadFile},
	{"read_dir", fsReadDir},
	{"remove_dir", fsRemoveDir},
	{"remove_file", fsRemoveFile},
	{"make_char", fsMakeChar},
	{"make_dir", fsMakeDir},
	{"make_reg", fsMakeReg},
	{"make_sock", fsMakeSock},
	{"make_fifo", fsMakeFifo},
	{"make_block", fsMakeBlock},
	{"make_sym", fsMakeSym},
	{"refer", fsRefer},
	{"truncate", fsTruncate},
	{"ioctl_dev", fsIoctlDev},
}

var netRights = []right{
	{"bind_tcp", netBindTCP},
	{"connect_tcp", netConnectTCP},
}

var scopeRights = []right{
	{"abstract_unix_socket", scopeAbstractUnixSocket},
	{"signal", scopeSignal},
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

func (k kind) rights() []right {
	switch k {
	case kindNet:
		return netRights
	case kindScope:
		return scopeRights
	}
	return fsRights
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

// fsAll returns every filesystem right of a Landlock ABI.
func fsAll(abi int) uint64 {
	var r uint64
	if abi >= 1 {
		r = fsExecute | fsWriteFile | fsReadFile | fsReadDir | fsRemoveDir |
			fsRemoveFile | fsMakeChar | fsMakeDir | fsMakeReg | fsMakeSock |
			fsMakeFifo | fsMakeBlock | fsMakeSym
	}
	if abi >= 2 {
		r |= fsRefer
	}
	if abi >= 3 {
		r |= fsTruncate
	}
	if abi >= 5 {
		r |= fsIoctlDev
	}
	return r
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
	if abi > MaxGroupABI {
		abi = MaxGroupABI
	}
	switch k {
	case kindFS:
		all := fsAll(abi)
		switch group {
		case groupAll:
			return all, true
		case groupReadExecute:
			return (fsExecute | fsReadFile | fsReadDir | fsRefer) & all, true
		case groupReadWrite:
			return all &^ fsExecute, true
		}
	case kindNet:
		if group == groupAll {
			if abi >= 4 {
				return netBindTCP | netConnectTCP, true
			}
			return 0, true
		}
	case kindScope:
		if group == groupAll {
			if abi >= 6 {
				return scopeAbstractUnixSocket | scopeSignal, true
			}
			return 0, true
		}
	}
	return 0, false
}

// lookupRight returns the bit of a right name in a vocabulary.
func lookupRight(k kind, name string) (uint64, bool) {
	for _, r := range k.rights() {
		if r.name == name {
			return r.bit, true
		}
	}
	return 0, false
}

func names(k kind, set uint64) []string {
	out := make([]string, 0, bits.OnesCount64(set))
	for _, r := range k.rights() {
		if set&r.bit != 0 {
			out = append(out, r.name)
			set &^= r.bit
		}
	}
	// Bits this package never produces; printed rather than hidden.
	for set != 0 {
		b := set & -set
		out = append(out, "bit"+strconv.Itoa(bits.TrailingZeros64(b)))
		set &^= b
	}
	return out
}

// FSAccessNames returns the Landlock Config names of the filesystem access
// rights in set (LANDLOCK_ACCESS_FS_* bits), in bit order.
func FSAccessNames(set uint64) []string { return names(kindFS, set) }

// NetAccessNames returns the names of the network access rights in set
// (LANDLOCK_ACCESS_NET_* bits), in bit order.
func NetAccessNames(set uint64) []string { return names(kindNet, set) }

// ScopeNames returns the names of the scopes in set (LANDLOCK_SCOPE_*
// bits), in bit order.
func ScopeNames(set uint64) []string { return names(kindScope, set) }
