package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// checkCache refuses a cache another user could change: it must belong to
// the user running the downloader (root when root) and be writable by no
// one else, sticky bit or not. Its owner, or anyone who may write to it,
// could otherwise hold the lock forever and replace installed files.
func (r *runner) checkCache() error {
	var st unix.Stat_t
	if err := unix.Fstat(r.cachefd, &st); err != nil {
		return fmt.Errorf("checking the cache %s: %w", r.cache, err)
	}
	euid := os.Geteuid()
	if st.Uid != uint32(euid) || st.Mode&0o022 != 0 {
		return fmt.Errorf("%w: %s is owned by uid %d with mode %04o; it must be owned by uid %d and writable by no one else (chown %d %s && chmod go-w %s)",
			ErrUnsafeCache, r.cache, st.Uid, st.Mode&0o7777, euid, euid, r.cache, r.cache)
	}
	return nil
}

// lock takes an exclusive lock on the cache, so that temp dirs found at
// start are known to be leftovers of crashed runs.
func (r *runner) lock() (func(), error) {
	fd, err := unix.Openat(r.cachefd, lockFileName, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the lock file in %s: %w", r.cache, err)
	}
	// A short wait: a copy of a lock descriptor lives on briefly in a
	// process forked by another goroutine before its exec closes it.
	for deadline := time.Now().Add(time.Second); ; {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked (%s)", ErrLocked, r.cache, lockFileName)
		}
		return nil, fmt.Errorf("locking %s: %w", r.cache, err)
	}
	return func() { unix.Close(fd) }, nil
}

// removeLeftovers deletes download-* dirs left by a crashed run (pacman
// #209), after moving their partial files of listed names back into the
// cache so the downloads resume.
func (r *runner) removeLeftovers() {
	entries, _ := os.ReadDir(r.cache)
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, tempDirPrefix) {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(r.cachefd, n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		path := filepath.Join(r.cache, n)
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			_ = unix.Unlinkat(r.cachefd, n, 0)
			r.res.Leftovers = append(r.res.Leftovers, path)
			continue
		}
		salvaged := 0
		if fd, err := r.takeLeftover(n); err != nil {
			r.warn("not salvaging partial files from %s: %v", path, err)
		} else {
			for i := range r.files {
				// A complete file of a run killed before it installed
				// it is kept too; the next transfer is then none.
				_ = unix.Renameat2(fd, r.files[i].Name, fd, r.files[i].Name+partSuffix, unix.RENAME_NOREPLACE)
				if r.movePartial(fd, r.cachefd, r.files[i].Name+partSuffix, r.files[i].Size, true) {
					salvaged++
				}
			}
			unix.Close(fd)
		}
		if err := removeAt(r.cachefd, n); err != nil {
			r.warn("could not remove the leftover %s: %v", path, err)
			continue
		}
		r.res.Leftovers = append(r.res.Leftovers, path)
		r.info("removed %s left by an earlier run (%d partial files kept for resume)", path, salvaged)
	}
}

