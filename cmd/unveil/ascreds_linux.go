package main

import (
	"os"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// The supervisor answers some calls itself from what it finds on the
// filesystem: an execve of a file that does not exist fails with ENOENT
// (so that execvp goes on along PATH), a connect to a unix socket file
// that does not exist too. It must find what the program would find: run
// as root for a -u program, a stat of its own would tell the program
// whether a file exists where the program may not look (a directory it
// cannot search), an answer the kernel gives it only as EACCES. So those
// stats run on an OS thread of their own with the program's filesystem
// identity: its fsuid, fsgid and groups, and no capabilities unless
// --keep-caps (the filesystem credentials and capabilities of a thread
// are its own; the process's other threads keep theirs).

// credStat stats paths as the program would.
type credStat struct {
	once sync.Once
	req  chan statReq
	uid  int
	gid  int
	// switched: the program's groups are [gid] (unveil switches them).
	switched bool
	keepCaps bool
}

type statReq struct {
	path   string
	follow bool
	reply  chan error
}

func newCredStat(p *plan) *credStat {
	cs := &credStat{uid: os.Geteuid(), gid: os.Getegid(), keepCaps: p.KeepCaps}
	if p.UID >= 0 || p.GID >= 0 {
		cs.switched = true
		if p.UID >= 0 {
			cs.uid = p.UID
		}
		if p.GID >= 0 {
			cs.gid = p.GID
		}
	}
	return cs
}

// become gives the calling thread the program's filesystem identity.
func (cs *credStat) become() error {
	if cs.switched {
		// setgroups(2) for this thread alone (syscall.Setgroups changes
		// every thread of the process).
		gids := []uint32{uint32(cs.gid)}
		if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, 1, uintptr(unsafePointer(&gids[0])), 0); e != 0 {
			return e
		}
	}
	// setfsgid/setfsuid return the previous value and never fail
	// visibly: check by calling again.
	unix.Setfsgid(cs.gid)
	unix.Setfsuid(cs.uid)
	if prev, _ := unix.SetfsgidRetGid(-1); prev != cs.gid {
		return unix.EPERM
	}
	if prev, _ := unix.SetfsuidRetUid(-1); prev != cs.uid {
		return unix.EPERM
	}
	if !cs.keepCaps {
		// The program starts with an empty bounding set: no capability
		// overrides a permission check for it.
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			return err
		}
		data[0].Effective, data[1].Effective = 0, 0
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			return err
		}
	}
	return nil
}

func (cs *credStat) start() {
	cs.req = make(chan statReq)
	ready := make(chan error)
	go func() {
		// Never unlocked: the thread keeps the program's identity and
		// ends with this goroutine, which serves for the process's life.
		runtime.LockOSThread()
		err := cs.become()
		ready <- err
		for r := range cs.req {
			if err != nil {
				// Without the program's identity, tell nothing apart:
				// the kernel answers EACCES for a path the program may
				// not look into.
				r.reply <- unix.EACCES
				continue
			}
			var st unix.Stat_t
			if r.follow {
				r.reply <- errOrNil(unix.Stat(r.path, &st))
			} else {
				r.reply <- errOrNil(unix.Lstat(r.path, &st))
			}
		}
	}()
	<-ready
}

func errOrNil(err error) error {
	if err == nil {
		return nil
	}
	return err
}

// stat stats path (following symlinks if follow) as the program would and
// returns the error the kernel gave, nil if the file exists.
func (cs *credStat) stat(path string, follow bool) error {
	cs.once.Do(cs.start)
	reply := make(chan error, 1)
	cs.req <- statReq{path: path, follow: follow, reply: reply}
	return <-reply
}

// unreachable returns the error the program's own lookup of path gets
// (ENOENT, ENOTDIR, EACCES where it may not search a directory, ...), or
// 0 if path names a file it can reach. path is absolute, with its
// symlinks not resolved (resolving them as this process would look where
// the program cannot). An empty path (the call's path could not be read)
// counts as reachable.
func (cs *credStat) unreachable(path string) unix.Errno {
	if path == "" {
		return 0
	}
	if err, ok := cs.stat(path, true).(unix.Errno); ok {
		return err
	}
	return 0
}
