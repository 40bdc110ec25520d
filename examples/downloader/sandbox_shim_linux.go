package main

// TEMPORARY SHIM. The project's pledge and unveil packages did not exist
// yet when this example was written; this file applies an equivalent
// policy with go-landlock and go-seccomp-bpf directly so the example works
// and is tested on the real kernel today. It is replaced by calls to
// pledge and unveil (sandbox_linux.go) as soon as those land; the report
// says so honestly ("shim") in the meantime.
//
// The seccomp part is a deny-list, not pledge's allow-list: it refuses
// what a compromised downloader would need to escape or spread (exec,
// fork, ptrace, signals to other processes, identity changes, namespaces,
// mounts, module loading, io_uring, non-inet sockets, MPTCP, …) and lets
// the rest through. That is why its items are marked partial.

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"github.com/elastic/go-seccomp-bpf/arch"
	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/report"
)

const shimReason = "temporary shim in examples/downloader until package pledge/unveil lands"

func applySandbox(p sandboxPolicy) (*report.Report, error) {
	r := &report.Report{Arch: runtime.GOARCH, Kernel: kernelRelease(), NoNewPrivs: noNewPrivsSet()}
	if p.Disable {
		r.Add(report.LayerLandlockFS, "file-system confinement", report.Dropped, "disabled by --disable-sandbox")
		r.Add(report.LayerLandlockNet, "network confinement", report.Dropped, "disabled by --disable-sandbox")
		r.Add(report.LayerSeccomp, "pledge "+p.Promises, report.Dropped, "disabled by --disable-sandbox")
		return r, nil
	}
	if err := shimLandlock(p, r); err != nil {
		return r, err
	}
	if err := shimSeccomp(p, r); err != nil {
		return r, err
	}
	r.NoNewPrivs = noNewPrivsSet()
	return r, nil
}

func shimLandlock(p sandboxPolicy, r *report.Report) error {
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil || p.SimulateNoLandlock {
		abi = 0
	}
	r.LandlockABI = abi
	if abi == 0 {
		reason := "Landlock is not available on this kernel"
		if p.SimulateNoLandlock {
			reason += " (simulated)"
		}
		r.Add(report.LayerLandlockFS, "file-system confinement", report.Dropped, reason)
		r.Add(report.LayerLandlockNet, "network confinement", report.Dropped, reason)
		return nil
	}
	var rules []landlock.Rule
	for _, path := range p.ReadOnly {
		fi, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("unveil %s r: %w", path, err)
		}
		if fi.IsDir() {
			rules = append(rules, landlock.RODirs(path))
		} else {
			rules = append(rules, landlock.ROFiles(path))
		}
		r.Add(report.LayerLandlockFS, "read "+path, report.Enforced, "")
	}
	for _, path := range p.ReadWrite {
		rules = append(rules, landlock.RWDirs(path))
		r.Add(report.LayerLandlockFS, "read, write, create, remove beneath "+path, report.Enforced, "")
	}
	r.Add(report.LayerLandlockFS, "everything else on the file system denied", report.Enforced, "")
	if abi >= 4 {
		ports := make([]string, 0, len(p.ConnectTCP))
		for _, port := range p.ConnectTCP {
			rules = append(rules, landlock.ConnectTCP(port))
			ports = append(ports, fmt.Sprint(port))
		}
		if len(ports) > 0 {
			r.Add(report.LayerLandlockNet, "tcp connect to ports "+strings.Join(ports, ","), report.Enforced, "")
		}
		r.Add(report.LayerLandlockNet, "all other tcp connect and bind denied", report.Enforced, "")
	} else {
		r.Add(report.LayerLandlockNet, "tcp port rules", report.Dropped, fmt.Sprintf("Landlock ABI %d < 4 has no network rules", abi))
	}
	if abi >= 6 {
		r.Add(report.LayerLandlockScope, "signals to processes outside the sandbox denied", report.Enforced, "")
		r.Add(report.LayerLandlockScope, "abstract unix sockets outside the sandbox denied", report.Enforced, "")
	} else {
		r.Add(report.LayerLandlockScope, "signal and abstract-socket scoping", report.Dropped, fmt.Sprintf("Landlock ABI %d < 6", abi))
	}
	if err := landlock.V6.BestEffort().Restrict(rules...); err != nil {
		return fmt.Errorf("landlock: %w", err)
	}
	r.Landlock = true
	return nil
}

