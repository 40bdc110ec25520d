package filter

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/promises"
)

const childEnv = "PLEDGEKIT_FILTER_KERNEL_CHILD"

// Distinctive errnos, so a result cannot be confused with a real failure.
const (
	kernelDenyErrno = 4000
	kernelRuleErrno = 4001
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		kernelChild()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func loadFilter(prog []unix.SockFilter) error {
	fp := unix.SockFprog{Len: uint16(len(prog))}
	if len(prog) > 0 {
		fp.Filter = &prog[0]
	}
	if len(prog) > 0xffff {
		return unix.EINVAL
	}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, uintptr(unsafe.Pointer(&fp)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return e
	}
	return nil
}

func sockFilters(raw []bpf.RawInstruction) []unix.SockFilter {
	return (&Program{Raw: raw}).SockFilters()
}

// kernelSpec is the program the child installs: nothing pledged, so only
// the baseline plus these extra rules; deny with a distinctive errno.
func kernelSpec() Spec {
	w32 := func(arg uint8, v uint64) promises.Cond { return promises.Cond{Arg: arg, Width: promises.W32, Value: v} }
	var extra []promises.Rule
	// What the Go runtime may do meanwhile, so the child can report.
	for _, n := range []string{"write", "read", "close", "exit_group", "exit", "futex", "rt_sigreturn", "rt_sigprocmask",
		"rt_sigaction", "sigaltstack", "sched_yield", "nanosleep", "mmap", "munmap", "madvise", "mprotect", "gettid", "tgkill",
		"getpid", "clock_gettime", "clock_nanosleep", "epoll_pwait", "epoll_ctl", "sched_getaffinity", "clone", "getppid"} {
		extra = append(extra, promises.Rule{Syscall: n})
	}
	extra = append(extra,
		promises.Rule{Syscall: "clone3", Action: promises.Errno, Errno: uint16(unix.ENOSYS)},
		promises.Rule{Syscall: "socket", Args: []promises.Cond{w32(0, unix.AF_UNIX)}},
		promises.Rule{Syscall: "getpgid", Action: promises.Errno, Errno: kernelRuleErrno},
	)
	return Spec{Arch: runtime.GOARCH, Deny: RetErrno | kernelDenyErrno, Extra: extra}
}

// kernelChild runs in a fresh process: it loads each program of the Check
// tests and then a compiled program, and prints one line per result.
func kernelChild() {
	runtime.LockOSThread()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(out, "fatal no_new_privs: %v\n", err)
		return
	}
	for _, c := range checkRejects {
		fmt.Fprintf(out, "reject\t%s\t%v\n", c.name, loadFilter(sockFilters(c.prog)))
	}
	for _, c := range checkAccepts {
		fmt.Fprintf(out, "accept\t%s\t%v\n", c.name, loadFilter(sockFilters(c.prog)))
	}
	p, err := Compile(kernelSpec())
	if err != nil {
		fmt.Fprintf(out, "fatal compile: %v\n", err)
		return
	}
	ppid := os.Getppid()
	out.Flush()
	if err := loadFilter(p.SockFilters()); err != nil {
		fmt.Fprintf(out, "fatal load: %v\n", err)
		return
	}
	res := func(name string, r1 uintptr, e unix.Errno) {
		if e != 0 {
			fmt.Fprintf(out, "call\t%s\terrno %d\n", name, int(e))
		} else {
			fmt.Fprintf(out, "call\t%s\tok %d\n", name, int(r1))
		}
	}
	r1, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0)
	if e == 0 && int(r1) != ppid {
		e = unix.EIO
	}
	res("getppid", r1, e)
	r1, _, e = unix.RawSyscall(unix.SYS_SOCKET, unix.AF_UNIX|1<<32, unix.SOCK_STREAM, 0)
	res("socket(AF_UNIX|1<<32)", r1, e)
	r1, _, e = unix.RawSyscall(unix.SYS_SOCKET, unix.AF_NETLINK|1<<32, unix.SOCK_RAW, 0)
	res("socket(AF_NETLINK|1<<32)", r1, e)
	r1, _, e = unix.RawSyscall(unix.SYS_SOCKET, unix.AF_INET, unix.SOCK_STREAM, 0)
	res("socket(AF_INET)", r1, e)
	r1, _, e = unix.RawSyscall(unix.SYS_GETPGID, 0, 0, 0)
	res("getpgid", r1, e)
	r1, _, e = unix.RawSyscall(unix.SYS_GETUID, 0, 0, 0) // not allowed by kernelSpec's extra rules
	res("getuid", r1, e)
	r1, _, e = unix.RawSyscall(unix.SYS_CLONE3, 0, 0, 0)
	res("clone3", r1, e)
}

