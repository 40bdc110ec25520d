// Command matrix runs pledgekit's integration tests on a matrix of kernels
// and architectures: the host kernel directly, Debian 12's 6.1 and 6.12
// kernels (6.12 also booted without Landlock) and trixie-backports' 7.x
// kernels (Landlock ABI 8 to 11) on amd64 and arm64 under QEMU (TCG), each
// with a Go test binary as the whole userland.
//
// Usage (from the module root):
//
//	go run ./ci/matrix                          # the standard matrix (what CI runs)
//	go run ./ci/matrix -matrix full             # plus amd64 7.0, 7.1, 7.2
//	go run ./ci/matrix -arch arm64 -kernel 6.1  # one cell
//	go run ./ci/matrix -arch amd64 -kernel 6.12 -lsm nolandlock -run TestRegex -v
//
// Kernel packages are looked up with apt-cache (the newest
// linux-image-<series>.*-{cloud-amd64,arm64}-unsigned; from 6.16 on
// linux-binary-unsigned-<series>.* or linux-binary-<series>.*, in
// trixie-backports, through a private apt state under -cache), fetched with
// apt-get download, unpacked with dpkg -x and cached (only the image and
// config) under -cache. See ci/README.md for the guest protocol and what
// tests can read from the environment.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
)

type options struct {
	set               string
	arch, kernel, lsm string
	pkgs              string
	pkgsExplicit      bool
	run               string
	short             bool
	users             string
	jobs              int
	cpus              int
	memMB             int
	testTimeout       time.Duration
	cellTimeout       time.Duration
	budget            time.Duration
	cacheDir          string
	workDir           string
	logDir            string
	keep              bool
	verbose           bool
	list              bool
	guestDebs         string
}

func defaultCacheDir() string {
	if d := os.Getenv("PLEDGEKIT_MATRIX_CACHE"); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/cache/pledgekit-matrix"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "pledgekit-matrix")
	}
	return filepath.Join(os.TempDir(), "pledgekit-matrix-cache")
}

func main() {
	var o options
	flag.StringVar(&o.set, "matrix", "", "a named set of cells: standard (what CI runs; the default) or full (standard plus amd64 7.0, 7.1, 7.2: every Landlock ABI from 8 to 11)")
	flag.StringVar(&o.arch, "arch", "", "architectures: amd64, arm64, all (comma-separated; default: the standard matrix)")
	flag.StringVar(&o.kernel, "kernel", "", "kernels: host, a Debian series (6.1, 6.12, 7.0 ... 7.3), all (comma-separated)")
	flag.StringVar(&o.lsm, "lsm", "", "LSM setup: default, nolandlock, all")
	flag.StringVar(&o.pkgs, "pkgs", strings.Join(defaultPackages, ","), "test packages to run in the guest (comma-separated, module-relative)")
	flag.StringVar(&o.run, "run", "", "passed to the test binaries as -test.run")
	flag.BoolVar(&o.short, "short", true, "pass -test.short to the test binaries")
	flag.StringVar(&o.users, "users", "root,nobody", "run every test binary as these users (root, nobody)")
	flag.IntVar(&o.jobs, "j", 1, "cells to run at once")
	flag.IntVar(&o.cpus, "smp", 2, "virtual CPUs per guest")
	flag.IntVar(&o.memMB, "m", 1024, "guest memory in MiB")
	flag.DurationVar(&o.testTimeout, "test-timeout", 5*time.Minute, "-test.timeout for each test binary")
	flag.DurationVar(&o.cellTimeout, "timeout", 0, "hard timeout per cell (default: 10m host, 12m amd64 guest, 15m arm64 guest)")
	flag.DurationVar(&o.budget, "budget", 50*time.Minute, "wall-clock budget for all cells; cells that would start after it is spent FAIL as not run")
	flag.StringVar(&o.cacheDir, "cache", defaultCacheDir(), "kernel cache directory ($PLEDGEKIT_MATRIX_CACHE)")
	flag.StringVar(&o.workDir, "work", "", "work directory (default: a new temporary directory)")
	flag.StringVar(&o.logDir, "logdir", "", "keep each cell's console log here (default: in the work directory)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (builds, initramfs, logs)")
	flag.BoolVar(&o.verbose, "v", false, "stream the guests' consoles")
	flag.BoolVar(&o.list, "list", false, "print the selected cells and exit")
	flag.StringVar(&o.guestDebs, "guest-debs", strings.Join(defaultGuestDebs, ","), "Debian packages unpacked into the guest (its /bin/sh, coreutils and their libraries); empty for none")
	flag.Parse()
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "pkgs" {
			o.pkgsExplicit = true
		}
	})
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "matrix: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "matrix: %v\n", err)
		if code == 0 {
			code = 2
		}
	}
	os.Exit(code)
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the pledgekit module: run from the repository")
	}
	return filepath.Dir(gomod), nil
}

