package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pledgekit/pledgekit/internal/notify"
)

// call is a decoded system call of a supervised process.
type call struct {
	pid   int
	name  string
	args  [6]uint64
	paths []string // absolute (not symlink-resolved) paths the call names
	text  string   // name(decoded args)
	port  int      // connect/bind TCP/UDP port, -1 if none
	fam   uint64
	// unixPath is the file an AF_UNIX address names (connect, bind,
	// sendto), absolute; empty for abstract or unnamed addresses.
	unixPath string
}

// pathArgs: syscall → (dirfd argument or -1, path argument) pairs.
var pathArgs = map[string][][2]int{
	"open": {{-1, 0}}, "openat": {{0, 1}}, "creat": {{-1, 0}}, "stat": {{-1, 0}}, "lstat": {{-1, 0}},
	"newfstatat": {{0, 1}}, "statx": {{0, 1}}, "access": {{-1, 0}}, "faccessat": {{0, 1}}, "faccessat2": {{0, 1}},
	"readlink": {{-1, 0}}, "readlinkat": {{0, 1}}, "chdir": {{-1, 0}}, "mkdir": {{-1, 0}}, "mkdirat": {{0, 1}},
	"unlink": {{-1, 0}}, "unlinkat": {{0, 1}}, "rmdir": {{-1, 0}}, "rename": {{-1, 0}, {-1, 1}},
	"renameat": {{0, 1}, {2, 3}}, "renameat2": {{0, 1}, {2, 3}}, "link": {{-1, 0}, {-1, 1}}, "linkat": {{0, 1}, {2, 3}},
	"symlink": {{-1, 1}}, "symlinkat": {{1, 2}}, "truncate": {{-1, 0}}, "chmod": {{-1, 0}}, "fchmodat": {{0, 1}},
	"chown": {{-1, 0}}, "lchown": {{-1, 0}}, "fchownat": {{0, 1}}, "utimensat": {{0, 1}}, "execve": {{-1, 0}},
	"execveat": {{0, 1}}, "mknod": {{-1, 0}}, "mknodat": {{0, 1}}, "statfs": {{-1, 0}}, "getxattr": {{-1, 0}},
	"setxattr": {{-1, 0}}, "lgetxattr": {{-1, 0}}, "chroot": {{-1, 0}}, "mount": {{-1, 1}}, "umount2": {{-1, 0}},
}

var openFlagNames = []struct {
	bit  uint64
	name string
}{{0o100, "O_CREAT"}, {0o200, "O_EXCL"}, {0o1000, "O_TRUNC"}, {0o2000, "O_APPEND"}, {0o4000, "O_NONBLOCK"},
	{0o200000, "O_DIRECTORY"}, {0o400000, "O_NOFOLLOW"}, {0o2000000, "O_CLOEXEC"}, {0o10000000, "O_PATH"},
	{0o20000000, "O_TMPFILE"}}

func openFlags(f uint64) string {
	parts := []string{[]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[f&3]}
	for _, n := range openFlagNames {
		if f&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "|")
}

var families = map[uint64]string{0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK",
	17: "AF_PACKET", 38: "AF_ALG", 40: "AF_VSOCK", 44: "AF_XDP"}

func family(f uint64) string {
	if n, ok := families[f]; ok {
		return n
	}
	return strconv.FormatUint(f, 10)
}

