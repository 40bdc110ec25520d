package pledge

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// violation is one denied system call, as the supervisor sees it.
type violation struct {
	Arch    string // Go architecture the process runs on
	Audit   uint32 // AUDIT_ARCH_* of the call
	Nr      int32
	Args    [6]uint64
	Pledged promises.Set
	// Who made the call: a short description such as "hello[1234]".
	Who string
	// Child is true when the caller is not the pledged process itself but
	// a program it started, which inherited its filter.
	Child bool
}

// syscallName returns the name of call nr on arch, or "" if unknown.
func syscallName(arch string, audit uint32, nr int32) string {
	tab, err := syscalls.ByArch(arch)
	if err != nil || audit != tab.AuditArch || uint32(nr)&tab.X32SyscallBit != 0 {
		return ""
	}
	name, _ := tab.Name(uint32(nr))
	return name
}

// needed returns the sets of promises that, added to the pledged ones,
// would allow the call: the fewest first, otherwise in pledgenames order
// (so the first names the promise OpenBSD would name). It is empty when no
// promise allows the call.
func needed(arch, name string, args [6]uint64, pledged promises.Set) []promises.Set {
	var out []promises.Set
	for _, r := range promises.Requirements(arch, name, args) {
		missing := r &^ pledged
		if missing != 0 && !slices.Contains(out, missing) {
			out = append(out, missing)
		}
	}
	slices.SortStableFunc(out, func(a, b promises.Set) int { return a.Len() - b.Len() })
	return out
}

// quoteSet renders a set of missing promises: promise "inet", promises
// "rpath wpath".
func quoteSet(s promises.Set) string {
	if s.Len() == 1 {
		return fmt.Sprintf("promise %q", s.String())
	}
	return fmt.Sprintf("promises %q", s.String())
}

// String is the one line the supervisor prints.
func (v violation) String() string {
	var b strings.Builder
	b.WriteString("pledge: ")
	name := syscallName(v.Arch, v.Audit, v.Nr)
	if name == "" {
		fmt.Fprintf(&b, "denied unknown system call %d (audit arch %#x)", v.Nr, v.Audit)
	} else {
		fmt.Fprintf(&b, "denied %s [syscall %d]", formatCall(name, v.Args), v.Nr)
	}
	if v.Child {
		fmt.Fprintf(&b, " in %s, a program this process started", v.Who)
	} else if v.Who != "" {
		fmt.Fprintf(&b, " in %s", v.Who)
	}
	b.WriteString(": ")
	if name != "" {
		sets := needed(v.Arch, name, v.Args, v.Pledged)
		if len(sets) == 0 {
			b.WriteString("no promise allows it")
		}
		for i, s := range sets {
			switch i {
			case 0:
				b.WriteString("needs " + quoteSet(s))
			case 1:
				fmt.Fprintf(&b, " (or %q", s.String())
			default:
				fmt.Fprintf(&b, " or %q", s.String())
			}
			if i > 0 && i == len(sets)-1 {
				b.WriteString(")")
			}
		}
	} else {
		b.WriteString("not a native system call")
	}
	fmt.Fprintf(&b, " (pledged: %q)", v.Pledged.String())
	if v.Child {
		b.WriteString("; the call fails with EPERM")
	} else {
		b.WriteString("; killing the process")
	}
	return b.String()
}

// Constants for decoding arguments (the same on amd64 and arm64).
var (
	afNames   = map[uint64]string{0: "AF_UNSPEC", 1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET", 38: "AF_ALG", 40: "AF_VSOCK"}
	sockTypes = map[uint64]string{1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET"}
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

// dirfd formats a directory file descriptor argument (int: low 32 bits).
func dirfd(v uint64) string {
	if int32(v) == -100 {
		return "AT_FDCWD"
	}
	return strconv.Itoa(int(int32(v)))
}

func openFlagString(v uint64) string {
	v &= 0xffffffff
	acc := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[v&3]
	if rest := v &^ 3; rest != 0 {
		return acc + "|" + flags(rest, openFlags, "")
	}
	return acc
}

// formatCall renders a call with its arguments decoded where that helps
// (socket families, open flags, protections, clone flags); other
// arguments are shown in hex, trailing zero arguments omitted.
func formatCall(name string, a [6]uint64) string {
	var args []string
	switch name {
	case "socket", "socketpair":
		d, ok := afNames[a[0]&0xffffffff]
		if !ok {
			d = strconv.FormatUint(a[0]&0xffffffff, 10)
		}
		if a[0]>>32 != 0 {
			d += fmt.Sprintf(" (upper bits %#x ignored)", a[0]>>32)
		}
		t := a[1] & 0xffffffff
		ts, ok := sockTypes[t&0xf]
		if !ok {
			ts = strconv.FormatUint(t&0xf, 10)
		}
		if t&0o2000000 != 0 {
			ts += "|SOCK_CLOEXEC"
		}
		if t&0o4000 != 0 {
			ts += "|SOCK_NONBLOCK"
		}
		args = []string{d, ts, strconv.FormatUint(a[2]&0xffffffff, 10)}
	case "openat":
		args = []string{dirfd(a[0]), hex(a[1]), openFlagString(a[2]), fmt.Sprintf("%#o", a[3]&0xffffffff)}
	case "open":
		args = []string{hex(a[0]), openFlagString(a[1]), fmt.Sprintf("%#o", a[2]&0xffffffff)}
	case "mmap":
		args = []string{hex(a[0]), hex(a[1]), flags(a[2]&0xffffffff, protFlags, "PROT_NONE"), hex(a[3]), strconv.Itoa(int(int32(a[4]))), hex(a[5])}
	case "mprotect", "pkey_mprotect":
		args = []string{hex(a[0]), hex(a[1]), flags(a[2]&0xffffffff, protFlags, "PROT_NONE")}
	case "clone":
		args = []string{flags(a[0], cloneFlags, "0")}
	case "ioctl":
		args = []string{strconv.Itoa(int(int32(a[0]))), hex(a[1] & 0xffffffff), hex(a[2])}
	case "kill", "tkill":
		args = []string{strconv.Itoa(int(int32(a[0]))), strconv.Itoa(int(int32(a[1])))}
	case "tgkill":
		args = []string{strconv.Itoa(int(int32(a[0]))), strconv.Itoa(int(int32(a[1]))), strconv.Itoa(int(int32(a[2])))}
	default:
		n := 6
		for n > 0 && a[n-1] == 0 {
			n--
		}
		for _, v := range a[:n] {
			args = append(args, hex(v))
		}
	}
	return name + "(" + strings.Join(args, ", ") + ")"
}