// hostLandlockEnabled reads the active LSM list; ok is false if unknown.
func hostLandlockEnabled() (enabled, ok bool) {
	b, err := os.ReadFile("/sys/kernel/security/lsm")
	if err != nil {
		return false, false
	}
	for _, l := range strings.Split(strings.TrimSpace(string(b)), ",") {
		if l == "landlock" {
			return true, true
		}
	}
	return false, true
}

func run(ctx context.Context, o options, out io.Writer) (int, error) {
	hostArch := runtime.GOARCH
	cells, err := selectCells(o.set, o.arch, o.kernel, o.lsm, hostArch)
	if err != nil {
		return 2, err
	}
	users := splitList(o.users)
	for _, u := range users {
		if u != proto.UserRoot && u != proto.UserNobody {
			return 2, fmt.Errorf("-users: unknown user %q (want root, nobody)", u)
		}
	}
	if len(users) == 0 {
		return 2, fmt.Errorf("-users is empty")
	}
	if o.list {
		for _, c := range cells {
			fmt.Fprintln(out, c.Name())
		}
		return 0, nil
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return 2, err
	}
	plans, err := selectPackages(root, splitList(o.pkgs), o.pkgsExplicit)
	if err != nil {
		return 2, err
	}
	for i := range plans {
		if plans[i].Users == nil {
			continue
		}
		var keep []string
		for _, u := range plans[i].Users {
			if contains(users, u) {
				keep = append(keep, u)
			}
		}
		if len(keep) == 0 && plans[i].Skip == "" {
			plans[i].Skip = "runs only as " + strings.Join(plans[i].Users, "+") + ", not among -users"
		}
		plans[i].Users = keep
	}
	for _, c := range cells {
		if c.IsHost() && os.Geteuid() != 0 && contains(users, proto.UserNobody) {
			return 2, fmt.Errorf("the host cell runs tests as nobody too, which needs root (or pass -users root)")
		}
	}

	work := o.workDir
	if work == "" {
		if work, err = os.MkdirTemp("", "pledgekit-matrix-"); err != nil {
			return 2, err
		}
		if !o.keep {
			defer os.RemoveAll(work)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return 2, err
	}
	// The unprivileged test user must reach the host cell's binaries.
	_ = os.Chmod(work, 0o755)
	logDir := o.logDir
	if logDir == "" {
		logDir = filepath.Join(work, "logs")
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return 2, err
	}
	if o.keep {
		fmt.Fprintf(out, "matrix: work directory %s (kept)\n", work)
	}

	testArgs := []string{"-test.v", "-test.timeout=" + o.testTimeout.String(), "-test.count=1"}
	if o.short {
		testArgs = append(testArgs, "-test.short")
	}
	if o.run != "" {
		testArgs = append(testArgs, "-test.run="+o.run)
	}
	cfg := proto.Config{
		TestArgs:         testArgs,
		KillAfterSeconds: int(o.testTimeout.Seconds()) + 60,
		Users:            users,
	}

	fmt.Fprintf(out, "matrix: cells: %s\n", cellNames(cells))
	for _, p := range plans {
		if p.Skip != "" {
			fmt.Fprintf(out, "matrix: package %s not run: %s\n", p.Name, p.Skip)
		}
	}

	// Build one guest userland per architecture.
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if !fileExists(goTool) {
		goTool = "go"
	}
	b := &builder{root: root, log: out, goTool: goTool}
	store := &kernelStore{cacheDir: o.cacheDir, log: out, root: os.Geteuid() == 0}
	builds := map[string]*guestBuild{}
	userlandErrs := map[string][]string{}
	for _, c := range cells {
		if builds[c.Arch] != nil {
			continue
		}
		var debs []string
		var got []string
		for _, name := range splitList(o.guestDebs) {
			d, v, err := store.Tool(ctx, name, c.Arch, ".")
			if err != nil {
				fmt.Fprintf(out, "matrix: %s guest without %s: %v\n", c.Arch, name, err)
				userlandErrs[c.Arch] = append(userlandErrs[c.Arch], fmt.Sprintf("guest package %s unavailable: %v", name, err))
				continue
			}
			debs = append(debs, filepath.Join(d, "."))
			got = append(got, name+"="+v)
		}
		if len(got) > 0 {
			fmt.Fprintf(out, "matrix: %s guest userland: %s\n", c.Arch, strings.Join(got, " "))
		}
		dir := filepath.Join(work, c.Arch)
		g := b.build(ctx, c.Arch, dir, plans, cfg, debs)
		builds[c.Arch] = g
		if g.InitErr != nil {
			fmt.Fprintf(out, "matrix: %s: %v\n", c.Arch, g.InitErr)
		} else {
			fi, _ := os.Stat(g.Initramfs)
			size := int64(0)
			if fi != nil {
				size = fi.Size()
			}
			fmt.Fprintf(out, "matrix: %s guest built in %v (%d test binaries, initramfs %.1f MiB)\n",
				c.Arch, g.Duration.Round(100*time.Millisecond), len(g.Runnable()), float64(size)/(1<<20))
		}
	}

	// Resolve kernels (download into the cache if needed).
	type kkey struct{ series, arch string }
	kernels := map[kkey]*Kernel{}
	kernelErr := map[kkey]error{}
	fetchStart := time.Now()
	for _, c := range cells {
		if c.IsHost() {
			continue
		}
		k := kkey{c.Kernel, c.Arch}
		if _, done := kernels[k]; done || kernelErr[k] != nil {
			continue
		}
		kern, err := store.Get(ctx, c.Kernel, c.Arch)
		if err != nil {
			kernelErr[k] = err
			fmt.Fprintf(out, "matrix: kernel %s for %s: %v\n", c.Kernel, c.Arch, err)
			continue
		}
		kernels[k] = kern
		fmt.Fprintf(out, "matrix: kernel %s for %s: %s %s (%s)\n", c.Kernel, c.Arch, kern.Package, kern.Version, kern.Vmlinuz)
	}
	fmt.Fprintf(out, "matrix: kernels ready in %v\n", time.Since(fetchStart).Round(100*time.Millisecond))

	// Prepare every cell's outcome; run the runnable ones.
	outcomes := make([]*cellOutcome, len(cells))
	type job struct {
		i    int
		name string
		args []string
		env  []string
		tmo  time.Duration
	}
	var jobs []job
	for i, c := range cells {
		g := builds[c.Arch]
		oc := &cellOutcome{Cell: c, Users: users}
		outcomes[i] = oc
		for _, p := range g.Packages {
			switch {
			case p.BuildErr != "":
				oc.BuildFails = append(oc.BuildFails, pkgResult{Pkg: p.Name, Status: "fail", Reason: p.BuildErr})
			case p.Skip == "":
				oc.Planned = append(oc.Planned, plannedRun{Pkg: p.Name, Users: p.Users})
			}
		}
		oc.ProbeBuild = g.ProbeErr
		oc.SandboxBuild = g.SandboxErr
		oc.SetupErrs = userlandErrs[c.Arch]
		tmo := o.cellTimeout
		if tmo == 0 {
			tmo = defaultCellTimeout(c)
		}
		oc.Timeout = tmo
		if g.InitErr != nil {
			oc.RunErr = "guest userland did not build: " + firstLine(g.InitErr.Error())
			continue
		}
		if c.IsHost() {
			oc.Kernel = hostRelease()
			abi, err := expectedABI(c, oc.Kernel)
			if enabled, ok := hostLandlockEnabled(); ok && !enabled {
				abi, err = 0, nil
			}
			oc.ExpectABI = abi
			if err != nil {
				oc.RunErr = err.Error()
				continue
			}
			jobs = append(jobs, job{i: i, name: filepath.Join(g.Root, "init"),
				args: []string{"-host", "-config", filepath.Join(work, c.Arch, "host-config.json"),
					"-cell", c.Name(), "-expect-abi", strconv.Itoa(abi)},
				tmo: tmo})
			continue
		}
		kern := kernels[kkey{c.Kernel, c.Arch}]
		if kern == nil {
			oc.SkipReason = fmt.Sprintf("no Debian %s kernel for %s: %v", c.Kernel, c.Arch, kernelErr[kkey{c.Kernel, c.Arch}])
			continue
		}
		oc.Kernel = kern.Release
		abi, err := expectedABI(c, kern.Release)
		oc.ExpectABI = abi
		if err != nil {
			oc.RunErr = err.Error()
			continue
		}
		spec := qemuSpec{Arch: c.Arch, Kernel: kern.Vmlinuz, Initrd: g.Initramfs, MemMB: o.memMB, CPUs: o.cpus, Timeout: tmo,
			Append: []string{"pledgekit.cell=" + c.Name(), "pledgekit.expect_abi=" + strconv.Itoa(abi)}}
		if c.NoLandlock {
			cfgText, err := os.ReadFile(kern.Config)
			if err != nil {
				oc.RunErr = fmt.Sprintf("reading the kernel config to build lsm=: %v", err)
				continue
			}
			lsm, err := lsmWithoutLandlock(string(cfgText))
			if err != nil {
				oc.RunErr = err.Error()
				continue
			}
			spec.Append = append(spec.Append, "lsm="+lsm)
		}
		bin, args, err := qemuCommand(spec)
		if err != nil {
			oc.RunErr = err.Error()
			continue
		}
		if _, err := exec.LookPath(bin); err != nil {
			oc.SkipReason = fmt.Sprintf("%s is not installed (apt-get install %s)", bin, qemuPackage(c.Arch))
			continue
		}
		jobs = append(jobs, job{i: i, name: bin, args: args, tmo: tmo})
	}

	// Cells start in matrix order (host first, then amd64, then arm64): if
	// the budget runs out, the cheap and most telling cells have run.
	deadline := time.Now().Add(o.budget)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, o.jobs))
	var outMu sync.Mutex
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{} // start cells in order
		go func(j job) {
			defer wg.Done()
			defer func() { <-sem }()
			oc := outcomes[j.i]
			c := cells[j.i]
			if ctx.Err() != nil {
				oc.RunErr = "interrupted"
				return
			}
			left := time.Until(deadline)
			if left < time.Minute {
				oc.RunErr = fmt.Sprintf("not run: the matrix budget (-budget %v) was used up by earlier cells", o.budget)
				return
			}
			if j.tmo > left {
				j.tmo = left
				oc.Timeout = left.Round(time.Second)
			}
			outMu.Lock()
			fmt.Fprintf(out, "matrix: %s: starting (kernel %s, expect Landlock ABI %d)\n", c.Name(), oc.Kernel, oc.ExpectABI)
			outMu.Unlock()
			var stream io.Writer
			if o.verbose {
				stream = out
			}
			logPath := filepath.Join(logDir, strings.NewReplacer("/", "_").Replace(c.Name())+".log")
			res := runCommandCell(ctx, j.name, j.args, j.env, j.tmo, logPath, stream, "["+c.Name()+"] ")
			oc.Guest, oc.Tail, oc.TimedOut, oc.Duration = res.Guest, res.Tail, res.TimedOut, res.Duration
			oc.RunErr = res.RunErr
			if c.IsHost() && res.Guest.Done {
				oc.RunErr = "" // guestinit -host exits 1 when a test failed; the records say which
			}
			oc.judge()
			outMu.Lock()
			reportCell(out, oc, logPath)
			outMu.Unlock()
		}(j)
	}
	wg.Wait()
	for _, oc := range outcomes {
		if oc.Verdict == "" {
			oc.judge()
			if oc.Verdict != verdictPass {
				reportCell(out, oc, "")
			}
		}
	}

	fmt.Fprintf(out, "\nmatrix summary (p/f/s = top-level tests passed/failed/skipped):\n%s", summaryTable(outcomes))
	failed, why := runFailed(outcomes)
	if failed {
		fmt.Fprintf(out, "matrix: FAIL:\n")
		for _, w := range why {
			fmt.Fprintf(out, "  - %s\n", w)
		}
		return 1, nil
	}
	fmt.Fprintf(out, "matrix: PASS\n")
	return 0, nil
}

