//go:build linux

package probe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// kernelVersion parses "6.18.44-foo" into (6, 18).
func kernelVersion(t *testing.T, release string) (int, int) {
	t.Helper()
	f := strings.FieldsFunc(release, func(r rune) bool { return r < '0' || r > '9' })
	if len(f) < 2 {
		t.Fatalf("cannot parse kernel release %q", release)
	}
	maj, _ := strconv.Atoi(f[0])
	min, _ := strconv.Atoi(f[1])
	return maj, min
}

// mainlineABI is the Landlock ABI a mainline kernel of that version
// reports (vendor kernels may backport more, never less).
func mainlineABI(maj, min int) int {
	v := maj*1000 + min
	switch {
	case v >= 6015:
		return 7
	case v >= 6012:
		return 6
	case v >= 6010:
		return 5
	case v >= 6007:
		return 4
	case v >= 6002:
		return 3
	case v >= 5019:
		return 2
	case v >= 5013:
		return 1
	}
	return 0
}

func status(t *testing.T) map[string]int {
	t.Helper()
	st, err := readStatus("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func fdCount(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestProbeHasNoSideEffects(t *testing.T) {
	runChild(t, "nosideeffects", func() {
		// Run the probe on a locked thread, then look at that very thread:
		// PR_GET_* and /proc/thread-self are per thread.
		runtime.LockOSThread()
		before, err := readStatus("/proc/thread-self/status")
		if err != nil {
			childFail("%v", err)
		}
		fds, _ := os.ReadDir("/proc/self/fd")
		for range 3 {
			_ = Fresh()
		}
		after, err := readStatus("/proc/thread-self/status")
		if err != nil {
			childFail("%v", err)
		}
		fds2, _ := os.ReadDir("/proc/self/fd")
		for _, k := range []string{"NoNewPrivs", "Seccomp", "Seccomp_filters"} {
			if before[k] != after[k] {
				childFail("%s changed from %d to %d", k, before[k], after[k])
			}
		}
		if before["NoNewPrivs"] != 0 || before["Seccomp"] != 0 {
			childFail("test process starts restricted: %v", before)
		}
		if len(fds) != len(fds2) {
			childFail("probe leaked file descriptors: %d before, %d after", len(fds), len(fds2))
		}
		if _, err := os.ReadFile("/proc/self/status"); err != nil {
			childFail("no longer able to read /proc: %v", err)
		}
	})
}

func TestProbeThisKernel(t *testing.T) {
	before := status(t)
	n := fdCount(t)
	r := Fresh()
	after := status(t)
	if before["NoNewPrivs"] != after["NoNewPrivs"] || before["Seccomp_filters"] != after["Seccomp_filters"] {
		t.Fatalf("probe changed the process: before %v after %v", before, after)
	}
	if m := fdCount(t); m != n {
		t.Fatalf("fd count %d -> %d: a ruleset fd leaked", n, m)
	}
	if r.Arch != runtime.GOARCH || r.OS != "linux" {
		t.Fatalf("arch/os = %s/%s", r.OS, r.Arch)
	}
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		t.Fatal(err)
	}
	if r.Kernel != unix.ByteSliceToString(uts.Release[:]) || r.Kernel == "" {
		t.Fatalf("kernel %q", r.Kernel)
	}
	maj, min := kernelVersion(t, r.Kernel)

	// Seccomp: every kernel pledgekit targets has filter mode; flags by version.
	if !r.Seccomp {
		t.Fatalf("seccomp unavailable: %v", r.SeccompErr)
	}
	if r.SeccompErr != nil {
		t.Fatalf("SeccompErr = %v", r.SeccompErr)
	}
	v := maj*1000 + min
	wantFlag := map[string]bool{
		FlagTSync: v >= 3017, FlagLog: v >= 4014, FlagSpecAllow: v >= 4017,
		FlagNewListener: v >= 5000, FlagTSyncESRCH: v >= 5007, FlagWaitKillableRecv: v >= 5019,
	}
	for name, want := range wantFlag {
		if got, ok := r.SeccompFlags[name]; !ok || (want && !got) {
			t.Errorf("flag %s = %v (present %v), kernel %d.%d should have it: %v", name, got, ok, maj, min, want)
		}
	}
	// Actions: must agree with the kernel's own list.
	b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
	if err != nil {
		t.Fatal(err)
	}
	avail := strings.Fields(string(b))
	if len(avail) == 0 {
		t.Fatal("empty actions_avail")
	}
	for _, name := range ActionNames {
		want := false
		for _, a := range avail {
			want = want || a == name
		}
		if r.SeccompActions[name] != want {
			t.Errorf("action %s: probe %v, actions_avail %v", name, r.SeccompActions[name], want)
		}
	}
	if v >= 5000 {
		for _, name := range ActionNames {
			if !r.SeccompActions[name] {
				t.Errorf("action %s missing on kernel %d.%d", name, maj, min)
			}
		}
	}
	if r.NoNewPrivs || r.SeccompMode != 0 || r.SeccompFilterInstalled || r.SeccompFilters != 0 {
		t.Errorf("test process reported restricted: %+v", r)
	}

	// Landlock: the reported ABI is at least what mainline had at this
	// version; the used ABI is verified by creating its full ruleset.
	if want := os.Getenv("PLEDGEKIT_EXPECT_LANDLOCK_ABI"); want != "" {
		w, _ := strconv.Atoi(want)
		if r.LandlockABI != w {
			t.Fatalf("LandlockABI = %d, PLEDGEKIT_EXPECT_LANDLOCK_ABI = %d (%v)", r.LandlockABI, w, r.LandlockErr)
		}
	}
	if r.LandlockABI == 0 {
		if r.LandlockErr == nil {
			t.Fatal("ABI 0 without LandlockErr")
		}
		t.Skipf("Landlock unavailable here: %v", r.LandlockErr)
	}
	if r.LandlockErr != nil {
		t.Fatalf("ABI %d with LandlockErr %v", r.LandlockABI, r.LandlockErr)
	}
	if min := mainlineABI(maj, min); r.LandlockReportedABI < min {
		t.Errorf("reported ABI %d, but kernel %s has at least %d", r.LandlockReportedABI, r.Kernel, min)
	}
	if r.LandlockABI > r.LandlockReportedABI {
		t.Errorf("used ABI %d above reported %d", r.LandlockABI, r.LandlockReportedABI)
	}
	if r.LandlockABI < r.LandlockReportedABI && len(r.Notes) == 0 {
		t.Errorf("ABI stepped down from %d to %d without a note", r.LandlockReportedABI, r.LandlockABI)
	}
	attr := rulesetAttr{fs: r.FSRights(), net: r.NetRights(), scoped: r.Scopes()}
	fd, e := landlockCreate(&attr, unsafe.Sizeof(attr), 0)
	if e != 0 {
		t.Fatalf("kernel rejects the full ruleset of the verified ABI %d: %v", r.LandlockABI, e)
	}
	unix.Close(fd)
	if r.LandlockABI < MaxKnownLandlockABI && r.LandlockABI == r.LandlockReportedABI {
		// One ABI up must be rejected, or the probe stopped too low.
		up := r.LandlockABI + 1
		attr := rulesetAttr{fs: llaccess.Mask(llaccess.FS, up), net: llaccess.Mask(llaccess.Net, up), scoped: llaccess.Mask(llaccess.Scope, up)}
		if attr != (rulesetAttr{fs: r.FSRights(), net: r.NetRights(), scoped: r.Scopes()}) {
			if fd, e := landlockCreate(&attr, unsafe.Sizeof(attr), 0); e == 0 {
				unix.Close(fd)
				t.Errorf("kernel accepts the rights of ABI %d, probe says %d", up, r.LandlockABI)
			}
		}
	}
	// This machine (6.18) and any later mainline kernel have fixed errata.
	if v >= 6018 {
		if r.LandlockABI < 7 || r.LandlockErrata == 0 {
			t.Errorf("kernel %s: ABI %d errata %#x, want ABI >= 7 and errata != 0", r.Kernel, r.LandlockABI, r.LandlockErrata)
		}
	}
}

