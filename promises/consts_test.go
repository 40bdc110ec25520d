package promises

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// xsysConsts reads golang.org/x/sys/unix's generated constants for one
// Linux arch (zerrors_linux.go plus zerrors_linux_<arch>.go) from the module
// version go.mod pins, whatever the host.
func xsysConsts(t *testing.T, arch string) map[string]uint64 {
	t.Helper()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	out, err := exec.Command(goBin, "list", "-m", "-f", "{{.Dir}}", "golang.org/x/sys").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("locating golang.org/x/sys (run go mod download): %v", err)
	}
	dir := filepath.Join(strings.TrimSpace(string(out)), "unix")
	re := regexp.MustCompile(`(?m)^\s+([A-Z][A-Z0-9_]*)\s*=\s*(?:syscall\.Errno\()?(0x[0-9a-f]+|\d+)\)?\s*$`)
	m := map[string]uint64{}
	for _, f := range []string{"zerrors_linux.go", "zerrors_linux_" + arch + ".go"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range re.FindAllStringSubmatch(string(data), -1) {
			v, err := strconv.ParseUint(g[2], 0, 64)
			if err != nil {
				t.Fatal(err)
			}
			m[g[1]] = v
		}
	}
	if len(m) < 1000 {
		t.Fatalf("only %d constants read for %s", len(m), arch)
	}
	return m
}

// namedConsts lists every constant the table examines, by kernel name.
var namedConsts = map[string]uint64{
	"O_ACCMODE": oAccmode, "O_RDONLY": oRdonly, "O_WRONLY": oWronly, "O_RDWR": oRdwr,
	"O_CREAT": oCreat, "O_TRUNC": oTrunc,
	"S_ISUID|S_ISGID|S_ISVTX": modeSpecial,
	"S_IFMT":                  sIFMT, "S_IFREG": sIFREG, "S_IFIFO": sIFIFO, "S_IFSOCK": sIFSOCK,
	"PROT_READ": protRead, "PROT_WRITE": protWrite, "PROT_EXEC": protExec,
	"MAP_ANONYMOUS": mapAnonymous,
	"CLONE_VM":      cloneVM, "CLONE_FS": cloneFS, "CLONE_FILES": cloneFiles, "CLONE_SIGHAND": cloneSighand,
	"CLONE_PIDFD": clonePidfd, "CLONE_PTRACE": clonePtrace, "CLONE_VFORK": cloneVfork,
	"CLONE_PARENT": cloneParent, "CLONE_THREAD": cloneThread, "CLONE_NEWNS": cloneNewNS,
	"CLONE_UNTRACED": cloneUntraced, "CLONE_NEWCGROUP": cloneNewCgroup, "CLONE_NEWUTS": cloneNewUTS,
	"CLONE_NEWIPC": cloneNewIPC, "CLONE_NEWUSER": cloneNewUser, "CLONE_NEWPID": cloneNewPID,
	"CLONE_NEWNET": cloneNewNet,
	"F_DUPFD":      fDupfd, "F_GETFD": fGetfd, "F_SETFD": fSetfd, "F_GETFL": fGetfl, "F_SETFL": fSetfl,
	"F_GETLK": fGetlk, "F_SETLK": fSetlk, "F_SETLKW": fSetlkw, "F_SETOWN": fSetown, "F_GETOWN": fGetown,
	"F_SETSIG": fSetsig, "F_GETSIG": fGetsig, "F_SETOWN_EX": fSetownEx, "F_GETOWN_EX": fGetownEx,
	"F_OFD_GETLK": fOFDGetlk, "F_OFD_SETLK": fOFDSetlk, "F_OFD_SETLKW": fOFDSetlkw,
	"F_DUPFD_CLOEXEC": fDupfdCloexec, "F_SETPIPE_SZ": fSetpipeSz, "F_GETPIPE_SZ": fGetpipeSz,
	"RLIMIT_NOFILE": rlimitNofile, "PR_SET_PDEATHSIG": prSetPdeathsig, "PR_GET_PDEATHSIG": prGetPdeathsig, "PR_GET_DUMPABLE": prGetDumpable,
	"PR_SET_KEEPCAPS": prSetKeepcaps, "PR_SET_NAME": prSetName, "PR_GET_NAME": prGetName,
	"PR_GET_SECCOMP": prGetSeccomp, "PR_SET_SECCOMP": prSetSeccomp, "PR_CAPBSET_READ": prCapbsetRead,
	"PR_CAPBSET_DROP": prCapbsetDrop, "PR_GET_SECUREBITS": prGetSecurebits,
	"PR_SET_SECUREBITS": prSetSecurebits, "PR_SET_CHILD_SUBREAPER": prSetChildSubreaper,
	"PR_GET_CHILD_SUBREAPER": prGetChildSubreaper, "PR_SET_NO_NEW_PRIVS": prSetNoNewPrivs,
	"PR_GET_NO_NEW_PRIVS": prGetNoNewPrivs, "PR_CAP_AMBIENT": prCapAmbient, "PR_SET_VMA": prSetVMA,
	"AF_UNIX": afUnix, "AF_INET": afInet, "AF_INET6": afInet6, "AF_NETLINK": afNetlink,
	"SOCK_STREAM": sockStream, "SOCK_DGRAM": sockDgram, "SOCK_RAW": sockRaw,
	"SOCK_SEQPACKET": sockSeqpacket, "SOCK_NONBLOCK": sockNonblock, "SOCK_CLOEXEC": sockCloexec,
	"IPPROTO_IP": ipprotoIP, "IPPROTO_ICMP": ipprotoICMP, "IPPROTO_TCP": ipprotoTCP,
	"IPPROTO_UDP": ipprotoUDP, "IPPROTO_IPV6": ipprotoIPv6, "IPPROTO_ICMPV6": ipprotoICMPv6,
	"IPPROTO_MPTCP": ipprotoMPTCP, "NETLINK_ROUTE": netlinkRoute, "SOL_SOCKET": solSocket,
	"SOL_NETLINK": solNetlink, "ENOSYS": eNOSYS, "EPROTONOSUPPORT": ePROTONOSUPPORT,
	"EOPNOTSUPP": eOPNOTSUPP, "EPERM": ePERM,
	"RENAME_WHITEOUT": renameWhiteout, "SO_SNDBUFFORCE": soSndbufforce, "SO_RCVBUFFORCE": soRcvbufforce,
	"PR_SET_DUMPABLE": prSetDumpable,
}

