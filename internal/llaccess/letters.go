package llaccess

import (
	"io/fs"
	"strings"
)

// Letter is one unveil(2) permission letter and the filesystem rights it
// grants. A rule on a directory grants Dir beneath it; a rule on a file
// that is not a directory grants File, plus Device on a device file and
// Socket on a unix socket (Landlock accepts only file rights there).
type Letter struct {
	Letter byte
	Dir    uint64
	File   uint64
	Device uint64
	Socket uint64
}

// letters is the mapping, in the canonical order "rwxc"; bit i of a
// permission set (unveil.Perm) is letters[i].
//
//	r: read files, list directories; ioctl on devices opened through it
//	w: write and truncate files; ioctl on devices; connect and send to
//	   unix sockets by path
//	x: execute files; also read them, because Linux's execve opens the
//	   binary for reading and Landlock checks READ_FILE on that open
//	c: make files, directories, symlinks, sockets and FIFOs (not device
//	   nodes: no letter grants MAKE_CHAR or MAKE_BLOCK; only
//	   unveil.Ruleset.AllowFS does); remove files and directories; rename
//	   and link across directories (REFER, which Landlock checks on both
//	   the source and the target directory, so a move needs c on both
//	   sides). c grants nothing on a file: creating and removing are
//	   rights of the directory.
var letters = [...]Letter{
	{'r', FSReadFile | FSReadDir | FSIoctlDev, FSReadFile, FSIoctlDev, 0},
	{'w', FSWriteFile | FSTruncate | FSIoctlDev | FSResolveUnix, FSWriteFile | FSTruncate, FSIoctlDev, FSResolveUnix},
	{'x', FSExecute | FSReadFile, FSExecute | FSReadFile, 0, 0},
	{'c', FSMakeDir | FSMakeReg | FSMakeSock | FSMakeFifo | FSMakeSym | FSRemoveFile | FSRemoveDir | FSRefer, 0, 0, 0},
}

// Letters returns the letter table in the canonical order "rwxc" (a
// copy).
func Letters() []Letter { return append([]Letter(nil), letters[:]...) }

// LetterBit returns the bit of letter c in a permission set (1 for r, 2
// for w, 4 for x, 8 for c), or 0 for any other byte.
func LetterBit(c byte) uint8 {
	for i, l := range letters {
		if l.Letter == c {
			return 1 << i
		}
	}
	return 0
}

// LetterString returns the letters of a permission set in the canonical
// order ("" for none).
func LetterString(perm uint8) string {
	var b strings.Builder
	for i, l := range letters {
		if perm&(1<<i) != 0 {
			b.WriteByte(l.Letter)
		}
	}
	return b.String()
}

// LetterRights returns the filesystem rights that the permission set
// perm (bit i is the i-th letter of "rwxc") grants on a file of the
// given mode: beneath it if mode is a directory, on the file itself
// otherwise. Rights the kernel lacks are the caller's to drop.
func LetterRights(perm uint8, mode fs.FileMode) uint64 {
	var a uint64
	for i, l := range letters {
		if perm&(1<<i) == 0 {
			continue
		}
		switch {
		case mode.IsDir():
			a |= l.Dir
		default:
			a |= l.File
			if mode&fs.ModeDevice != 0 {
				a |= l.Device
			}
			if mode&fs.ModeSocket != 0 {
				a |= l.Socket
			}
		}
	}
	return a
}