func TestGetIsCached(t *testing.T) {
	a, b := Get(), Get()
	if a != b {
		t.Fatal("Get returned two results")
	}
	if c := Fresh(); c == a {
		t.Fatal("Fresh returned the cached result")
	}
}

func TestRightsTables(t *testing.T) {
	// Monotonic, and the known milestones.
	for abi := 1; abi <= MaxKnownLandlockABI; abi++ {
		if llaccess.Mask(llaccess.FS, abi)&llaccess.Mask(llaccess.FS, abi-1) != llaccess.Mask(llaccess.FS, abi-1) ||
			llaccess.Mask(llaccess.Net, abi)&llaccess.Mask(llaccess.Net, abi-1) != llaccess.Mask(llaccess.Net, abi-1) ||
			llaccess.Mask(llaccess.Scope, abi)&llaccess.Mask(llaccess.Scope, abi-1) != llaccess.Mask(llaccess.Scope, abi-1) {
			t.Errorf("ABI %d loses rights of ABI %d", abi, abi-1)
		}
	}
	checks := []struct {
		abi  int
		fs   uint64
		net  uint64
		scop uint64
	}{
		{0, 0, 0, 0},
		{1, unix.LANDLOCK_ACCESS_FS_MAKE_SYM<<1 - 1, 0, 0},
		{2, unix.LANDLOCK_ACCESS_FS_REFER<<1 - 1, 0, 0},
		{3, unix.LANDLOCK_ACCESS_FS_TRUNCATE<<1 - 1, 0, 0},
		{4, unix.LANDLOCK_ACCESS_FS_TRUNCATE<<1 - 1, unix.LANDLOCK_ACCESS_NET_BIND_TCP | unix.LANDLOCK_ACCESS_NET_CONNECT_TCP, 0},
		{5, unix.LANDLOCK_ACCESS_FS_IOCTL_DEV<<1 - 1, 3, 0},
		{6, unix.LANDLOCK_ACCESS_FS_IOCTL_DEV<<1 - 1, 3, unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | unix.LANDLOCK_SCOPE_SIGNAL},
		{9, unix.LANDLOCK_ACCESS_FS_RESOLVE_UNIX<<1 - 1, 3, 3},
		{10, unix.LANDLOCK_ACCESS_FS_RESOLVE_UNIX<<1 - 1, unix.LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP<<1 - 1, 3},
	}
	for _, c := range checks {
		if llaccess.Mask(llaccess.FS, c.abi) != c.fs || llaccess.Mask(llaccess.Net, c.abi) != c.net || llaccess.Mask(llaccess.Scope, c.abi) != c.scop {
			t.Errorf("ABI %d: fs %#x net %#x scopes %#x; want %#x %#x %#x", c.abi,
				llaccess.Mask(llaccess.FS, c.abi), llaccess.Mask(llaccess.Net, c.abi), llaccess.Mask(llaccess.Scope, c.abi), c.fs, c.net, c.scop)
		}
	}
}

