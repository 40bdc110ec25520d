//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
)

var console io.Writer = os.Stdout

// emit writes one protocol record on a line of its own, in a single write.
func emit(kind string, kv ...string) {
	_, _ = io.WriteString(console, "\n"+proto.Format(kind, kv...)+"\n")
}

func logf(format string, args ...any) {
	fmt.Fprintf(console, "guestinit: "+format+"\n", args...)
}

func main() {
	host := flag.Bool("host", false, "run on the running system: no mounts, no power-off")
	configPath := flag.String("config", "/pledgekit/config.json", "guest configuration")
	cell := flag.String("cell", "", "cell name (default: pledgekit.cell= from the kernel command line)")
	expect := flag.String("expect-abi", "", "expected Landlock ABI (default: pledgekit.expect_abi= from the kernel command line)")
	flag.Parse()

	guest := !*host
	if guest {
		if os.Getpid() != 1 {
			fmt.Fprintln(os.Stderr, "guestinit: not PID 1; use -host to run on a live system")
			os.Exit(2)
		}
		// PID 1 must never return: whatever happens, power off.
		defer powerOff()
		defer func() {
			if r := recover(); r != nil {
				logf("panic: %v", r)
				emit(proto.KindDone, "status", "error", "error", fmt.Sprint(r))
			}
		}()
		setupSystem()
	}

	cmdline := readCmdline()
	if *cell == "" {
		*cell = cmdline["pledgekit.cell"]
	}
	if *expect == "" {
		*expect = cmdline["pledgekit.expect_abi"]
	}

	var uts unix.Utsname
	_ = unix.Uname(&uts)
	emit(proto.KindBoot,
		"cell", *cell,
		"release", unix.ByteSliceToString(uts.Release[:]),
		"machine", unix.ByteSliceToString(uts.Machine[:]),
		"expect_abi", *expect,
		"guest", strconv.FormatBool(guest),
		"cpus", strconv.Itoa(cpuCount()),
	)
	emitKernelFacts()

	cfg, err := readConfig(*configPath)
	if err != nil {
		logf("%v", err)
		emit(proto.KindDone, "status", "error", "error", err.Error())
		if guest {
			return
		}
		os.Exit(1)
	}
	r := &runner{cfg: cfg, guest: guest, cell: *cell, expect: *expect}
	if !guest {
		// The host runner stops a hung host cell with SIGTERM: take the
		// test binary's process group (not ours) down with us.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, unix.SIGTERM, unix.SIGINT)
		go func() {
			sig := <-sigs
			if pg := r.childPgid.Load(); pg > 0 {
				_ = unix.Kill(-int(pg), unix.SIGKILL)
			}
			emit(proto.KindDone, "status", "error", "error", "terminated by "+sig.String())
			os.Exit(1)
		}()
	}
	failed := r.runAll()
	emit(proto.KindDone, "status", "ok", "failed", strconv.Itoa(failed))
	if !guest && failed > 0 {
		os.Exit(1)
	}
}

func cpuCount() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return 0
	}
	return set.Count()
}

// setupSystem mounts the pseudo file systems and brings loopback up.
// Failures are reported but not fatal: the tests will show what is missing.
func setupSystem() {
	mounts := []struct {
		src, target, fstype string
		flags               uintptr
		data                string
	}{
		{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"securityfs", "/sys/kernel/security", "securityfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
		{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
		{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666"},
		{"tmpfs", "/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
		{"tmpfs", "/tmp", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777"},
		{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
	}
	for _, m := range mounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			logf("mkdir %s: %v", m.target, err)
			continue
		}
		if err := unix.Mount(m.src, m.target, m.fstype, m.flags, m.data); err != nil && !errors.Is(err, unix.EBUSY) {
			logf("mount %s on %s: %v", m.fstype, m.target, err)
		}
	}
	// The console the kernel gave us may not be stdout if /dev was empty at
	// exec time; reopen it now that devtmpfs is mounted.
	if f, err := os.OpenFile("/dev/console", os.O_WRONLY, 0); err == nil {
		console = f
	}
	for _, l := range [][2]string{
		{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
		{"pts/ptmx", "/dev/ptmx"},
	} {
		if _, err := os.Lstat(l[1]); err != nil {
			_ = os.Symlink(l[0], l[1])
		}
	}
	// Keep the kernel's chatter (audit lines from seccomp tests) off the console
	// so it cannot cut protocol lines; errors and worse still show.
	_ = os.WriteFile("/proc/sys/kernel/printk", []byte("3 4 1 3"), 0)
	if err := loopbackUp(); err != nil {
		logf("loopback: %v", err)
	}
	_ = unix.Sethostname([]byte("pledgekit-guest"))
}

// loopbackUp sets IFF_UP on lo; the kernel then configures 127.0.0.1/8 and ::1.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP | unix.IFF_RUNNING)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS lo: %w", err)
	}
	return nil
}

func powerOff() {
	unix.Sync()
	// Give the serial console a moment to drain.
	time.Sleep(200 * time.Millisecond)
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	logf("power off failed: %v", err)
	for {
		time.Sleep(time.Hour)
	}
}

func readCmdline() map[string]string {
	m := map[string]string{}
	b, err := os.ReadFile("/proc/cmdline")
	if err != nil {
		return m
	}
	for _, f := range strings.Fields(string(b)) {
		k, v, _ := strings.Cut(f, "=")
		m[k] = v
	}
	return m
}

// emitKernelFacts measures, without the project's probe, what the kernel
// offers: the host compares this with the cell's expectation and with the
// probe's verdict.
func emitKernelFacts() {
	abi, _, errno := unix.Syscall(unix.SYS_LANDLOCK_CREATE_RULESET, 0, 0, unix.LANDLOCK_CREATE_RULESET_VERSION)
	llABI, llErr := int(abi), ""
	if errno != 0 {
		llABI, llErr = 0, errno.Error()
	}
	// seccomp: PR_GET_SECCOMP fails with EINVAL when CONFIG_SECCOMP is off;
	// SECCOMP_GET_ACTION_AVAIL proves the seccomp(2) syscall and filter mode.
	seccomp := "true"
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		seccomp = "false"
	}
	action := uint32(unix.SECCOMP_RET_KILL_PROCESS)
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&action)))
	killProcess := strconv.FormatBool(e == 0)
	lsm, err := os.ReadFile("/sys/kernel/security/lsm")
	if err != nil {
		lsm = []byte("unknown: " + err.Error())
	}
	emit(proto.KindKernel,
		"landlock_abi", strconv.Itoa(llABI),
		"landlock_err", llErr,
		"seccomp", seccomp,
		"seccomp_kill_process", killProcess,
		"lsm", strings.TrimSpace(string(lsm)),
	)
}

