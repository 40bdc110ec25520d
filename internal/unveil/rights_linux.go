//go:build linux

package unveil

import (
	"io/fs"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// FSRights returns the Landlock filesystem rights (LANDLOCK_ACCESS_FS_*
// bits) that Unveil grants for p on a file of the given mode: beneath it
// if mode is a directory, on the file itself otherwise. A file that is
// not a directory takes only the rights of files, and c grants nothing
// there (creating and removing are rights of the directory). The letters
// map as follows:
//
//	r: read files, list directories; ioctl on devices opened through it
//	w: write and truncate files; ioctl on devices; connect and send to
//	   unix sockets by path
//	x: execute files; also read them, because Linux's execve opens the
//	   binary for reading and Landlock checks READ_FILE on that open (the
//	   report marks x without r as partial)
//	c: make files, directories, symlinks, sockets and FIFOs (not device
//	   nodes: only Ruleset.AllowFS grants MAKE_CHAR/MAKE_BLOCK); remove
//	   files and directories; rename and link across directories (REFER,
//	   which Landlock checks on both the source and the target directory,
//	   so a move needs c on both sides)
//
// Commit further drops the rights the kernel lacks. The mapping is
// pledgekit's one letter table (internal/llaccess), which the unveil
// command uses too.
func (p Perm) FSRights(mode fs.FileMode) uint64 {
	return llaccess.LetterRights(uint8(p), mode)
}