func TestProbeSeesNoNewPrivs(t *testing.T) {
	runChild(t, "nnp", func() {
		runtime.LockOSThread()
		if Fresh().NoNewPrivs {
			childFail("NoNewPrivs before setting it")
		}
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			childFail("prctl: %v", err)
		}
		if !Fresh().NoNewPrivs {
			childFail("NoNewPrivs not seen after setting it")
		}
	})
}

// installFilter installs, on every thread, a filter that answers the
// given syscall with EPERM and allows everything else.
func installFilter(nr uint32) error {
	return installEPERMFilter(nr, unix.SECCOMP_FILTER_FLAG_TSYNC|unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH)
}

// installEPERMFilter installs installFilter's filter with the given
// seccomp flags (0: the calling thread alone).
func installEPERMFilter(nr uint32, flags uintptr) error {
	return installDenyFilter(nr, flags, unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM))
}

// installDenyFilter installs a filter that answers syscall nr with ret
// and allows everything else.
func installDenyFilter(nr uint32, flags uintptr, ret uint32) error {
	prog := []unix.SockFilter{
		{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 0}, // seccomp_data.nr
		{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: nr, Jt: 0, Jf: 1},
		{Code: unix.BPF_RET | unix.BPF_K, K: ret},
		{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW},
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return err
	}
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if e != 0 {
		return e
	}
	return nil
}

