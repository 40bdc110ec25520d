//go:build linux

package unveil

import "io/fs"

// FSRights returns the Landlock filesystem rights (LANDLOCK_ACCESS_FS_*
// bits) that Unveil grants for p on a file of the given mode: beneath it
// if mode is a directory, on the file itself otherwise. It is the one
// letter-to-rights table; cmd/unveil reads it to explain denials. Commit
// further drops the rights the kernel lacks.
func (p Perm) FSRights(mode fs.FileMode) uint64 {
	if mode.IsDir() {
		return dirRights(p)
	}
	return fileRights(p, mode)
}
