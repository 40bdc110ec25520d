package supervise

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/pledgekit/pledgekit/internal/safeprint"
	"github.com/pledgekit/pledgekit/syscalls"
)

// Call is one system call of a supervised process, decoded for decisions
// and messages. Everything read from the caller's memory (Paths,
// UnixPath) was read after the fact: another thread may have changed it
// before the kernel used it, so it can explain a decision or support a
// denial, never allow a call on its own (see package notify).
type Call struct {
	Pid int // thread ID of the caller
	// Tgid is the caller's process (thread group) and Comm its command
	// name, made printable: 0 and "" until read (Request.Identify), -1
	// and "?" if they could not be.
	Tgid  int
	Comm  string
	Arch  string // Go architecture the process runs on
	Audit uint32 // AUDIT_ARCH_* of the call
	Nr    int32
	// Name is the kernel's name of the call; "" when Nr is not a native
	// system call of Arch (another audit arch, x32).
	Name string
	Args [6]uint64
	// Paths are the absolute, cleaned (not symlink-resolved) paths the
	// call names, in argument order.
	Paths []string
	// Family is the address family of a socket call or of the address a
	// connect, bind or sendto names; Port its TCP/UDP port (-1 if none);
	// UnixPath the absolute file an AF_UNIX address names ("" for
	// abstract and unnamed addresses).
	Family   uint64
	Port     int
	UnixPath string
	// Text is the call with its arguments decoded, such as
	// `openat(AT_FDCWD, "/etc/passwd", O_RDONLY)`; it is printable ASCII
	// (safeprint), whatever the caller put in its memory.
	Text string
}

// Who names the caller for messages: "comm[pid]" of its process.
func (c *Call) Who() string {
	pid := c.Tgid
	if pid <= 0 {
		pid = c.Pid
	}
	comm := c.Comm
	if comm == "" {
		comm = "?"
	}
	return comm + "[" + strconv.Itoa(pid) + "]"
}

// SyscallName returns the name of call nr on arch for a call of audit
// arch audit, or "" when it is not a native call of arch.
func SyscallName(arch string, audit uint32, nr int32) string {
	tab, err := syscalls.ByArch(arch)
	if err != nil || audit != tab.AuditArch || uint32(nr)&tab.X32SyscallBit != 0 {
		return ""
	}
	name, _ := tab.Name(uint32(nr))
	return name
}

// FormatCall renders a call from its register arguments alone (pointers
// in hex), as Decode does when it cannot read the caller's memory.
func FormatCall(name string, args [6]uint64) string {
	return format(name, args, nil, "")
}

