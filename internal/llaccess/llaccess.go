// Package llaccess is pledgekit's one Landlock rights vocabulary: every
// filesystem and network access right and every scope the tree knows,
// with its bit, its name, its uapi name, the Landlock ABI that introduced
// it and the feature that ABI brought; and the mapping of the unveil(2)
// permission letters r, w, x and c to filesystem rights. Packages policy,
// unveil and internal/probe and the unveil command read it; none keeps a
// copy.
//
// The tables are data; the functions around them compute masks (the
// rights of an ABI), convert names and bits both ways and print sets. The
// package builds on every GOOS and imports no Landlock package: the bits
// are the kernel's (include/uapi/linux/landlock.h), and a Linux test
// checks them against go-landlock's constants, golang.org/x/sys/unix and
// go-landlock's ABI list. Not importing go-landlock keeps libpsx, and
// with it cgo, out of the unveil command (docs/DESIGN.md).
package llaccess

import (
	"math/bits"
	"strconv"
	"strings"
)

// Kind is one of Landlock's three vocabularies. Their bits overlap: a set
// of rights means nothing without its kind.
type Kind uint8

const (
	// FS: filesystem access rights (handled_access_fs, path_beneath).
	FS Kind = iota
	// Net: network access rights (handled_access_net, net_port).
	Net
	// Scope: IPC scopes (scoped).
	Scope
)

// Kinds lists the vocabularies in table order.
var Kinds = []Kind{FS, Net, Scope}