func readConfig(path string) (*proto.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read guest config: %w", err)
	}
	var cfg proto.Config
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("parse guest config %s: %w", path, err)
	}
	if len(cfg.Users) == 0 {
		cfg.Users = []string{proto.UserRoot}
	}
	if cfg.KillAfterSeconds <= 0 {
		cfg.KillAfterSeconds = 600
	}
	return &cfg, nil
}

type runner struct {
	cfg    *proto.Config
	guest  bool
	cell   string
	expect string
	tmp    map[string]string // per-user TMPDIR

	childPgid atomic.Int64 // process group of the running test binary
}

func (r *runner) runAll() (failed int) {
	for _, u := range r.cfg.Users {
		if !r.runCheck(proto.KindProbe, r.cfg.Probe, u) {
			failed++
		}
		if !r.runCheck(proto.KindSandbox, r.cfg.Sandbox, u) {
			failed++
		}
	}
	for _, p := range r.cfg.Packages {
		users := p.Users
		if len(users) == 0 {
			users = r.cfg.Users
		}
		for _, u := range users {
			if !r.runPackage(p, u) {
				failed++
			}
		}
	}
	return failed
}

// tmpDir returns the user's private TMPDIR, creating it on first use.
func (r *runner) tmpDir(user string) string {
	if d, ok := r.tmp[user]; ok {
		return d
	}
	if r.tmp == nil {
		r.tmp = map[string]string{}
	}
	d, err := r.userTmp(user)
	if err != nil {
		logf("TMPDIR for %s: %v", user, err)
	}
	r.tmp[user] = d
	return d
}

func (r *runner) userTmp(user string) (string, error) {
	dir, err := os.MkdirTemp("", "pledgekit-"+user+"-")
	if err != nil {
		return "", err
	}
	if user == proto.UserNobody {
		if err := os.Chown(dir, proto.NobodyID, proto.NobodyID); err != nil {
			return dir, err
		}
	}
	// Like /tmp: tests that hand a t.TempDir() to another user must be able
	// to reach it through TMPDIR.
	return dir, os.Chmod(dir, 0o1777)
}

func (r *runner) env(user string) []string {
	var env []string
	if r.guest {
		env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "TERM=dumb", proto.EnvGuest + "=1"}
	} else {
		for _, kv := range os.Environ() {
			k, _, _ := strings.Cut(kv, "=")
			switch k {
			case "HOME", "USER", "LOGNAME", "TMPDIR", proto.EnvGuest:
				continue
			}
			if strings.HasPrefix(k, "PLEDGEKIT_") {
				continue
			}
			env = append(env, kv)
		}
	}
	tmp := r.tmpDir(user)
	home := tmp
	if user == proto.UserRoot && r.guest {
		home = "/root"
	}
	if home == "" {
		home = "/"
	}
	env = append(env,
		"HOME="+home, "USER="+user, "LOGNAME="+user, "TMPDIR="+tmp,
		"GOTRACEBACK=all",
		proto.EnvMatrix+"=1",
		proto.EnvCell+"="+r.cell,
		proto.EnvExpectABI+"="+r.expect,
		proto.EnvUser+"="+user,
	)
	return env
}