// Names x/sys spells differently, or lacks.
var xsysAlias = map[string]string{
	"FIONREAD": "TIOCINQ",
}

// notInXSys are checked against the running kernel instead
// (TestIoctlsOnKernel): x/sys does not define them.
var notInXSys = map[string]bool{"FIONBIO": true, "FIOCLEX": true, "FIONCLEX": true}

// TestConstantsAgainstXSys checks every constant the table uses, for both
// arches, and so that each is arch-independent (the table has no per-arch
// rules because none of them differ).
func TestConstantsAgainstXSys(t *testing.T) {
	check := func(xs map[string]uint64, arch, name string, want uint64) {
		t.Helper()
		if notInXSys[name] {
			return
		}
		total := uint64(0)
		for _, part := range strings.Split(name, "|") {
			n := part
			if alias, ok := xsysAlias[n]; ok {
				n = alias
			}
			v, ok := xs[n]
			if !ok {
				t.Errorf("%s: x/sys has no %s", arch, n)
				return
			}
			total |= v
		}
		if total != want {
			t.Errorf("%s: %s = %#x in the table, %#x in x/sys", arch, name, want, total)
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		xs := xsysConsts(t, arch)
		for name, v := range namedConsts {
			check(xs, arch, name, v)
		}
		// __O_TMPFILE is O_TMPFILE without O_DIRECTORY, both per-arch.
		if got := xs["O_TMPFILE"] &^ xs["O_DIRECTORY"]; got != oTmpfileB {
			t.Errorf("%s: __O_TMPFILE = %#x, table has %#x", arch, got, oTmpfileB)
		}
		for _, list := range [][]sockopt{stdioSockopts, inetSockopts, inetReadSockopts, mcastSockopts, unixSockopts, routeSockopts} {
			for _, o := range list {
				check(xs, arch, o.name, o.opt)
			}
		}
		for _, list := range [][]ioctlReq{stdioIoctls, ttyIoctls, ttyProcIoctls, neverIoctls, inetIoctls, routeIoctls} {
			for _, r := range list {
				check(xs, arch, r.name, r.req)
			}
		}
	}
}

// TestNeverIoctls: no promise allows TIOCSTI or TIOCLINUX, whatever else
// is pledged.
func TestNeverIoctls(t *testing.T) {
	for _, r := range neverIoctls {
		if ps := Allowing("amd64", "ioctl", a(0, r.req)); len(ps) != 0 {
			t.Errorf("%s allowed by %v", r.name, ps)
		}
		if _, ok := Decide(linuxSet(), "arm64", "ioctl", a(0, r.req|1<<32)); ok {
			t.Errorf("%s allowed under every promise", r.name)
		}
	}
}
