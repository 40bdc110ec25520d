package supervise

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/safeprint"
)

// Bounds of what Decode reads from the caller's memory.
const (
	maxPath     = 4096 // PATH_MAX
	maxSockaddr = 128  // sizeof(struct sockaddr_storage)
)

// Decode decodes notification n of a process running on Go architecture
// arch: its name, the paths and socket address it names, read from the
// caller's memory (bounded: maxPath and maxSockaddr bytes), and its text.
// What cannot be read is shown in hex. The caller's process and command
// name are left unknown (Tgid 0): they cost two /proc reads, and only
// some calls need them (Request.Identify reads them). Read first, then
// check that the notification is still valid, then act (Serve does).
func Decode(n *notify.Notif, arch string) *Call {
	c := &Call{Pid: int(n.Pid), Arch: arch, Audit: n.Arch, Nr: n.Nr, Args: n.Args, Port: -1}
	c.Name = SyscallName(arch, n.Arch, n.Nr)
	pathAt := map[int]string{}
	for _, pa := range names().pathArgs[c.Name] {
		s, err := notify.ReadString(c.Pid, n.Args[pa[1]], maxPath)
		if err != nil && s == "" {
			continue
		}
		pathAt[pa[1]] = s
		abs := s
		if !filepath.IsAbs(s) {
			fd := uint64(0xffffff9c) // AT_FDCWD
			if pa[0] >= 0 {
				fd = n.Args[pa[0]]
			}
			dir := dirOf(c.Pid, fd)
			if s == "" {
				abs = dir
			} else {
				abs = filepath.Join(dir, s)
			}
		}
		c.Paths = append(c.Paths, filepath.Clean(abs))
	}
	sa := ""
	switch c.Name {
	case "socket", "socketpair":
		c.Family = n.Args[0] & 0xffffffff
	case "connect", "bind", "sendto":
		ai := 1
		if c.Name == "sendto" {
			ai = 4
		}
		if n.Args[ai] != 0 {
			sa = c.sockaddr(n.Args[ai], int(int32(n.Args[ai+1])))
		}
	}
	c.Text = format(c.Name, n.Args, pathAt, sa)
	if c.Name == "" {
		c.Text = fmt.Sprintf("syscall_%d", c.Nr) + FormatCall("", n.Args)
	}
	return c
}

// sockaddr decodes the socket address of n bytes at addr, setting Family,
// Port and UnixPath; it returns "" when the address cannot be read.
func (c *Call) sockaddr(addr uint64, n int) string {
	if n <= 0 || n > maxSockaddr {
		n = maxSockaddr
	}
	b, err := notify.ReadMem(c.Pid, addr, n)
	if err != nil || len(b) < 2 {
		return ""
	}
	fam := uint64(binary.LittleEndian.Uint16(b))
	c.Family = fam
	switch fam {
	case 2: // AF_INET
		if len(b) >= 8 {
			c.Port = int(binary.BigEndian.Uint16(b[2:]))
			return fmt.Sprintf("{AF_INET %s:%d}", ipString(b[4:8]), c.Port)
		}
	case 10: // AF_INET6
		if len(b) >= 24 {
			c.Port = int(binary.BigEndian.Uint16(b[2:]))
			return fmt.Sprintf("{AF_INET6 [%s]:%d}", ipString(b[8:24]), c.Port)
		}
	case 1: // AF_UNIX
		p := string(b[2:])
		if i := strings.IndexByte(p, 0); i > 0 {
			p = p[:i]
		} else if i == 0 {
			p = "@" + strings.TrimRight(p[1:], "\x00")
		}
		if p != "" && p[0] != '@' {
			if filepath.IsAbs(p) {
				c.UnixPath = filepath.Clean(p)
			} else if d := dirOf(c.Pid, uint64(0xffffff9c)); d != "" {
				c.UnixPath = filepath.Join(d, p)
			}
		}
		return fmt.Sprintf("{AF_UNIX %q}", p)
	}
	return "{" + family(fam) + "}"
}

// dirOf returns the directory a dirfd argument of thread pid stands for.
func dirOf(pid int, fd uint64) string {
	link := "/proc/" + strconv.Itoa(pid) + "/cwd"
	if int32(fd) != -100 { // not AT_FDCWD
		link = "/proc/" + strconv.Itoa(pid) + "/fd/" + strconv.Itoa(int(int32(fd)))
	}
	d, err := os.Readlink(link)
	if err != nil {
		return ""
	}
	return d
}

// tgidOf returns the process (thread group) of thread tid, or -1.
func tgidOf(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Tgid:"); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
				return n
			}
		}
	}
	return -1
}

// commOf returns process pid's command name made printable (a process
// chooses its own name), or "?".
func commOf(pid int) string {
	if pid <= 0 {
		return "?"
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return safeprint.String(strings.TrimSuffix(string(b), "\n"))
}