// defaultCellTimeout bounds one cell: several times what a healthy run
// takes (host ~1 min, amd64 guest ~2 min, arm64 guest ~3 min), so a hang
// fails the cell without eating the whole CI budget.
func defaultCellTimeout(c Cell) time.Duration {
	switch {
	case c.IsHost():
		return 10 * time.Minute
	case c.Arch == "amd64":
		return 12 * time.Minute
	default:
		return 15 * time.Minute
	}
}

func qemuPackage(arch string) string {
	if arch == "amd64" {
		return "qemu-system-x86"
	}
	return "qemu-system-arm"
}

func cellNames(cells []Cell) string {
	var n []string
	for _, c := range cells {
		n = append(n, c.Name())
	}
	return strings.Join(n, " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// reportCell prints a cell's verdict as soon as it is known, with the
// problems and the console lines that explain them.
func reportCell(w io.Writer, oc *cellOutcome, logPath string) {
	fmt.Fprintf(w, "matrix: %s: %s", oc.Cell.Name(), oc.Verdict)
	if oc.Duration > 0 {
		fmt.Fprintf(w, " in %v", oc.Duration.Round(100*time.Millisecond))
	}
	if oc.SkipReason != "" {
		fmt.Fprintf(w, " (%s)", oc.SkipReason)
	}
	fmt.Fprintln(w)
	if oc.Verdict != verdictFail {
		return
	}
	for _, p := range oc.Problems {
		fmt.Fprintf(w, "    - %s\n", p)
	}
	for _, b := range oc.BuildFails {
		fmt.Fprintf(w, "  --- build output of %s:\n%s\n", b.Pkg, indent(b.Reason))
	}
	shown := false
	if oc.Guest != nil {
		for _, r := range oc.Guest.Results {
			if r.Status != "fail" {
				continue
			}
			if f := oc.Guest.Failures(r.Pkg, r.User); len(f) > 0 {
				fmt.Fprintf(w, "  --- failed tests of %s as %s:\n%s\n", r.Pkg, r.User, indent(strings.Join(f, "\n")))
			} else {
				fmt.Fprintf(w, "  --- last console lines of %s as %s:\n%s\n", r.Pkg, r.User, indent(strings.Join(oc.Guest.Section(r.Pkg, r.User), "\n")))
			}
			shown = true
		}
	}
	if !shown && len(oc.Tail) > 0 {
		fmt.Fprintf(w, "  --- console tail:\n%s\n", indent(strings.Join(oc.Tail, "\n")))
	}
	if logPath != "" {
		fmt.Fprintf(w, "  --- full console log: %s\n", logPath)
	}
}