func TestProbeSeesInstalledFilter(t *testing.T) {
	runChild(t, "filter", func() {
		runtime.LockOSThread()
		if err := installFilter(uint32(unix.SYS_GETPPID)); err != nil {
			childFail("install: %v", err)
		}
		r := Fresh()
		if !r.SeccompFilterInstalled || r.SeccompMode != 2 || r.SeccompFilters != 1 || !r.NoNewPrivs {
			childFail("after one filter: installed=%v mode=%d filters=%d nnp=%v", r.SeccompFilterInstalled, r.SeccompMode, r.SeccompFilters, r.NoNewPrivs)
		}
		if !r.Seccomp || r.SeccompErr != nil || !r.SeccompFlags[FlagTSync] {
			childFail("probe broken by a harmless filter: %v %v", r.Seccomp, r.SeccompErr)
		}
	})
}

func TestProbeUnderFilterDenyingSeccomp(t *testing.T) {
	runChild(t, "denyseccomp", func() {
		runtime.LockOSThread()
		if err := installFilter(uint32(unix.SYS_SECCOMP)); err != nil {
			childFail("install: %v", err)
		}
		r := Fresh()
		if !r.Seccomp {
			childFail("filter mode in force but Seccomp false")
		}
		if !errors.Is(r.SeccompErr, unix.EPERM) {
			childFail("SeccompErr = %v, want EPERM wrapped", r.SeccompErr)
		}
		if !strings.Contains(r.String(), "seccomp error") {
			childFail("table does not show the error:\n%s", r)
		}
	})
}

func TestProbeLandlockDeniedBySeccomp(t *testing.T) {
	runChild(t, "denylandlock", func() {
		runtime.LockOSThread()
		// A container runtime's filter typically answers unknown calls with
		// ENOSYS; ours answers EPERM. Either way: ABI 0 with the errno.
		if err := installFilter(uint32(unix.SYS_LANDLOCK_CREATE_RULESET)); err != nil {
			childFail("install: %v", err)
		}
		r := Fresh()
		if r.LandlockABI != 0 || !errors.Is(r.LandlockErr, unix.EPERM) || !errors.Is(r.LandlockErr, ErrLandlockRefused) ||
			errors.Is(r.LandlockErr, ErrLandlockNotBuilt) || errors.Is(r.LandlockErr, ErrLandlockDisabled) {
			childFail("ABI %d err %v, want 0 and EPERM, refused by a filter", r.LandlockABI, r.LandlockErr)
		}
	})
}

// Seccomp asks no Landlock question under a filter already in force (it
// could end the process for it), and everything without one.
func TestSeccompDefersLandlockUnderAFilter(t *testing.T) {
	if r := freshSeccomp(); r.LandlockDeferred || r.LandlockABI != Fresh().LandlockABI {
		t.Fatalf("without a filter: deferred %v, ABI %d, want %d", r.LandlockDeferred, r.LandlockABI, Fresh().LandlockABI)
	}
	runChild(t, "killlandlock", func() {
		runtime.LockOSThread()
		if err := installDenyFilter(uint32(unix.SYS_LANDLOCK_CREATE_RULESET), unix.SECCOMP_FILTER_FLAG_TSYNC, unix.SECCOMP_RET_KILL_PROCESS); err != nil {
			childFail("install: %v", err)
		}
		r := Seccomp() // would be killed if it asked Landlock
		if !r.LandlockDeferred || r.LandlockABI != 0 || r.LandlockErr != nil || !r.Seccomp || !r.SeccompFilterInstalled {
			childFail("under a filter: %+v", r)
		}
		if !strings.Contains(r.String(), "not asked") {
			childFail("table:\n%s", r)
		}
	})
}