// shimDenied are refused outright (a compromised downloader has no use
// for any of them). Names missing on this arch are skipped.
var shimDenied = []string{
	"execve", "execveat", "fork", "vfork", "ptrace", "process_vm_readv", "process_vm_writev",
	"pidfd_open", "pidfd_getfd", "pidfd_send_signal", "tkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
	"setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
	"setgroups", "capset", "mount", "umount2", "pivot_root", "chroot", "unshare", "setns",
	"move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr",
	"bpf", "perf_event_open", "keyctl", "add_key", "request_key", "init_module", "finit_module",
	"delete_module", "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff", "syslog",
	"acct", "quotactl", "open_by_handle_at", "name_to_handle_at", "userfaultfd",
	"io_uring_setup", "io_uring_enter", "io_uring_register", "iopl", "ioperm", "modify_ldt",
	"settimeofday", "clock_settime", "adjtimex", "clock_adjtime", "mknod", "mknodat",
	"landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", "chown", "fchown",
	"lchown", "fchownat", "personality", "sethostname", "setdomainname", "vhangup",
}

func shimSeccomp(p sandboxPolicy, r *report.Report) error {
	info, err := arch.GetInfo("")
	if err != nil {
		r.Add(report.LayerSeccomp, "pledge "+p.Promises, report.Dropped, err.Error())
		return nil
	}
	action := seccomp.ActionKillProcess
	if p.ErrnoPenalty {
		action = seccomp.ActionErrno
	}
	var names []string
	for _, n := range shimDenied {
		if _, ok := info.SyscallNames[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	self := uint64(os.Getpid())
	cond := func(c ...seccomp.Condition) seccomp.ArgumentConditions { return c }
	with := []seccomp.NameWithConditions{
		// Signals only to ourselves (or our own process group): a deny
		// rule on "not equal" fails closed for garbage in the upper bits.
		{Name: "kill", Conditions: cond(
			seccomp.Condition{Argument: 0, Operation: seccomp.NotEqual, Value: self},
			seccomp.Condition{Argument: 0, Operation: seccomp.NotEqual, Value: 0})},
		{Name: "tgkill", Conditions: cond(seccomp.Condition{Argument: 0, Operation: seccomp.NotEqual, Value: self})},
		// clone only for threads.
		{Name: "clone", Conditions: cond(seccomp.Condition{Argument: 0, Operation: seccomp.BitsNotSet, Value: unix.CLONE_THREAD})},
	}
	if p.NoNetwork {
		names = append(names, "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4")
	} else {
		// inet only: AF_INET/AF_INET6 sockets, no MPTCP (Landlock's TCP
		// rules do not cover it), no raw protocol numbers.
		with = append(with,
			seccomp.NameWithConditions{Name: "socket", Conditions: cond(
				seccomp.Condition{Argument: 0, Operation: seccomp.NotEqual, Value: unix.AF_INET},
				seccomp.Condition{Argument: 0, Operation: seccomp.NotEqual, Value: unix.AF_INET6})},
			seccomp.NameWithConditions{Name: "socket", Conditions: cond(
				seccomp.Condition{Argument: 2, Operation: seccomp.GreaterThan, Value: 255})},
		)
	}
	policy := seccomp.Policy{
		DefaultAction: seccomp.ActionAllow,
		Syscalls: []seccomp.SyscallGroup{
			{Names: []string{"clone3"}, Action: seccomp.ActionErrno | seccomp.Action(unix.ENOSYS)},
			{Names: names, NamesWithCondtions: with, Action: action},
		},
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	err = seccomp.LoadFilter(seccomp.Filter{
		NoNewPrivs: true,
		Flag:       seccomp.FilterFlagTSync | seccomp.FilterFlag(unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH),
		Policy:     policy,
	})
	if err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
			r.Add(report.LayerSeccomp, "pledge "+p.Promises, report.Dropped, "seccomp filters unavailable: "+err.Error())
			return nil
		}
		return fmt.Errorf("seccomp: %w", err)
	}
	r.Seccomp = true
	pen := "kill process"
	if p.ErrnoPenalty {
		pen = "EPERM"
	}
	r.Add(report.LayerSeccomp, "deny exec, fork, ptrace, foreign signals, id changes, mounts, modules, io_uring", report.Enforced, "penalty: "+pen)
	if p.NoNetwork {
		r.Add(report.LayerSeccomp, "no sockets at all", report.Enforced, "")
	} else {
		r.Add(report.LayerSeccomp, "sockets: AF_INET/AF_INET6 only, no MPTCP", report.Enforced, "")
	}
	r.Add(report.LayerPromise, "pledge "+p.Promises, report.Partial, shimReason)
	return nil
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