var sockTypes = map[uint64]string{1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 5: "SOCK_SEQPACKET"}
var protocols = map[uint64]string{0: "0", 1: "IPPROTO_ICMP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 58: "IPPROTO_ICMPV6", 262: "IPPROTO_MPTCP"}

func protName(p uint64) string {
	if n, ok := protocols[p]; ok {
		return n
	}
	return strconv.FormatUint(p, 10)
}

func prot(p uint64) string {
	if p == 0 {
		return "PROT_NONE"
	}
	var parts []string
	for i, n := range []string{"PROT_READ", "PROT_WRITE", "PROT_EXEC"} {
		if p&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if p&^7 != 0 {
		parts = append(parts, fmt.Sprintf("%#x", p&^7))
	}
	return strings.Join(parts, "|")
}

// dirOf returns the directory a dirfd argument stands for.
func dirOf(pid int, dirfd uint64) string {
	var link string
	if int32(dirfd) == -100 { // AT_FDCWD
		link = fmt.Sprintf("/proc/%d/cwd", pid)
	} else {
		link = fmt.Sprintf("/proc/%d/fd/%d", pid, int32(dirfd))
	}
	d, err := os.Readlink(link)
	if err != nil {
		return ""
	}
	return d
}

// decode reads a notified call's arguments. Pointers are read from the
// process's memory after the fact: the result explains, it never allows.
func decode(n *notify.Notif, name string) *call {
	c := &call{pid: int(n.Pid), name: name, args: n.Args, port: -1}
	var parts []string
	pathAt := map[int]string{}
	for _, pa := range pathArgs[name] {
		s, err := notify.ReadString(c.pid, n.Args[pa[1]], 4096)
		if err != nil && s == "" {
			continue
		}
		pathAt[pa[1]] = s
		abs := s
		if !filepath.IsAbs(s) {
			dir := "/"
			if pa[0] >= 0 {
				dir = dirOf(c.pid, n.Args[pa[0]])
			} else {
				dir = dirOf(c.pid, uint64(0xffffff9c))
			}
			if s == "" {
				abs = dir
			} else {
				abs = filepath.Join(dir, s)
			}
		}
		c.paths = append(c.paths, filepath.Clean(abs))
	}
	a := n.Args
	switch name {
	case "open":
		parts = []string{strconv.Quote(pathAt[0]), openFlags(a[1])}
	case "openat":
		parts = []string{dirfdStr(a[0]), strconv.Quote(pathAt[1]), openFlags(a[2])}
		if a[2]&0o100 != 0 {
			parts = append(parts, fmt.Sprintf("%#o", a[3]))
		}
	case "execve":
		parts = []string{strconv.Quote(pathAt[0]), "[...]"}
	case "socket":
		parts = []string{family(a[0] & 0xffffffff), sockTypeStr(a[1]), protName(a[2] & 0xffffffff)}
		c.fam = a[0] & 0xffffffff
	case "connect", "bind", "sendto":
		ai := 1
		if name == "sendto" {
			ai = 4
		}
		sa := ""
		if a[ai] != 0 {
			sa = sockaddr(c, a[ai], int(a[ai+1]))
		}
		parts = []string{strconv.FormatUint(a[0]&0xffffffff, 10), sa}
	case "mmap":
		parts = []string{fmt.Sprintf("%#x", a[0]), strconv.FormatUint(a[1], 10), prot(a[2]), fmt.Sprintf("%#x", a[3]), strconv.Itoa(int(int32(a[4])))}
	case "mprotect", "pkey_mprotect":
		parts = []string{fmt.Sprintf("%#x", a[0]), strconv.FormatUint(a[1], 10), prot(a[2])}
	case "ioctl", "fcntl":
		parts = []string{strconv.FormatUint(a[0]&0xffffffff, 10), fmt.Sprintf("%#x", a[1]&0xffffffff)}
	case "prctl":
		parts = []string{strconv.FormatUint(a[0]&0xffffffff, 10), fmt.Sprintf("%#x", a[1])}
	case "clone":
		parts = []string{fmt.Sprintf("flags=%#x", a[0])}
	case "kill", "tgkill":
		parts = []string{strconv.Itoa(int(int32(a[0]))), strconv.FormatUint(a[1], 10)}
	default:
		for i := 0; i < 6; i++ {
			if s, ok := pathAt[i]; ok {
				parts = append(parts, strconv.Quote(s))
			} else {
				parts = append(parts, fmt.Sprintf("%#x", a[i]))
			}
		}
		for len(parts) > 1 && parts[len(parts)-1] == "0x0" {
			parts = parts[:len(parts)-1]
		}
	}
	c.text = name + "(" + strings.Join(parts, ", ") + ")"
	return c
}

func dirfdStr(fd uint64) string {
	if int32(fd) == -100 {
		return "AT_FDCWD"
	}
	return strconv.Itoa(int(int32(fd)))
}

func sockTypeStr(t uint64) string {
	base := t & 0xf
	s, ok := sockTypes[base]
	if !ok {
		s = strconv.FormatUint(base, 10)
	}
	if t&0o2000000 != 0 {
		s += "|SOCK_CLOEXEC"
	}
	if t&0o4000 != 0 {
		s += "|SOCK_NONBLOCK"
	}
	return s
}

func sockaddr(c *call, addr uint64, n int) string {
	if n <= 0 || n > 128 {
		n = 128
	}
	b, err := notify.ReadMem(c.pid, addr, n)
	if err != nil || len(b) < 2 {
		return fmt.Sprintf("%#x", addr)
	}
	fam := uint64(binary.LittleEndian.Uint16(b))
	c.fam = fam
	switch fam {
	case 2:
		if len(b) >= 8 {
			c.port = int(binary.BigEndian.Uint16(b[2:]))
			ip := netip.AddrFrom4([4]byte(b[4:8]))
			return fmt.Sprintf("{AF_INET %s:%d}", ip, c.port)
		}
	case 10:
		if len(b) >= 24 {
			c.port = int(binary.BigEndian.Uint16(b[2:]))
			ip := netip.AddrFrom16([16]byte(b[8:24]))
			return fmt.Sprintf("{AF_INET6 [%s]:%d}", ip, c.port)
		}
	case 1:
		p := string(b[2:])
		if i := strings.IndexByte(p, 0); i > 0 {
			p = p[:i]
		} else if i == 0 {
			p = "@" + strings.TrimRight(p[1:], "\x00")
		}
		if p != "" && p[0] != '@' {
			if filepath.IsAbs(p) {
				c.unixPath = filepath.Clean(p)
			} else if d := dirOf(c.pid, uint64(0xffffff9c)); d != "" {
				c.unixPath = filepath.Join(d, p)
			}
		}
		return fmt.Sprintf("{AF_UNIX %q}", p)
	}
	return "{" + family(fam) + "}"
}
