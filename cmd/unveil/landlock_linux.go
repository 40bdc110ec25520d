package main

// Landlock rulesets for the exec'd program, applied with the raw system
// calls to the calling thread only (the thread that then calls execve), in
// layers: every layer must allow an access.
//
// TEMPORARY: the unveil package's ruleset API is being written in parallel;
// once it can build a ruleset for one thread from explicit handled rights
// and per-file rules, this file should use it.

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	llExecute     = unix.LANDLOCK_ACCESS_FS_EXECUTE
	llWriteFile   = unix.LANDLOCK_ACCESS_FS_WRITE_FILE
	llReadFile    = unix.LANDLOCK_ACCESS_FS_READ_FILE
	llReadDir     = unix.LANDLOCK_ACCESS_FS_READ_DIR
	llRemoveDir   = unix.LANDLOCK_ACCESS_FS_REMOVE_DIR
	llRemoveFile  = unix.LANDLOCK_ACCESS_FS_REMOVE_FILE
	llMakeChar    = unix.LANDLOCK_ACCESS_FS_MAKE_CHAR
	llMakeDir     = unix.LANDLOCK_ACCESS_FS_MAKE_DIR
	llMakeReg     = unix.LANDLOCK_ACCESS_FS_MAKE_REG
	llMakeSock    = unix.LANDLOCK_ACCESS_FS_MAKE_SOCK
	llMakeFifo    = unix.LANDLOCK_ACCESS_FS_MAKE_FIFO
	llMakeBlock   = unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK
	llMakeSym     = unix.LANDLOCK_ACCESS_FS_MAKE_SYM
	llRefer       = unix.LANDLOCK_ACCESS_FS_REFER
	llTruncate    = unix.LANDLOCK_ACCESS_FS_TRUNCATE
	llIoctlDev    = unix.LANDLOCK_ACCESS_FS_IOCTL_DEV
	llResolveUnix = unix.LANDLOCK_ACCESS_FS_RESOLVE_UNIX

	llFileRights = llExecute | llWriteFile | llReadFile | llTruncate | llIoctlDev

	llNetBindTCP    = unix.LANDLOCK_ACCESS_NET_BIND_TCP
	llNetConnectTCP = unix.LANDLOCK_ACCESS_NET_CONNECT_TCP
)

// permRights maps OpenBSD unveil letters to Landlock filesystem rights.
func permRights(perm string) uint64 {
	var r uint64
	for _, c := range perm {
		switch c {
		case 'r':
			r |= llReadFile | llReadDir | llIoctlDev
		case 'w':
			r |= llWriteFile | llTruncate | llIoctlDev | llResolveUnix
		case 'x':
			r |= llExecute
		case 'c':
			r |= llMakeChar | llMakeDir | llMakeReg | llMakeSock | llMakeFifo | llMakeBlock | llMakeSym |
				llRemoveDir | llRemoveFile | llRefer
		}
	}
	return r
}