// takeLeftover opens a leftover download dir and makes it root's (ours
// when not root), mode 0700, before anything in it is looked at: a process
// of the download user, even one holding a descriptor of it, can then no
// longer rename or swap its entries (RENAME_EXCHANGE) between the checks
// and the move.
func (r *runner) takeLeftover(name string) (int, error) {
	fd, err := unix.Openat(r.cachefd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if os.Geteuid() == 0 {
		err = unix.Fchown(fd, 0, 0)
	}
	if err == nil {
		err = unix.Fchmod(fd, 0o700)
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("taking it back: %w", err)
	}
	return fd, nil
}

// makeTempDir creates the private download dir inside the cache (same
// file system, so finished files are renamed, never copied) and gives it
// to the download user.
func (r *runner) makeTempDir() error {
	tmp, err := os.MkdirTemp(r.cache, tempDirPrefix)
	if err != nil {
		return fmt.Errorf("creating the download directory in %s: %w", r.cache, err)
	}
	r.tmp = tmp
	r.tmpfd, err = unix.Open(tmp, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("opening %s: %w", tmp, err)
	}
	if r.switchTo {
		if err := unix.Fchown(r.tmpfd, r.uid, r.gid); err != nil {
			unix.Close(r.tmpfd)
			os.Remove(tmp)
			return fmt.Errorf("giving %s to uid %d: %w (on NFS with root_squash or in a user namespace, pass --user with a usable uid, or run without root)", tmp, r.uid, err)
		}
	}
	return nil
}

// restorePartials moves <name>.part files of an interrupted run from the
// cache into the new temp dir, so the child resumes them with Range.
func (r *runner) restorePartials() {
	r.resumed = map[int]int64{}
	for i := range r.files {
		n := r.files[i].Name + partSuffix
		if r.movePartial(r.cachefd, r.tmpfd, n, r.files[i].Size, false) {
			var st unix.Stat_t
			if unix.Fstatat(r.tmpfd, n, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
				r.resumed[i] = st.Size
			}
		}
	}
}

// movePartial moves one partial file between directories after checking
// it is a plain file of at most limit bytes. toCache: give it to root;
// otherwise to the download user. Anything else under that name (a
// symlink, a fifo, an over-long file) is deleted with a warning.
func (r *runner) movePartial(fromfd, tofd int, name string, limit int64, toCache bool) bool {
	var lst unix.Stat_t
	if err := unix.Fstatat(fromfd, name, &lst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false
	}
	reject := func(why string) bool {
		r.warn("discarding the partial file %s: %s", name, why)
		_ = unix.Unlinkat(fromfd, name, 0)
		return false
	}
	if lst.Mode&unix.S_IFMT != unix.S_IFREG {
		return reject(fmt.Sprintf("%v: %s", ErrNotRegular, fileType(lst.Mode)))
	}
	if lst.Size == 0 {
		_ = unix.Unlinkat(fromfd, name, 0)
		return false
	}
	if lst.Size > limit || lst.Nlink != 1 {
		return reject(fmt.Sprintf("%d bytes, %d links", lst.Size, lst.Nlink))
	}
	fd, err := unix.Openat(fromfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return reject(err.Error())
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Ino != lst.Ino || st.Dev != lst.Dev {
		return reject("it changed while being checked")
	}
	if os.Geteuid() == 0 {
		uid, gid := 0, 0
		if !toCache && r.switchTo {
			uid, gid = r.uid, r.gid
		}
		if err := unix.Fchown(fd, uid, gid); err != nil {
			return reject(err.Error())
		}
	}
	_ = unix.Fchmod(fd, 0o644)
	if err := unix.Renameat(fromfd, name, tofd, name); err != nil {
		return reject(err.Error())
	}
	// What was renamed must be what was checked (the source directory
	// may be writable by the download user).
	var moved unix.Stat_t
	if unix.Fstatat(tofd, name, &moved, unix.AT_SYMLINK_NOFOLLOW) != nil || moved.Ino != st.Ino || moved.Dev != st.Dev {
		r.warn("discarding the partial file %s: it was replaced while being moved", name)
		_ = unix.Unlinkat(tofd, name, 0)
		return false
	}
	return true
}

func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return "a symlink"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a fifo"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "a device"
	}
	return "a regular file"
}

// takeBack makes the temp dir root's again now that the downloader is
// gone, so nothing running as the download user can change its entries
// between the checks below and the rename.
func (r *runner) takeBack() error {
	if !r.switchTo {
		return nil
	}
	if err := unix.Fchown(r.tmpfd, 0, 0); err != nil {
		return fmt.Errorf("taking back %s: %w", r.tmp, err)
	}
	if err := unix.Fchmod(r.tmpfd, 0o755); err != nil {
		return fmt.Errorf("taking back %s: %w", r.tmp, err)
	}
	return nil
}

// salvage moves unfinished downloads back into the cache as <name>.part
// (owned by root) so the next run resumes them. Files that are complete
// but were not installed (interrupted before the checks) are kept the
// same way: the next run finalizes them without a transfer and checks them.
func (r *runner) salvage() {
	if r.switchTo {
		_ = r.takeBack()
	}
	for i := range r.files {
		f := r.files[i]
		if i < len(r.res.Files) && r.res.Files[i].Status == statusOK {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(r.tmpfd, f.Name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && (i >= len(r.res.Files) || r.res.Files[i].Status == statusInterrupted) {
			if st.Mode&unix.S_IFMT == unix.S_IFREG && unix.Renameat2(r.tmpfd, f.Name, r.tmpfd, f.Name+partSuffix, unix.RENAME_NOREPLACE) != nil {
				_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
			}
		}
		r.movePartialOwned(f.Name+partSuffix, f.Size)
	}
}

// movePartialOwned is movePartial from the temp dir to the cache, also
// requiring the file to belong to the download user.
func (r *runner) movePartialOwned(name string, limit int64) {
	var st unix.Stat_t
	if unix.Fstatat(r.tmpfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return
	}
	if st.Uid != uint32(r.uid) && st.Uid != 0 {
		r.warn("discarding the partial file %s: owned by uid %d", name, st.Uid)
		return
	}
	r.movePartial(r.tmpfd, r.cachefd, name, limit, true)
}
