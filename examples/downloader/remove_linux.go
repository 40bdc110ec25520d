package main

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// removeAt removes name from the directory dirfd, whatever tree a
// compromised child built there: any depth, any modes, symlinks, fifos.
// os.RemoveAll holds a descriptor per level and fails with EMFILE on a
// chain deeper than the descriptor limit. removeAt holds two at most and
// follows neither symlinks nor "..": it moves the entries of each
// subdirectory up into the top directory under fresh names and removes
// the emptied subdirectory, until the top is empty.
func removeAt(dirfd int, name string) error {
	top, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case errors.Is(err, unix.ENOENT):
		return nil
	case errors.Is(err, unix.ENOTDIR), errors.Is(err, unix.ELOOP):
		return unix.Unlinkat(dirfd, name, 0)
	case err != nil:
		return err
	}
	err = emptyDir(top)
	unix.Close(top)
	if err != nil {
		return err
	}
	return unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
}

// maxRemoveRounds bounds emptyDir against a process that keeps adding
// entries; a chain of depth d takes d rounds.
const maxRemoveRounds = 1 << 22

func emptyDir(top int) error {
	fresh := 0
	for round := 0; ; round++ {
		names, err := dirNames(top)
		if err != nil || len(names) == 0 {
			return err
		}
		if round == maxRemoveRounds {
			return fmt.Errorf("%w: entries keep appearing", ErrLeftoverState)
		}
		for _, e := range names {
			err := unix.Unlinkat(top, e, 0)
			if err == nil || errors.Is(err, unix.ENOENT) {
				continue
			}
			if !errors.Is(err, unix.EISDIR) {
				return fmt.Errorf("removing %q: %w", e, err)
			}
			if unix.Unlinkat(top, e, unix.AT_REMOVEDIR) == nil {
				continue
			}
			sub, err := openSubdir(top, e)
			if err != nil {
				return err
			}
			inner, err := dirNames(sub)
			for _, x := range inner {
				for retried := false; ; {
					fresh++
					err = unix.Renameat2(sub, x, top, fmt.Sprintf(".rm-%d", fresh), unix.RENAME_NOREPLACE)
					if errors.Is(err, unix.EACCES) && !retried && os.Geteuid() != 0 {
						// Moving a directory to another parent needs
						// write permission on it (its ".." changes).
						_ = unix.Fchmodat(sub, x, 0o700, 0)
						retried = true
						continue
					}
					if !errors.Is(err, unix.EEXIST) {
						break
					}
				}
				if err != nil && !errors.Is(err, unix.ENOENT) {
					break
				}
				err = nil
			}
			unix.Close(sub)
			if err != nil {
				return fmt.Errorf("emptying %q: %w", e, err)
			}
			// Not empty if something was added meanwhile: next round.
			_ = unix.Unlinkat(top, e, unix.AT_REMOVEDIR)
		}
	}
}

// openSubdir opens a subdirectory to empty it. A directory of our own uid
// that we may not read (mode 0000) gets mode 0700 first. As root nothing
// is chmod'ed: it is not needed, and a name may be swapped for a symlink;
// not root, the tree and anything a chmod could reach are our own.
func openSubdir(top int, name string) (int, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(top, name, flags, 0)
	if errors.Is(err, unix.EACCES) && os.Geteuid() != 0 {
		if unix.Fchmodat(top, name, 0o700, 0) == nil {
			fd, err = unix.Openat(top, name, flags, 0)
		}
	}
	if err != nil {
		return -1, fmt.Errorf("opening %q: %w", name, err)
	}
	if os.Geteuid() != 0 {
		_ = unix.Fchmod(fd, 0o700) // renaming out of it needs write permission
	}
	return fd, nil
}

// dirNames lists a directory from its start.
func dirNames(fd int) ([]string, error) {
	if _, err := unix.Seek(fd, 0, 0); err != nil {
		return nil, err
	}
	var names []string
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.ReadDirent(fd, buf)
		if err != nil {
			return names, err
		}
		if n <= 0 {
			return names, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names)
	}
}