func TestLandlockErrMessages(t *testing.T) {
	e := landlockErr(unix.ENOSYS)
	if !errors.Is(e, ErrLandlockNotBuilt) || !errors.Is(e, unix.ENOSYS) || !strings.Contains(e.Error(), "CONFIG_SECURITY_LANDLOCK") {
		t.Errorf("ENOSYS: %v", e)
	}
	e = landlockErr(unix.EOPNOTSUPP)
	if !errors.Is(e, ErrLandlockDisabled) || !errors.Is(e, unix.EOPNOTSUPP) || !strings.Contains(e.Error(), "lsm=") {
		t.Errorf("EOPNOTSUPP: %v", e)
	}
	e = landlockErr(unix.EPERM)
	if errors.Is(e, ErrLandlockDisabled) || errors.Is(e, ErrLandlockNotBuilt) || !errors.Is(e, unix.EPERM) || !errors.Is(e, ErrLandlockRefused) {
		t.Errorf("EPERM: %v", e)
	}
	// ENOSYS under a filter is refused where the kernel lists Landlock as
	// enabled, missing otherwise.
	e = landlockErrIn(unix.ENOSYS, true)
	if lsmEnabled("landlock") != errors.Is(e, ErrLandlockRefused) || errors.Is(e, ErrLandlockRefused) == errors.Is(e, ErrLandlockNotBuilt) {
		t.Errorf("ENOSYS under a filter (lsm lists landlock: %v): %v", lsmEnabled("landlock"), e)
	}
	if e = landlockErrIn(unix.ENOSYS, false); !errors.Is(e, ErrLandlockNotBuilt) {
		t.Errorf("ENOSYS without a filter: %v", e)
	}
}

func TestTableAndJSON(t *testing.T) {
	r := Fresh()
	tab := r.String()
	for _, want := range []string{
		"os/arch", "linux/" + runtime.GOARCH, "kernel", r.Kernel, "seccomp filter mode", "supported",
		"seccomp flags", "tsync", "seccomp actions", "kill_process", "no_new_privs now",
		"landlock abi",
	} {
		if !strings.Contains(tab, want) {
			t.Errorf("table lacks %q:\n%s", want, tab)
		}
	}
	if r.LandlockABI > 0 && !regexp.MustCompile(`(?m)^landlock abi +`+strconv.Itoa(r.LandlockABI)+` \(kernel reports`).MatchString(tab) {
		t.Errorf("table does not show ABI %d:\n%s", r.LandlockABI, tab)
	}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["arch"] != runtime.GOARCH || int(m["landlock_abi"].(float64)) != r.LandlockABI ||
		m["seccomp"] != true || m["cgo"] != cgoEnabled {
		t.Errorf("JSON disagrees with the result: %s", b)
	}
	if _, ok := m["landlock_error"]; ok != (r.LandlockErr != nil) {
		t.Errorf("landlock_error presence %v, err %v", ok, r.LandlockErr)
	}
	flags := m["seccomp_flags"].(map[string]any)
	if flags["tsync"] != r.SeccompFlags[FlagTSync] {
		t.Errorf("flags %v", flags)
	}

	// An unavailable-Landlock result shows the error, in both forms.
	u := *r
	u.LandlockABI, u.LandlockErr = 0, landlockErr(unix.EOPNOTSUPP)
	if !regexp.MustCompile(`(?m)^landlock abi +none`).MatchString(u.String()) || !strings.Contains(u.String(), "lsm=") {
		t.Errorf("table for no Landlock:\n%s", u.String())
	}
	b, _ = u.JSON()
	if !strings.Contains(string(b), `"landlock_error": "landlock is built into this kernel but not enabled`) {
		t.Errorf("JSON for no Landlock: %s", b)
	}
}