func (k Kind) String() string {
	switch k {
	case FS:
		return "fs"
	case Net:
		return "net"
	case Scope:
		return "scope"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// The bits of the rights, as the kernel numbers them.
const (
	FSExecute     uint64 = 1 << 0
	FSWriteFile   uint64 = 1 << 1
	FSReadFile    uint64 = 1 << 2
	FSReadDir     uint64 = 1 << 3
	FSRemoveDir   uint64 = 1 << 4
	FSRemoveFile  uint64 = 1 << 5
	FSMakeChar    uint64 = 1 << 6
	FSMakeDir     uint64 = 1 << 7
	FSMakeReg     uint64 = 1 << 8
	FSMakeSock    uint64 = 1 << 9
	FSMakeFifo    uint64 = 1 << 10
	FSMakeBlock   uint64 = 1 << 11
	FSMakeSym     uint64 = 1 << 12
	FSRefer       uint64 = 1 << 13
	FSTruncate    uint64 = 1 << 14
	FSIoctlDev    uint64 = 1 << 15
	FSResolveUnix uint64 = 1 << 16

	NetBindTCP        uint64 = 1 << 0
	NetConnectTCP     uint64 = 1 << 1
	NetBindUDP        uint64 = 1 << 2
	NetConnectSendUDP uint64 = 1 << 3

	ScopeAbstractUnixSocket uint64 = 1 << 0
	ScopeSignal             uint64 = 1 << 1
)

// AllFS is every filesystem right in the table (a constant, for
// unveil.KnownFSRights; a test checks it against the table).
const AllFS = FSResolveUnix<<1 - 1

// Right is one row of the table.
type Right struct {
	Kind Kind
	Bit  uint64
	// Name as Landlock Config, go-landlock and the reports spell it
	// ("read_file"). Landlock Config's format names the rights of ABIs up
	// to 6; later names are go-landlock's.
	Name string
	// UAPI is the kernel's constant ("LANDLOCK_ACCESS_FS_READ_FILE").
	UAPI string
	// ABI is the first Landlock ABI that has the right.
	ABI int
	// Feature is the name the reports, `unveil probe` and
	// unveil.Protection give what the right's ABI brought ("paths",
	// "refer", "tcp", ...).
	Feature string
	// File: a rule on a file that is not a directory can carry the right
	// (filesystem rights only); the others are rights of directories
	// (listing, making and removing entries, refer), which Landlock
	// refuses in a rule on a file.
	File bool
}

// table lists every right, per kind in bit order (the order sets print
// in).
var table = []Right{
	{FS, FSExecute, "execute", "LANDLOCK_ACCESS_FS_EXECUTE", 1, "paths", true},
	{FS, FSWriteFile, "write_file", "LANDLOCK_ACCESS_FS_WRITE_FILE", 1, "paths", true},
	{FS, FSReadFile, "read_file", "LANDLOCK_ACCESS_FS_READ_FILE", 1, "paths", true},
	{FS, FSReadDir, "read_dir", "LANDLOCK_ACCESS_FS_READ_DIR", 1, "paths", false},
	{FS, FSRemoveDir, "remove_dir", "LANDLOCK_ACCESS_FS_REMOVE_DIR", 1, "paths", false},
	{FS, FSRemoveFile, "remove_file", "LANDLOCK_ACCESS_FS_REMOVE_FILE", 1, "paths", false},
	{FS, FSMakeChar, "make_char", "LANDLOCK_ACCESS_FS_MAKE_CHAR", 1, "paths", false},
	{FS, FSMakeDir, "make_dir", "LANDLOCK_ACCESS_FS_MAKE_DIR", 1, "paths", false},
	{FS, FSMakeReg, "make_reg", "LANDLOCK_ACCESS_FS_MAKE_REG", 1, "paths", false},
	{FS, FSMakeSock, "make_sock", "LANDLOCK_ACCESS_FS_MAKE_SOCK", 1, "paths", false},
	{FS, FSMakeFifo, "make_fifo", "LANDLOCK_ACCESS_FS_MAKE_FIFO", 1, "paths", false},
	{FS, FSMakeBlock, "make_block", "LANDLOCK_ACCESS_FS_MAKE_BLOCK", 1, "paths", false},
	{FS, FSMakeSym, "make_sym", "LANDLOCK_ACCESS_FS_MAKE_SYM", 1, "paths", false},
	{FS, FSRefer, "refer", "LANDLOCK_ACCESS_FS_REFER", 2, "refer", false},
	{FS, FSTruncate, "truncate", "LANDLOCK_ACCESS_FS_TRUNCATE", 3, "truncate", true},
	{FS, FSIoctlDev, "ioctl_dev", "LANDLOCK_ACCESS_FS_IOCTL_DEV", 5, "ioctl_dev", true},
	{FS, FSResolveUnix, "resolve_unix", "LANDLOCK_ACCESS_FS_RESOLVE_UNIX", 9, "unix_sockets", true},

	{Net, NetBindTCP, "bind_tcp", "LANDLOCK_ACCESS_NET_BIND_TCP", 4, "tcp", false},
	{Net, NetConnectTCP, "connect_tcp", "LANDLOCK_ACCESS_NET_CONNECT_TCP", 4, "tcp", false},
	{Net, NetBindUDP, "bind_udp", "LANDLOCK_ACCESS_NET_BIND_UDP", 10, "udp", false},
	{Net, NetConnectSendUDP, "connect_send_udp", "LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP", 10, "udp", false},

	{Scope, ScopeAbstractUnixSocket, "abstract_unix_socket", "LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET", 6, "scopes", false},
	{Scope, ScopeSignal, "signal", "LANDLOCK_SCOPE_SIGNAL", 6, "scopes", false},
}

// Rights returns the rows of kind k in bit order (a copy).
func Rights(k Kind) []Right {
	var out []Right
	for _, r := range table {
		if r.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

// Known returns every right of kind k the table has.
func Known(k Kind) uint64 { return Mask(k, MaxABI) }

// MaxABI is the newest Landlock ABI that introduced a right in the table.
const MaxABI = 10

// Mask returns every right of kind k that Landlock ABI abi has (0 for
// abi < 1). An abi above MaxABI has the rights of MaxABI.
func Mask(k Kind, abi int) uint64 {
	var m uint64
	for _, r := range table {
		if r.Kind == k && r.ABI <= abi {
			m |= r.Bit
		}
	}
	return m
}

// FileRights returns the filesystem rights a rule on a file that is not
// a directory can carry (execute, write_file, read_file, truncate,
// ioctl_dev, resolve_unix).
func FileRights() uint64 {
	var m uint64
	for _, r := range table {
		if r.Kind == FS && r.File {
			m |= r.Bit
		}
	}
	return m
}

// Lookup returns the row of the right of kind k named name.
func Lookup(k Kind, name string) (Right, bool) {
	for _, r := range table {
		if r.Kind == k && r.Name == name {
			return r, true
		}
	}
	return Right{}, false
}

// Names returns the names of the rights of kind k in set, in bit order;
// bits the table lacks print as "bitN" (shown, never hidden). An empty
// set gives an empty, non-nil slice.
func Names(k Kind, set uint64) []string {
	out := make([]string, 0, bits.OnesCount64(set))
	for _, r := range table {
		if r.Kind == k && set&r.Bit != 0 {
			out = append(out, r.Name)
			set &^= r.Bit
		}
	}
	for set != 0 {
		b := set & -set
		out = append(out, "bit"+strconv.Itoa(bits.TrailingZeros64(b)))
		set &^= b
	}
	return out
}

// String prints a set of rights of kind k for people, as go-landlock
// does: "{execute,read_file}", and "∅" for none.
func String(k Kind, set uint64) string {
	if set == 0 {
		return "∅"
	}
	return "{" + strings.Join(Names(k, set), ",") + "}"
}

// Feature is one thing a Landlock ABI added that brings rights.
type Feature struct {
	Name   string
	ABI    int
	Rights []Right
}

// FeatureABI returns the ABI of the feature named name (the first ABI
// that has one of its rights, as Features gives it), or 0 if the table
// has no such feature. It allocates nothing.
func FeatureABI(name string) int {
	abi := 0
	for _, r := range table {
		if r.Feature == name && (abi == 0 || r.ABI < abi) {
			abi = r.ABI
		}
	}
	return abi
}

// Features returns the features of the table, oldest ABI first (for one
// ABI in table order), each with its rights.
func Features() []Feature {
	var out []Feature
	for abi := 1; abi <= MaxABI; abi++ {
		for _, r := range table {
			if r.ABI != abi {
				continue
			}
			i := len(out) - 1
			for i >= 0 && out[i].Name != r.Feature {
				i--
			}
			if i < 0 {
				out = append(out, Feature{Name: r.Feature, ABI: abi})
				i = len(out) - 1
			}
			out[i].Rights = append(out[i].Rights, r)
		}
	}
	return out
}