// rightsPerm is the inverse, for messages: the letters whose rights
// intersect rights.
func rightsPerm(rights uint64) string {
	var b strings.Builder
	for _, c := range "rwxc" {
		if rights&permRights(string(c))&^llIoctlDev != 0 {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// pathRule allows Access beneath Path (Path itself if it is a file).
type pathRule struct {
	Path   string `json:"path"`
	Access uint64 `json:"access"`
	Why    string `json:"why,omitempty"`
}

type portRule struct {
	Port   uint16 `json:"port"`
	Access uint64 `json:"access"`
}

// llLayer is one Landlock ruleset.
type llLayer struct {
	Name       string     `json:"name"`
	HandledFS  uint64     `json:"handled_fs"`
	HandledNet uint64     `json:"handled_net"`
	Scoped     uint64     `json:"scoped"`
	Paths      []pathRule `json:"paths,omitempty"`
	Ports      []portRule `json:"ports,omitempty"`
}

func (l *llLayer) addPath(path string, access uint64, why string) {
	for i := range l.Paths {
		if l.Paths[i].Path == path {
			l.Paths[i].Access |= access
			return
		}
	}
	l.Paths = append(l.Paths, pathRule{Path: path, Access: access, Why: why})
}

func (l *llLayer) sort() {
	sort.Slice(l.Paths, func(i, j int) bool { return l.Paths[i].Path < l.Paths[j].Path })
	sort.Slice(l.Ports, func(i, j int) bool { return l.Ports[i].Port < l.Ports[j].Port })
}

// allows reports whether the layer lets path (absolute, resolved) be
// accessed with all of the rights in need. Used by the supervisor to
// explain and pre-judge accesses; the kernel is the enforcer.
func (l *llLayer) allows(path string, need uint64) bool {
	need &= l.HandledFS
	if need == 0 {
		return true
	}
	var got uint64
	for _, r := range l.Paths {
		if path == r.Path || strings.HasPrefix(path, strings.TrimSuffix(r.Path, "/")+"/") {
			got |= r.Access
		}
	}
	return need&^got == 0
}

type rulesetAttr struct {
	handledFS  uint64
	handledNet uint64
	scoped     uint64
}

type pathBeneathAttr struct {
	allowed  uint64
	parentFd int32
}

type netPortAttr struct {
	allowed uint64
	port    uint64
}

// restrict enforces the layer on the calling thread. no_new_privs must
// already be set (or the caller have CAP_SYS_ADMIN).
func (l *llLayer) restrict() error {
	attr := rulesetAttr{handledFS: l.HandledFS, handledNet: l.HandledNet, scoped: l.Scoped}
	size := unsafe.Sizeof(attr)
	if l.Scoped == 0 {
		size = 16
		if l.HandledNet == 0 {
			size = 8
		}
	}
	fd, _, e := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, uintptr(unsafe.Pointer(&attr)), size, 0)
	if e != 0 {
		return fmt.Errorf("landlock_create_ruleset (%s): %w", l.Name, e)
	}
	defer unix.Close(int(fd))
	for _, r := range l.Paths {
		pfd, err := unix.Open(r.Path, unix.O_PATH|unix.O_CLOEXEC, 0)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return fmt.Errorf("landlock rule for %s: %w", r.Path, err)
		}
		access := r.Access & l.HandledFS
		var st unix.Stat_t
		if unix.Fstat(pfd, &st) == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			access &= llFileRights
		}
		if access == 0 {
			unix.Close(pfd)
			continue
		}
		pb := pathBeneathAttr{allowed: access, parentFd: int32(pfd)}
		_, _, e := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, fd, unix.LANDLOCK_RULE_PATH_BENEATH, uintptr(unsafe.Pointer(&pb)), 0, 0, 0)
		unix.Close(pfd)
		if e != 0 {
			return fmt.Errorf("landlock rule for %s (access %#x): %w", r.Path, access, e)
		}
	}
	for _, p := range l.Ports {
		np := netPortAttr{allowed: p.Access & l.HandledNet, port: uint64(p.Port)}
		if np.allowed == 0 {
			continue
		}
		_, _, e := unix.Syscall6(unix.SYS_LANDLOCK_ADD_RULE, fd, 2 /* LANDLOCK_RULE_NET_PORT */, uintptr(unsafe.Pointer(&np)), 0, 0, 0)
		if e != 0 {
			return fmt.Errorf("landlock rule for port %d: %w", p.Port, e)
		}
	}
	_, _, e = unix.Syscall(unix.SYS_LANDLOCK_RESTRICT_SELF, fd, 0, 0)
	if e != 0 {
		return fmt.Errorf("landlock_restrict_self (%s): %w", l.Name, e)
	}
	return nil
}

// cleanAbs makes p absolute and clean, resolving symlinks when it exists
// (Landlock rules attach to the file the path names).
func cleanAbs(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	return abs, nil
}