func TestCgoFlag(t *testing.T) {
	// The binary's own build settings say whether cgo was on.
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Skip("no build info")
	}
	for _, s := range bi.Settings {
		if s.Key == "CGO_ENABLED" {
			if want := s.Value == "1"; Get().Cgo != want {
				t.Fatalf("Cgo = %v, build setting CGO_ENABLED=%s", Get().Cgo, s.Value)
			}
			return
		}
	}
	t.Skip("build info has no CGO_ENABLED setting")
}

// fakeKernel plays landlock_create_ruleset for a kernel that reports abi
// and accepts only rulesets within the given masks.
type fakeKernel struct {
	abi       int
	errata    int
	versionE  unix.Errno
	fs, net   uint64
	scoped    uint64
	createE   unix.Errno // answer for every ruleset, when set
	created   int
	minSizeOK uintptr
}

func (k *fakeKernel) create(attr *rulesetAttr, size, flags uintptr) (int, unix.Errno) {
	switch flags {
	case unix.LANDLOCK_CREATE_RULESET_VERSION:
		if k.versionE != 0 {
			return -1, k.versionE
		}
		return k.abi, 0
	case unix.LANDLOCK_CREATE_RULESET_ERRATA:
		if k.errata < 0 {
			return -1, unix.EINVAL
		}
		return k.errata, 0
	}
	if k.createE != 0 {
		return -1, k.createE
	}
	if attr.fs&^k.fs != 0 || attr.net&^k.net != 0 || attr.scoped&^k.scoped != 0 {
		return -1, unix.EINVAL
	}
	if size < 8 || (attr.net != 0 && size < 16) || (attr.scoped != 0 && size < 24) {
		return -1, unix.EINVAL
	}
	k.created++
	// A real descriptor, so the probe's Close has something to close.
	fd, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	return fd, 0
}