// TestKernelAcceptsCheckedPrograms proves on the real kernel (host arch
// only) that Check agrees with the kernel's checker on the Check test
// programs, and that a compiled program loads and does what Reference says.
func TestKernelAcceptsCheckedPrograms(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" {
		t.Skipf("no syscall table for %s", runtime.GOARCH)
	}
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		t.Skipf("kernel without seccomp: %v", err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, outb)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(outb)), "\n") {
		if strings.HasPrefix(line, "fatal") {
			t.Fatalf("child: %s", line)
		}
		if f := strings.Split(line, "\t"); len(f) == 3 {
			got[f[0]+" "+f[1]] = f[2]
		}
	}
	for _, c := range checkRejects {
		if r := got["reject "+c.name]; r != unix.EINVAL.Error() {
			t.Errorf("kernel loading %q (Check rejects it): %q, want %q", c.name, r, unix.EINVAL.Error())
		}
	}
	for _, c := range checkAccepts {
		if r := got["accept "+c.name]; r != "<nil>" {
			t.Errorf("kernel loading %q (Check accepts it): %q, want <nil>", c.name, r)
		}
	}
	// What the compiled program must do, from Reference.
	s := kernelSpec()
	tab := table(t, runtime.GOARCH)
	want := func(name string, args ...uint64) string {
		nr, _ := tab.Number(name)
		d := Data{Nr: int32(nr), Arch: tab.AuditArch}
		copy(d.Args[:], args)
		switch v := Reference(s, d); v & RetActionFull {
		case RetAllow:
			return "ok"
		case RetErrno:
			return fmt.Sprintf("errno %d", v&RetData)
		default:
			return ActionString(v)
		}
	}
	for _, c := range []struct {
		call, ref string
	}{
		{"getppid", want("getppid")},
		{"socket(AF_UNIX|1<<32)", want("socket", unix.AF_UNIX|1<<32, unix.SOCK_STREAM)},
		{"socket(AF_NETLINK|1<<32)", want("socket", unix.AF_NETLINK|1<<32, unix.SOCK_RAW)},
		{"socket(AF_INET)", want("socket", unix.AF_INET, unix.SOCK_STREAM)},
		{"getpgid", want("getpgid")},
		{"getuid", want("getuid")},
		{"clone3", want("clone3")},
	} {
		r := got["call "+c.call]
		if c.ref == "ok" && strings.HasPrefix(r, "ok ") {
			continue
		}
		if r != c.ref {
			t.Errorf("kernel: %s = %q, Reference says %q", c.call, r, c.ref)
		}
	}
	// The expectations themselves, so the test cannot pass vacuously.
	for call, ref := range map[string]string{
		"socket(AF_UNIX|1<<32)":    "ok",
		"socket(AF_NETLINK|1<<32)": fmt.Sprintf("errno %d", kernelDenyErrno),
		"getpgid":                  fmt.Sprintf("errno %d", kernelRuleErrno),
		"clone3":                   fmt.Sprintf("errno %d", unix.ENOSYS),
	} {
		if r := got["call "+call]; !(r == ref || ref == "ok" && strings.HasPrefix(r, "ok ")) {
			t.Errorf("kernel: %s = %q, want %q", call, r, ref)
		}
	}
}
