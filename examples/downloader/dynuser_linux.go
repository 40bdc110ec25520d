package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// A dynamic download user: as root and without --user, each run downloads
// as a uid (and gid of the same number) that no account, group or running
// process has, taken from the range systemd reserves for DynamicUser=. No
// other process can share that identity, so nothing else can open the
// download directory or its files. A lock file per uid in
// dynamicLockDir keeps two runs from picking the same one at once.
const (
	dynamicUIDMin  = 61184
	dynamicUIDMax  = 65519
	dynamicLockDir = "/run/pledgekit-downloader"
)

// ErrNoDynamicUser is returned (wrapped) when no unused uid can be had.
var ErrNoDynamicUser = errors.New("cannot allocate a dynamic download user")

// allocateUID picks an unused uid and holds it until release is called.
func allocateUID() (uid int, release func(), err error) {
	dirfd, err := openLockDir(dynamicLockDir)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w (pass --user NAME for a dedicated user)", ErrNoDynamicUser, err)
	}
	defer unix.Close(dirfd)
	used, err := idsInUse()
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %w (pass --user NAME for a dedicated user)", ErrNoDynamicUser, err)
	}
	n := dynamicUIDMax - dynamicUIDMin + 1
	start := rand.IntN(n)
	for k := range n {
		id := dynamicUIDMin + (start+k)%n
		s := strconv.Itoa(id)
		if used[uint32(id)] {
			continue
		}
		if _, err := user.LookupId(s); err == nil {
			continue
		}
		if _, err := user.LookupGroupId(s); err == nil {
			continue
		}
		fd, err := unix.Openat(dirfd, "uid-"+s, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return 0, nil, fmt.Errorf("%w: lock file in %s: %w", ErrNoDynamicUser, dynamicLockDir, err)
		}
		if unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) != nil {
			unix.Close(fd)
			continue // another run holds it
		}
		// A process may have taken the uid between the scan and the lock.
		if used, err = idsInUse(); err != nil || used[uint32(id)] {
			unix.Close(fd)
			continue
		}
		return id, func() { unix.Close(fd) }, nil
	}
	return 0, nil, fmt.Errorf("%w: every uid in %d..%d is in use (pass --user NAME)", ErrNoDynamicUser, dynamicUIDMin, dynamicUIDMax)
}

// openLockDir opens (creating) a directory that must be root's and not
// writable by anyone else.
func openLockDir(dir string) (int, error) {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return -1, err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Uid != 0 || st.Mode&0o022 != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("%s must be a directory owned by root and writable only by it", dir)
	}
	return fd, nil
}

// idsInUse is every uid and gid (real, effective, saved, file system) of
// every running process.
func idsInUse() (map[uint32]bool, error) {
	status, err := filepath.Glob("/proc/[0-9]*/status")
	if err != nil || len(status) == 0 {
		return nil, fmt.Errorf("cannot list processes in /proc: %v", err)
	}
	used := map[uint32]bool{}
	for _, p := range status {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited
		}
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 || f[0] != "Uid:" && f[0] != "Gid:" {
				continue
			}
			for _, v := range f[1:] {
				if n, err := strconv.ParseUint(v, 10, 32); err == nil {
					used[uint32(n)] = true
				}
			}
		}
	}
	return used, nil
}