func TestLandlockStepDown(t *testing.T) {
	cases := []struct {
		name      string
		k         fakeKernel
		wantABI   int
		wantErrIs error
		wantNote  string
	}{
		{"honest 7", fakeKernel{abi: 7, errata: 7, fs: llaccess.Mask(llaccess.FS, 7), net: llaccess.Mask(llaccess.Net, 7), scoped: llaccess.Mask(llaccess.Scope, 7)}, 7, nil, ""},
		// RHEL 9 style: reports 4 but has only the ABI 3 FS rights and no network.
		{"lying 4", fakeKernel{abi: 4, errata: 0, fs: llaccess.Mask(llaccess.FS, 3)}, 3, nil, "rejects the rights of ABI 4"},
		// Ubuntu HWE style: reports 5 but rejects IOCTL_DEV.
		{"lying 5", fakeKernel{abi: 5, errata: 0, fs: llaccess.Mask(llaccess.FS, 4), net: llaccess.Mask(llaccess.Net, 4)}, 4, nil, "rejects the rights of ABI 5"},
		{"6 without erratum", fakeKernel{abi: 6, errata: 1, fs: llaccess.Mask(llaccess.FS, 6), net: llaccess.Mask(llaccess.Net, 6), scoped: llaccess.Mask(llaccess.Scope, 6)}, 5, nil, "erratum 2"},
		{"6 predating errata", fakeKernel{abi: 6, errata: -1, fs: llaccess.Mask(llaccess.FS, 6), net: llaccess.Mask(llaccess.Net, 6), scoped: llaccess.Mask(llaccess.Scope, 6)}, 5, nil, "erratum 2"},
		{"future 14", fakeKernel{abi: 14, errata: 0xff, fs: llaccess.Mask(llaccess.FS, 11), net: llaccess.Mask(llaccess.Net, 11), scoped: llaccess.Mask(llaccess.Scope, 11)}, 11, nil, "knows up to 11"},
		{"ENOSYS", fakeKernel{versionE: unix.ENOSYS}, 0, ErrLandlockNotBuilt, ""},
		{"EOPNOTSUPP", fakeKernel{versionE: unix.EOPNOTSUPP}, 0, ErrLandlockDisabled, ""},
		{"rejects all", fakeKernel{abi: 2, fs: 0}, 0, unix.EINVAL, "rejects the rights of ABI 1"},
		{"EPERM", fakeKernel{versionE: unix.EPERM}, 0, ErrLandlockRefused, ""},
		{"create EPERM", fakeKernel{abi: 3, fs: llaccess.Mask(llaccess.FS, 3), createE: unix.EPERM}, 0, ErrLandlockRefused, ""},
		{"ENOMEM", fakeKernel{abi: 3, fs: llaccess.Mask(llaccess.FS, 3), createE: unix.ENOMEM}, 0, unix.ENOMEM, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := &Result{}
			k := c.k
			probeLandlockWith(r, k.create)
			if r.LandlockABI != c.wantABI {
				t.Fatalf("ABI %d, want %d (err %v, notes %q)", r.LandlockABI, c.wantABI, r.LandlockErr, r.Notes)
			}
			if c.wantErrIs == nil && r.LandlockErr != nil || c.wantErrIs != nil && !errors.Is(r.LandlockErr, c.wantErrIs) {
				t.Fatalf("err %v, want %v", r.LandlockErr, c.wantErrIs)
			}
			if c.wantNote != "" && !strings.Contains(strings.Join(r.Notes, "\n"), c.wantNote) {
				t.Fatalf("notes %q lack %q", r.Notes, c.wantNote)
			}
			if c.k.versionE == 0 && r.LandlockReportedABI != c.k.abi {
				t.Fatalf("reported %d", r.LandlockReportedABI)
			}
			if r.LandlockABI > 0 && k.created == 0 {
				t.Fatal("ABI accepted without creating a ruleset")
			}
		})
	}
}

// scanStatus (the probe's allocation-free reader) must agree with the map
// built by readStatus, on this process's real status files and on odd
// ones.
func TestScanStatusAgreesWithReadStatus(t *testing.T) {
	check := func(name string, b []byte, m map[string]int) {
		t.Helper()
		st := scanStatus(b)
		for _, f := range []struct {
			key string
			got int
		}{{"NoNewPrivs", st.nnp}, {"Seccomp", st.mode}, {"Seccomp_filters", st.filters}} {
			want, ok := m[f.key]
			if !ok {
				want = -1
			}
			if f.got != want {
				t.Errorf("%s: %s = %d, readStatus says %d (present %v)", name, f.key, f.got, want, ok)
			}
		}
	}
	for _, path := range []string{"/proc/self/status", "/proc/thread-self/status"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := readStatus(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m["Seccomp_filters"]; !ok {
			t.Fatalf("%s has no Seccomp_filters line: %q", path, b)
		}
		check(path, b, m)
	}
	// Odd inputs, parsed the way readStatus parses (by lines, "key: int").
	for _, s := range []string{
		"",
		"Seccomp:\t2\nSeccomp_filters:\t3\nNoNewPrivs:\t1",
		"Seccomp:\tx\nSeccomp_filters:\n NoNewPrivs:\t1\n",
		"Seccomp_filters:\t7\nSeccomp_filters:\t2\n",
		"Name:\tSeccomp: 2\nSeccomp:2\r\n",
		"Seccomp\t2\nNoNewPrivs:\t 1 \n",
	} {
		m := map[string]int{}
		for _, line := range strings.Split(s, "\n") {
			k, v, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ":")
			if n, err := strconv.Atoi(strings.TrimSpace(v)); ok && err == nil {
				m[k] = n
			}
		}
		check(strconv.Quote(s), []byte(s), m)
	}
}