// names are the decoder's maps, built on first use: a map literal at
// package level is built at initialisation, which every launch of the
// unveil command paid, supervised or not.
var names = sync.OnceValue(func() *nameMaps {
	return &nameMaps{
		families: map[uint64]string{0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK",
			17: "AF_PACKET", 38: "AF_ALG", 40: "AF_VSOCK", 44: "AF_XDP"},
		sockTypes: map[uint64]string{1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET"},
		protocols: map[uint64]string{0: "0", 1: "IPPROTO_ICMP", 6: "IPPROTO_TCP", 17: "IPPROTO_UDP", 58: "IPPROTO_ICMPV6", 262: "IPPROTO_MPTCP"},
		// system call → its (dirfd argument or -1, path argument) pairs
		pathArgs: map[string][][2]int{
			"open": {{-1, 0}}, "openat": {{0, 1}}, "openat2": {{0, 1}}, "creat": {{-1, 0}}, "stat": {{-1, 0}}, "lstat": {{-1, 0}},
			"newfstatat": {{0, 1}}, "statx": {{0, 1}}, "access": {{-1, 0}}, "faccessat": {{0, 1}}, "faccessat2": {{0, 1}},
			"readlink": {{-1, 0}}, "readlinkat": {{0, 1}}, "chdir": {{-1, 0}}, "mkdir": {{-1, 0}}, "mkdirat": {{0, 1}},
			"unlink": {{-1, 0}}, "unlinkat": {{0, 1}}, "rmdir": {{-1, 0}}, "rename": {{-1, 0}, {-1, 1}},
			"renameat": {{0, 1}, {2, 3}}, "renameat2": {{0, 1}, {2, 3}}, "link": {{-1, 0}, {-1, 1}}, "linkat": {{0, 1}, {2, 3}},
			"symlink": {{-1, 1}}, "symlinkat": {{1, 2}}, "truncate": {{-1, 0}}, "chmod": {{-1, 0}}, "fchmodat": {{0, 1}},
			"chown": {{-1, 0}}, "lchown": {{-1, 0}}, "fchownat": {{0, 1}}, "utimensat": {{0, 1}}, "execve": {{-1, 0}},
			"execveat": {{0, 1}}, "mknod": {{-1, 0}}, "mknodat": {{0, 1}}, "statfs": {{-1, 0}}, "getxattr": {{-1, 0}},
			"setxattr": {{-1, 0}}, "lgetxattr": {{-1, 0}}, "chroot": {{-1, 0}}, "mount": {{-1, 1}}, "umount2": {{-1, 0}},
		},
	}
})

type nameMaps struct {
	families, sockTypes, protocols map[uint64]string
	pathArgs                       map[string][][2]int
}

// Constants for decoding arguments (the same on amd64 and arm64).
var (
	openFlags = []flagName{
		{0o100, "O_CREAT"}, {0o200, "O_EXCL"}, {0o400, "O_NOCTTY"}, {0o1000, "O_TRUNC"}, {0o2000, "O_APPEND"},
		{0o4000, "O_NONBLOCK"}, {0o200000, "O_DIRECTORY"}, {0o400000, "O_NOFOLLOW"}, {0o2000000, "O_CLOEXEC"},
		{0o10000000, "O_PATH"}, {0o20000000, "__O_TMPFILE"},
	}
	protFlags  = []flagName{{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"}}
	cloneFlags = []flagName{
		{0x100, "CLONE_VM"}, {0x200, "CLONE_FS"}, {0x400, "CLONE_FILES"}, {0x800, "CLONE_SIGHAND"},
		{0x1000, "CLONE_PIDFD"}, {0x4000, "CLONE_VFORK"}, {0x10000, "CLONE_THREAD"}, {0x20000, "CLONE_NEWNS"},
		{0x40000, "CLONE_SYSVSEM"}, {0x80000, "CLONE_SETTLS"}, {0x10000000, "CLONE_NEWUSER"}, {0x20000000, "CLONE_NEWPID"},
		{0x40000000, "CLONE_NEWNET"},
	}
)

type flagName struct {
	bit  uint64
	name string
}

func flags(v uint64, names []flagName, zero string) string {
	var parts []string
	for _, f := range names {
		if v&f.bit != 0 {
			parts = append(parts, f.name)
			v &^= f.bit
		}
	}
	if v != 0 || len(parts) == 0 {
		if v == 0 {
			return zero
		}
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}

func hex(v uint64) string { return fmt.Sprintf("%#x", v) }

// int32Arg formats an int argument (the kernel reads the low 32 bits).
func int32Arg(v uint64) string { return strconv.Itoa(int(int32(v))) }

// dirfd formats a directory file descriptor argument.
func dirfd(v uint64) string {
	if int32(v) == -100 {
		return "AT_FDCWD"
	}
	return int32Arg(v)
}

func openFlagString(v uint64) string {
	v &= 0xffffffff
	acc := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[v&3]
	if rest := v &^ 3; rest != 0 {
		return acc + "|" + flags(rest, openFlags, "")
	}
	return acc
}

func family(f uint64) string {
	if n, ok := names().families[f]; ok {
		return n
	}
	return strconv.FormatUint(f, 10)
}

func sockType(t uint64) string {
	t &= 0xffffffff
	s, ok := names().sockTypes[t&0xf]
	if !ok {
		s = strconv.FormatUint(t&0xf, 10)
	}
	if t&0o2000000 != 0 {
		s += "|SOCK_CLOEXEC"
	}
	if t&0o4000 != 0 {
		s += "|SOCK_NONBLOCK"
	}
	if rest := t &^ (0xf | 0o2000000 | 0o4000); rest != 0 {
		s += fmt.Sprintf("|%#x", rest)
	}
	return s
}

func protocol(p uint64) string {
	if n, ok := names().protocols[p&0xffffffff]; ok {
		return n
	}
	return strconv.FormatUint(p&0xffffffff, 10)
}

// format renders a call: socket families, open flags, protections and
// clone flags decoded, paths (pathAt: argument index → string read from
// memory) quoted, a decoded socket address (sa) in braces; other
// arguments in hex, trailing zero arguments omitted. The result is made
// printable.
func format(name string, a [6]uint64, pathAt map[int]string, sa string) string {
	arg := func(i int) string { // a pointer argument: the string, if read
		if s, ok := pathAt[i]; ok {
			return strconv.Quote(s)
		}
		return hex(a[i])
	}
	var args []string
	switch name {
	case "socket", "socketpair":
		d := family(a[0] & 0xffffffff)
		if a[0]>>32 != 0 {
			d += fmt.Sprintf(" (upper bits %#x ignored)", a[0]>>32)
		}
		args = []string{d, sockType(a[1]), protocol(a[2])}
	case "open":
		args = []string{arg(0), openFlagString(a[1])}
		if a[1]&(0o100|0o20000000) != 0 { // the mode counts with O_CREAT or O_TMPFILE only
			args = append(args, fmt.Sprintf("%#o", a[2]&0xffffffff))
		}
	case "openat":
		args = []string{dirfd(a[0]), arg(1), openFlagString(a[2])}
		if a[2]&(0o100|0o20000000) != 0 {
			args = append(args, fmt.Sprintf("%#o", a[3]&0xffffffff))
		}
	case "execve":
		args = []string{arg(0), "[...]"}
	case "execveat":
		args = []string{dirfd(a[0]), arg(1), "[...]", "[...]", hex(a[4])}
	case "connect", "bind", "sendto":
		ai := 1
		if name == "sendto" {
			ai = 4
		}
		addr := sa
		if addr == "" {
			addr = hex(a[ai])
		}
		args = []string{int32Arg(a[0]), addr}
	case "mmap":
		args = []string{hex(a[0]), hex(a[1]), flags(a[2]&0xffffffff, protFlags, "PROT_NONE"), hex(a[3]), int32Arg(a[4]), hex(a[5])}
	case "mprotect", "pkey_mprotect":
		args = []string{hex(a[0]), hex(a[1]), flags(a[2]&0xffffffff, protFlags, "PROT_NONE")}
	case "clone":
		args = []string{flags(a[0], cloneFlags, "0")}
	case "ioctl", "fcntl":
		args = []string{int32Arg(a[0]), hex(a[1] & 0xffffffff), hex(a[2])}
	case "prctl":
		args = []string{strconv.FormatUint(a[0]&0xffffffff, 10), hex(a[1])}
	case "kill", "tkill":
		args = []string{int32Arg(a[0]), int32Arg(a[1])}
	case "tgkill":
		args = []string{int32Arg(a[0]), int32Arg(a[1]), int32Arg(a[2])}
	default:
		n := 6
		for n > 0 && a[n-1] == 0 {
			if _, ok := pathAt[n-1]; ok {
				break
			}
			n--
		}
		for i := range n {
			args = append(args, arg(i))
		}
	}
	return safeprint.String(name + "(" + strings.Join(args, ", ") + ")")
}