func (r *runner) sysProcAttr(user string) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	if user == proto.UserNobody {
		a.Credential = &syscall.Credential{Uid: proto.NobodyID, Gid: proto.NobodyID, Groups: []uint32{}}
	}
	return a
}

// runCheck runs a check program (probecheck, sandboxcheck) as user and
// passes its records of the given kind through with the user added. A
// missing binary or a check that prints no record is reported as a
// failing record.
func (r *runner) runCheck(kind, bin, user string) bool {
	failRec := func(msg string) {
		kv := []string{"user", user, "status", "fail", "ok", "false", "error", msg}
		if kind == proto.KindSandbox {
			kv = append(kv, "check", "all")
		}
		emit(kind, kv...)
	}
	if bin == "" {
		failRec(kind + "check was not built (see the host's build log)")
		return false
	}
	cmd := exec.Command(bin)
	cmd.Env = r.env(user)
	cmd.Dir = "/"
	cmd.SysProcAttr = r.sysProcAttr(user)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Start()
	if err == nil {
		r.childPgid.Store(int64(cmd.Process.Pid))
		timer := time.AfterFunc(3*time.Minute, func() { _ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL) })
		err = cmd.Wait()
		timer.Stop()
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		r.childPgid.Store(0)
	}
	found := false
	for _, line := range strings.Split(out.String(), "\n") {
		rec, ok, perr := proto.Parse(line)
		if ok && rec.Kind == kind {
			rec.Fields["user"] = user
			if err != nil && rec.Fields["status"] == "pass" {
				rec.Fields["status"] = "fail"
				rec.Fields["error"] = kind + "check exited: " + err.Error()
			}
			_, _ = io.WriteString(console, "\n"+proto.FormatMap(kind, rec.Fields)+"\n")
			found = true
			continue
		}
		if perr != nil || strings.TrimSpace(line) != "" {
			fmt.Fprintf(console, "%scheck[%s]: %s\n", kind, user, line)
		}
	}
	if !found {
		msg := kind + "check printed no record"
		if err != nil {
			msg += ": " + err.Error()
		}
		failRec(msg)
		return false
	}
	return err == nil
}

// counter watches a test binary's -test.v output and counts top-level test
// outcomes, passing everything through to the console.
type counter struct {
	mu                      sync.Mutex
	out                     io.Writer
	partial                 []byte
	passed, failed, skipped int
}

func (c *counter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = c.out.Write(p)
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		c.line(string(c.partial[:i]))
		c.partial = c.partial[i+1:]
	}
	return len(p), nil
}

func (c *counter) line(l string) {
	switch {
	case strings.HasPrefix(l, "--- PASS: "):
		c.passed++
	case strings.HasPrefix(l, "--- FAIL: "):
		c.failed++
	case strings.HasPrefix(l, "--- SKIP: "):
		c.skipped++
	}
}

func (r *runner) runPackage(p proto.Package, user string) bool {
	emit(proto.KindBegin, "pkg", p.Name, "user", user)
	start := time.Now()
	cmd := exec.Command(p.Binary, r.cfg.TestArgs...)
	cmd.Env = r.env(user)
	cmd.Dir = p.Dir
	cmd.SysProcAttr = r.sysProcAttr(user)
	cnt := &counter{out: console}
	cmd.Stdout = cnt
	cmd.Stderr = cnt
	cmd.WaitDelay = 10 * time.Second
	killed := false
	var mu sync.Mutex
	err := cmd.Start()
	if err == nil {
		r.childPgid.Store(int64(cmd.Process.Pid))
		defer r.childPgid.Store(0)
		timer := time.AfterFunc(time.Duration(r.cfg.KillAfterSeconds)*time.Second, func() {
			mu.Lock()
			killed = true
			mu.Unlock()
			_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
		})
		err = cmd.Wait()
		timer.Stop()
	}
	// Kill anything the test left behind in its process group.
	if cmd.Process != nil {
		_ = unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
	}
	dur := time.Since(start)
	status, reason, exit := "pass", "", 0
	if err != nil {
		status = "fail"
		reason = err.Error()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			exit = ee.ExitCode()
		} else {
			exit = -1
		}
	}
	mu.Lock()
	if killed {
		reason = fmt.Sprintf("killed after %ds (hung?)", r.cfg.KillAfterSeconds)
	}
	mu.Unlock()
	cnt.mu.Lock()
	passed, failed, skipped := cnt.passed, cnt.failed, cnt.skipped
	cnt.mu.Unlock()
	if status == "pass" && failed > 0 {
		status, reason = "fail", "exit status 0 but tests reported FAIL"
	}
	if status == "pass" && passed == 0 && skipped > 0 {
		status = "skip"
	}
	emit(proto.KindResult,
		"pkg", p.Name, "user", user, "status", status,
		"passed", strconv.Itoa(passed), "failed", strconv.Itoa(failed), "skipped", strconv.Itoa(skipped),
		"exit", strconv.Itoa(exit), "ms", strconv.FormatInt(dur.Milliseconds(), 10),
		"reason", reason,
	)
	return status != "fail"
}