// readStatus returns the integer fields of a /proc/*/status file (the
// map-building parser scanStatus is checked against).
func readStatus(path string) (map[string]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			out[k] = n
		}
	}
	return out, nil
}

// installThreadFilter is installFilter for the calling thread alone (no
// TSYNC).
func installThreadFilter(nr uint32) error { return installEPERMFilter(nr, 0) }

// onOtherThread runs fn on a new locked goroutine, which is never on the
// main thread while the main goroutine holds it locked; the thread ends
// with the goroutine.
func onOtherThread(fn func() error) error {
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() == unix.Getpid() {
			done <- fmt.Errorf("goroutine on the main thread")
			return
		}
		done <- fn()
	}()
	return <-done
}

// On the main thread without a filter the probe skips /proc/self/status;
// what it reports must be what reading the file gives. A thread with a
// filter of its own, another thread while the main thread has one, and
// the main thread with a filter all read the file (the count is real).
func TestProbeStateMainThreadShortcut(t *testing.T) {
	runChild(t, "mainthread", mainThreadScenario)
}

// mainThreadScenario runs from TestMain, on the main goroutine, which init
// locked to the main thread (tests run on other goroutines).
func mainThreadScenario() {
	{
		if unix.Gettid() != unix.Getpid() {
			childFail("scenario not on the main thread (tid %d, pid %d)", unix.Gettid(), unix.Getpid())
		}
		var fast, slow Result
		probeStateRead(&fast, false)
		probeStateRead(&slow, true)
		if fast.SeccompFilters != 0 || fast.SeccompMode != 0 || fast.SeccompFilterInstalled || fast.NoNewPrivs {
			childFail("shortcut: %+v", fast)
		}
		if slow.SeccompFilters != 0 || fast.SeccompMode != slow.SeccompMode ||
			fast.SeccompFilterInstalled != slow.SeccompFilterInstalled || fast.NoNewPrivs != slow.NoNewPrivs {
			childFail("shortcut %+v, reading the file %+v", fast, slow)
		}
		// Another thread with a filter of its own: it reads the main
		// thread's count (0) and its own mode (2).
		if err := onOtherThread(func() error {
			if err := installThreadFilter(uint32(unix.SYS_GETPPID)); err != nil {
				return err
			}
			var r Result
			probeState(&r)
			if r.SeccompMode != 2 || !r.SeccompFilterInstalled || r.SeccompFilters != 0 || !r.NoNewPrivs {
				return fmt.Errorf("filtered thread: %+v", r)
			}
			return nil
		}); err != nil {
			childFail("%v", err)
		}
		var again Result
		probeState(&again)
		if again.SeccompMode != 0 || again.SeccompFilters != 0 || again.SeccompFilterInstalled || again.NoNewPrivs {
			childFail("main thread after another thread's filter: %+v", again)
		}
		// The main thread gets a filter; a thread without one must not
		// take the shortcut's answer: it reads the main thread's count.
		if err := installThreadFilter(uint32(unix.SYS_GETPPID)); err != nil {
			childFail("install: %v", err)
		}
		if err := onOtherThread(func() error {
			if m, _ := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); m != 0 {
				return fmt.Errorf("new thread has seccomp mode %d", m)
			}
			var r Result
			probeState(&r)
			if r.SeccompMode != 2 || r.SeccompFilters != 1 || !r.SeccompFilterInstalled || !r.NoNewPrivs {
				return fmt.Errorf("unfiltered thread of a filtered main thread: %+v", r)
			}
			return nil
		}); err != nil {
			childFail("%v", err)
		}
		var after Result
		probeState(&after)
		if after.SeccompMode != 2 || after.SeccompFilters != 1 || !after.SeccompFilterInstalled || !after.NoNewPrivs {
			childFail("main thread with a filter: %+v", after)
		}
	}
}

func init() {
	if os.Getenv(childEnv) == "mainthread" {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "mainthread" {
		mainThreadScenario()
		os.Exit(0)
	}
	os.Exit(m.Run())
}
