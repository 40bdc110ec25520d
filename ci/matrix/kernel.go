package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// kernelFlavour is the Debian kernel flavour used for an architecture: the
// small cloud flavour on amd64 (it has the 8250 serial console and ACPI
// power-off QEMU's pc machine needs) and the generic flavour on arm64 (the
// one verified on QEMU's virt machine with the PL011 console).
func kernelFlavour(arch string) string {
	if arch == "amd64" {
		return "cloud-amd64"
	}
	return arch
}

// kernelPackageRE matches the kernel image packages of one series ("6.1",
// "7.3") and architecture, and nothing else (not 6.12 for 6.1, not the rt or
// 16k flavours, not the cloud arm64 flavour). Debian has used two namings:
//
//   - up to 6.15: linux-image-<version>-<flavour>-unsigned, e.g.
//     linux-image-6.1.0-57-cloud-amd64-unsigned, linux-image-6.12.117+deb12-arm64-unsigned;
//   - from 6.16 on: linux-binary-unsigned-<version>-<flavour> (the current
//     point releases only) and the signed linux-binary-<version>-<flavour>
//     (older point releases too), e.g. linux-binary-unsigned-7.3.4+deb13-arm64;
//     linux-image-<version>-<flavour> is then a dependency-only package and
//     is not matched.
func kernelPackageRE(series, arch string) *regexp.Regexp {
	ver := regexp.QuoteMeta(series) + `\.[0-9]+(?:-[0-9]+)?(?:\+[a-z0-9]+)?-` + regexp.QuoteMeta(kernelFlavour(arch))
	return regexp.MustCompile(`^(?:linux-image-` + ver + `-unsigned|linux-binary-(?:unsigned-)?` + ver + `)$`)
}

// kernelSearchPattern is the apt-cache search pattern (POSIX extended) that
// finds every package kernelPackageRE may match for series.
func kernelSearchPattern(series string) string {
	return `^linux-(image|binary|binary-unsigned)-` + regexp.QuoteMeta(series) + `\.`
}

// backportsSuite is the Debian suite the runner adds, for its own lookups
// only, to find kernels newer than Debian 12's (6.16 to 7.x).
const backportsSuite = "trixie-backports"

// kernelFromBackports reports whether series is looked up in backportsSuite
// (6.16 and newer) rather than in the machine's own apt sources.
func kernelFromBackports(series string) bool {
	major, minor, err := parseKernelSeries(series)
	return err == nil && major*1000+minor >= 6016
}

// parseAptSearch returns the package names in `apt-cache search` output
// ("name - description" lines) that re matches, sorted and deduplicated.
func parseAptSearch(out string, re *regexp.Regexp) []string {
	seen := map[string]bool{}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if name != "" && re.MatchString(name) && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// parseAptPolicy maps each package in `apt-cache policy` output to its
// candidate version; packages without a candidate ("(none)") are left out.
// The keys are spelled as in the output (with an :arch qualifier if the
// query had one).
func parseAptPolicy(out string) map[string]string {
	m := map[string]string{}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		if line[0] != ' ' && line[0] != '\t' && strings.HasSuffix(line, ":") {
			cur = strings.TrimSuffix(line, ":")
			continue
		}
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && k == "Candidate" && cur != "" {
			v = strings.TrimSpace(v)
			if v != "" && v != "(none)" {
				m[cur] = v
			}
		}
	}
	return m
}

// pkgCandidate is one installable kernel package version.
type pkgCandidate struct {
	Name    string // without :arch
	Version string // Debian version of the package
}

// pickNewest returns the candidate with the highest Debian version; ties
// (same version under two names, which Debian does not do) go to the
// higher name by version ordering, so the choice is deterministic.
func pickNewest(c []pkgCandidate) (pkgCandidate, bool) {
	if len(c) == 0 {
		return pkgCandidate{}, false
	}
	best := c[0]
	for _, x := range c[1:] {
		cv := compareDebVersions(x.Version, best.Version)
		if cv > 0 || cv == 0 && compareDebPart(x.Name, best.Name) > 0 {
			best = x
		}
	}
	return best, true
}

// landlockABIForKernel is the Landlock ABI a mainline kernel of this
// version offers when Landlock is enabled (ABI 1 in 5.13, 2 in 5.19, 3 in
// 6.2, 4 in 6.7, 5 in 6.10, 6 in 6.12, 7 in 6.15, 8 in 7.0 (restrict_self
// TSYNC), 9 in 7.1 (FS_RESOLVE_UNIX), 10 in 7.2 (UDP rules, quiet flags), 11
// in 7.3 (restrict_self NO_NEW_PRIVS)). It is the matrix's independent
// expectation: the probe and the kernel's own answer must both agree with
// it. For kernels newer than this table knows, known is false.
func landlockABIForKernel(major, minor int) (abi int, known bool) {
	v := major*1000 + minor
	switch {
	case v >= 7004:
		return 11, false // newer than the table: at least 11
	case v >= 7003:
		return 11, true
	case v >= 7002:
		return 10, true
	case v >= 7001:
		return 9, true
	case v >= 7000:
		return 8, true
	case v >= 6020:
		return 7, false // no 6.20 was released; 7.0 followed 6.19
	case v >= 6015:
		return 7, true
	case v >= 6012:
		return 6, true
	case v >= 6010:
		return 5, true
	case v >= 6007:
		return 4, true
	case v >= 6002:
		return 3, true
	case v >= 5019:
		return 2, true
	case v >= 5013:
		return 1, true
	default:
		return 0, true
	}
}

// parseKernelSeries extracts major and minor from "6.12", "6.1.0-57-cloud-amd64"
// or "6.18.44-fc".
func parseKernelSeries(s string) (major, minor int, err error) {
	m := regexp.MustCompile(`^([0-9]+)\.([0-9]+)`).FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("kernel version %q does not start with MAJOR.MINOR", s)
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, nil
}

// lsmWithoutLandlock turns a kernel config's CONFIG_LSM into the lsm= boot
// parameter that enables the same LSMs minus Landlock.
func lsmWithoutLandlock(config string) (string, error) {
	for _, line := range strings.Split(config, "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "CONFIG_LSM=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"`)
		var keep []string
		for _, l := range strings.Split(v, ",") {
			if l = strings.TrimSpace(l); l != "" && l != "landlock" {
				keep = append(keep, l)
			}
		}
		if len(keep) == 0 {
			return "", errors.New("CONFIG_LSM lists nothing but landlock")
		}
		return strings.Join(keep, ","), nil
	}
	return "", errors.New("kernel config has no CONFIG_LSM line")
}

// Kernel is a kernel image ready to boot.
type Kernel struct {
	Package string // Debian package name
	Version string // Debian package version
	Release string // uname -r, from the vmlinuz file name
	Vmlinuz string
	Config  string // path of the config-* file, "" if absent
}

// kernelStore finds, downloads and caches Debian kernel images.
type kernelStore struct {
	cacheDir string
	log      io.Writer
	root     bool

	mu       sync.Mutex
	updated  bool
	archDone map[string]error
	bpOpts   []string // apt options of the private backports state, once set up
	bpErr    error
}

func (s *kernelStore) run(ctx context.Context, dir string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "DEBIAN_FRONTEND=noninteractive")
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(lastLines(errb.String(), 5)))
	}
	return out.String(), nil
}

func (s *kernelStore) aptUpdate(ctx context.Context) error {
	if s.updated {
		return nil
	}
	if !s.root {
		return errors.New("apt-get update needs root")
	}
	fmt.Fprintln(s.log, "matrix: apt-get update")
	if _, err := s.run(ctx, "", "apt-get", "update", "-q"); err != nil {
		return err
	}
	s.updated = true
	return nil
}

// backportsApt sets up, once per run, the runner's private apt state under
// the cache directory (apt/): backportsSuite as its only source, signed by
// the stock Debian archive keyring, its own package lists and caches, and
// both matrix architectures. It returns the options that point apt-cache and
// apt-get at it. The machine's sources, lists, caches and dpkg architectures
// are left as they are, so its other apt users see no change. The lists are
// refreshed on every run; if that fails (offline), the lists of an earlier
// run are used, and without any the error is returned.
func (s *kernelStore) backportsApt(ctx context.Context) ([]string, error) {
	if s.bpOpts != nil || s.bpErr != nil {
		return s.bpOpts, s.bpErr
	}
	dir := filepath.Join(s.cacheDir, "apt")
	opts := []string{
		"-o", "Dir::Etc::SourceList=" + filepath.Join(dir, "sources.list"),
		"-o", "Dir::Etc::SourceParts=" + filepath.Join(dir, "sources.list.d"),
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
	}
	for _, a := range knownArches {
		opts = append(opts, "-o", "APT::Architectures::="+a)
	}
	if s.root {
		// apt's _apt sandbox user cannot write into the cache directory.
		opts = append(opts, "-o", "APT::Sandbox::User=root")
	}
	sources := "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: " + backportsSuite +
		"\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
	err := func() error {
		for _, d := range []string{"sources.list.d", "lists/partial", "cache/archives/partial"} {
			if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
				return err
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "sources.list"), nil, 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "sources.list.d", "debian-"+backportsSuite+".sources"), []byte(sources), 0o644)
	}()
	if err != nil {
		s.bpErr = fmt.Errorf("private apt state for %s in %s: %w", backportsSuite, dir, err)
		return nil, s.bpErr
	}
	fmt.Fprintf(s.log, "matrix: apt-get update (private state %s: %s)\n", dir, backportsSuite)
	if _, err := s.run(ctx, "", "apt-get", append([]string{"update", "-q"}, opts...)...); err != nil {
		lists, _ := filepath.Glob(filepath.Join(dir, "lists", "*_Packages*"))
		if len(lists) == 0 {
			s.bpErr = fmt.Errorf("%s package lists: %w (needs the Debian archive reachable)", backportsSuite, err)
			return nil, s.bpErr
		}
		fmt.Fprintf(s.log, "matrix: %v; using the %s lists of an earlier run\n", err, backportsSuite)
	}
	s.bpOpts = opts
	return opts, nil
}

// ensureArch makes dpkg/apt know the foreign architecture arch.
func (s *kernelStore) ensureArch(ctx context.Context, arch string) error {
	if s.archDone == nil {
		s.archDone = map[string]error{}
	}
	if err, ok := s.archDone[arch]; ok {
		return err
	}
	err := func() error {
		native, err := s.run(ctx, "", "dpkg", "--print-architecture")
		if err != nil {
			return err
		}
		if strings.TrimSpace(native) == arch {
			return nil
		}
		foreign, err := s.run(ctx, "", "dpkg", "--print-foreign-architectures")
		if err != nil {
			return err
		}
		for _, a := range strings.Fields(foreign) {
			if a == arch {
				return nil
			}
		}
		if !s.root {
			return fmt.Errorf("apt does not know architecture %s; as root run: dpkg --add-architecture %s && apt-get update", arch, arch)
		}
		fmt.Fprintf(s.log, "matrix: dpkg --add-architecture %s\n", arch)
		if _, err := s.run(ctx, "", "dpkg", "--add-architecture", arch); err != nil {
			return err
		}
		s.updated = false
		return s.aptUpdate(ctx)
	}()
	s.archDone[arch] = err
	return err
}

// lookup finds the newest installable package for series/arch in apt
// (aptOpts: extra apt options, those of backportsApt or none).
func (s *kernelStore) lookup(ctx context.Context, series, arch string, aptOpts []string) (pkgCandidate, error) {
	re := kernelPackageRE(series, arch)
	search := func() ([]string, error) {
		out, err := s.run(ctx, "", "apt-cache", append([]string{"search", "--names-only"}, append(aptOpts, kernelSearchPattern(series))...)...)
		if err != nil {
			return nil, err
		}
		return parseAptSearch(out, re), nil
	}
	names, err := search()
	if err != nil {
		return pkgCandidate{}, err
	}
	if len(names) == 0 && s.root && !s.updated && aptOpts == nil {
		if err := s.aptUpdate(ctx); err != nil {
			return pkgCandidate{}, err
		}
		if names, err = search(); err != nil {
			return pkgCandidate{}, err
		}
	}
	if len(names) == 0 {
		if aptOpts != nil {
			return pkgCandidate{}, fmt.Errorf("%s has no package matching %s", backportsSuite, re)
		}
		return pkgCandidate{}, fmt.Errorf("apt knows no package matching %s (is the Debian archive in sources.list, and apt-get update done?)", re)
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = n + ":" + arch
	}
	out, err := s.run(ctx, "", "apt-cache", append(append([]string{"policy"}, aptOpts...), q...)...)
	if err != nil {
		return pkgCandidate{}, err
	}
	pol := parseAptPolicy(out)
	var cands []pkgCandidate
	for _, n := range names {
		if v, ok := pol[n+":"+arch]; ok {
			cands = append(cands, pkgCandidate{n, v})
		} else if v, ok := pol[n]; ok {
			cands = append(cands, pkgCandidate{n, v})
		}
	}
	best, ok := pickNewest(cands)
	if !ok {
		return pkgCandidate{}, fmt.Errorf("none of %d packages matching %s has an installable candidate for %s", len(names), re, arch)
	}
	return best, nil
}

// lockCache takes an exclusive flock on the cache directory, so that
// concurrent matrix runs (a developer's and CI's) do not download into the
// same entry at once. The returned function releases it.
func (s *kernelStore) lockCache() (func(), error) {
	if err := os.MkdirAll(s.cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("package cache: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.cacheDir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("package cache: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("package cache lock: %w", err)
	}
	return func() { f.Close() }, nil
}

func (s *kernelStore) archDir(arch string) string { return filepath.Join(s.cacheDir, "kernels", arch) }

func cacheEntryName(c pkgCandidate) string {
	return c.Name + "_" + strings.ReplaceAll(c.Version, ":", "%3a")
}

// loadCached returns the cached kernel for c, if complete.
func (s *kernelStore) loadCached(arch string, c pkgCandidate) (*Kernel, bool) {
	dir := filepath.Join(s.archDir(arch), cacheEntryName(c))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		return nil, false
	}
	vm, _ := filepath.Glob(filepath.Join(dir, "boot", "vmlinuz-*"))
	if len(vm) != 1 {
		return nil, false
	}
	k := &Kernel{Package: c.Name, Version: c.Version, Vmlinuz: vm[0],
		Release: strings.TrimPrefix(filepath.Base(vm[0]), "vmlinuz-")}
	if cfg := filepath.Join(dir, "boot", "config-"+k.Release); fileExists(cfg) {
		k.Config = cfg
	}
	return k, true
}

// newestCached is the offline fallback: the newest complete cache entry
// whose package matches series/arch.
func (s *kernelStore) newestCached(series, arch string) (*Kernel, bool) {
	re := kernelPackageRE(series, arch)
	ents, _ := os.ReadDir(s.archDir(arch))
	var cands []pkgCandidate
	for _, e := range ents {
		name, ver, ok := strings.Cut(e.Name(), "_")
		if ok && re.MatchString(name) {
			cands = append(cands, pkgCandidate{name, strings.ReplaceAll(ver, "%3a", ":")})
		}
	}
	for len(cands) > 0 {
		best, _ := pickNewest(cands)
		if k, ok := s.loadCached(arch, best); ok {
			return k, true
		}
		for i := range cands {
			if cands[i] == best {
				cands = append(cands[:i], cands[i+1:]...)
				break
			}
		}
	}
	return nil, false
}

// Get returns the newest Debian kernel of series for arch, downloading and
// unpacking it into the cache if needed. Only boot/ is kept (vmlinuz,
// config, System.map); the modules are not needed by an initramfs-only guest.
func (s *kernelStore) Get(ctx context.Context, series, arch string) (*Kernel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lockCache()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var aptOpts []string
	if kernelFromBackports(series) {
		aptOpts, err = s.backportsApt(ctx)
	} else {
		err = s.ensureArch(ctx, arch)
	}
	if err != nil {
		if k, ok := s.newestCached(series, arch); ok {
			fmt.Fprintf(s.log, "matrix: %v; using cached %s %s\n", err, k.Package, k.Version)
			return k, nil
		}
		return nil, err
	}
	c, err := s.lookup(ctx, series, arch, aptOpts)
	if err != nil {
		if k, ok := s.newestCached(series, arch); ok {
			fmt.Fprintf(s.log, "matrix: %v; using cached %s %s\n", err, k.Package, k.Version)
			return k, nil
		}
		return nil, err
	}
	if k, ok := s.loadCached(arch, c); ok {
		return k, nil
	}
	if _, err := s.fetchDeb(ctx, s.archDir(arch), c, arch, keepKernel, aptOpts); err != nil {
		return nil, err
	}
	k, ok := s.loadCached(arch, c)
	if !ok {
		return nil, fmt.Errorf("package %s %s holds no single boot/vmlinuz-*", c.Name, c.Version)
	}
	s.prune(series, arch, cacheEntryName(c))
	return k, nil
}

// keepKernel is fetchDeb's keep for a kernel package: the image (and config)
// are placed as boot/vmlinuz-<release> (boot/config-<release>), wherever
// the package has them (see kernelImage).
const keepKernel = "kernel"

// fetchDeb downloads package c for arch with apt-get download (with the
// extra apt options aptOpts), unpacks it with dpkg -x and moves its
// subdirectory keep to parent/<name>_<version>/keep (keep "." keeps the
// whole package except usr/share and gconv modules; keepKernel only the
// kernel image and config), marking the entry complete with a .complete
// file. It returns the entry directory.
func (s *kernelStore) fetchDeb(ctx context.Context, parent string, c pkgCandidate, arch, keep string, aptOpts []string) (string, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("package cache: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, ".download-")
	if err != nil {
		return "", fmt.Errorf("package cache: %w", err)
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(s.log, "matrix: downloading %s:%s=%s\n", c.Name, arch, c.Version)
	args := append([]string{"download", "-q"}, aptOpts...)
	if s.root && aptOpts == nil {
		// apt's _apt sandbox user cannot write into the cache directory.
		args = append(args, "-o", "APT::Sandbox::User=root")
	}
	args = append(args, c.Name+":"+arch+"="+c.Version)
	if _, err := s.run(ctx, tmp, "apt-get", args...); err != nil {
		return "", err
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, "*.deb"))
	if len(debs) != 1 {
		return "", fmt.Errorf("apt-get download %s left %d .deb files, want 1", c.Name, len(debs))
	}
	x := filepath.Join(tmp, "x")
	if _, err := s.run(ctx, "", "dpkg", "-x", debs[0], x); err != nil {
		return "", err
	}
	final := filepath.Join(parent, cacheEntryName(c))
	_ = os.RemoveAll(final)
	if keep == keepKernel {
		if err := placeKernel(x, final); err != nil {
			return "", fmt.Errorf("package %s %s: %w", c.Name, c.Version, err)
		}
	} else if keep == "." {
		// The whole package, minus documentation and translations.
		for _, pat := range []string{"usr/share", "usr/lib/*/gconv"} {
			m, _ := filepath.Glob(filepath.Join(x, pat))
			for _, d := range m {
				_ = os.RemoveAll(d)
			}
		}
		if err := os.Rename(x, final); err != nil {
			return "", fmt.Errorf("package %s %s: %w", c.Name, c.Version, err)
		}
	} else {
		if err := os.MkdirAll(final, 0o755); err != nil {
			return "", err
		}
		if err := os.Rename(filepath.Join(x, keep), filepath.Join(final, keep)); err != nil {
			return "", fmt.Errorf("package %s %s: %w", c.Name, c.Version, err)
		}
	}
	if err := os.WriteFile(filepath.Join(final, ".complete"), []byte(c.Name+" "+c.Version+"\n"), 0o644); err != nil {
		return "", err
	}
	return final, nil
}

// kernelImage finds the kernel image in an unpacked kernel package x:
// boot/vmlinuz-<release> (linux-image-*-unsigned, the signed linux-binary-*)
// or usr/lib/modules/<release>/vmlinuz.unsigned (linux-binary-unsigned-*),
// and its config (boot/config-<release> or usr/lib/modules/<release>/config;
// "" when the package has none, as linux-binary-* packages do).
func kernelImage(x string) (vmlinuz, config, release string, err error) {
	var found []string
	boot, _ := filepath.Glob(filepath.Join(x, "boot", "vmlinuz-*"))
	mods, _ := filepath.Glob(filepath.Join(x, "usr", "lib", "modules", "*", "vmlinuz*"))
	found = append(boot, mods...)
	if len(found) != 1 {
		return "", "", "", fmt.Errorf("want one kernel image (boot/vmlinuz-* or usr/lib/modules/*/vmlinuz*), found %d", len(found))
	}
	vmlinuz = found[0]
	if len(boot) == 1 {
		release = strings.TrimPrefix(filepath.Base(vmlinuz), "vmlinuz-")
	} else {
		release = filepath.Base(filepath.Dir(vmlinuz))
	}
	for _, c := range []string{filepath.Join(x, "boot", "config-"+release), filepath.Join(x, "usr", "lib", "modules", release, "config")} {
		if fileExists(c) {
			config = c
			break
		}
	}
	return vmlinuz, config, release, nil
}

// placeKernel moves the kernel image and config of unpacked package x to
// final/boot/vmlinuz-<release> and final/boot/config-<release>.
func placeKernel(x, final string) error {
	vmlinuz, config, release, err := kernelImage(x)
	if err != nil {
		return err
	}
	boot := filepath.Join(final, "boot")
	if err := os.MkdirAll(boot, 0o755); err != nil {
		return err
	}
	if err := os.Rename(vmlinuz, filepath.Join(boot, "vmlinuz-"+release)); err != nil {
		return err
	}
	if config != "" {
		return os.Rename(config, filepath.Join(boot, "config-"+release))
	}
	return nil
}

// Tool returns the directory holding subdirectory keep (see fetchDeb) of the newest
// installable Debian package name for arch (downloaded into the cache if
// needed), and the package version. Offline, the newest cached version is
// used.
func (s *kernelStore) Tool(ctx context.Context, name, arch, keep string) (dir, version string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := s.lockCache()
	if err != nil {
		return "", "", err
	}
	defer unlock()
	parent := filepath.Join(s.cacheDir, "tools", arch)
	cached := func() (string, string, bool) {
		ents, _ := os.ReadDir(parent)
		var cands []pkgCandidate
		for _, e := range ents {
			n, v, ok := strings.Cut(e.Name(), "_")
			if ok && n == name && fileExists(filepath.Join(parent, e.Name(), ".complete")) {
				cands = append(cands, pkgCandidate{n, strings.ReplaceAll(v, "%3a", ":")})
			}
		}
		best, ok := pickNewest(cands)
		if !ok {
			return "", "", false
		}
		return filepath.Join(parent, cacheEntryName(best)), best.Version, true
	}
	lookup := func() (pkgCandidate, error) {
		if err := s.ensureArch(ctx, arch); err != nil {
			return pkgCandidate{}, err
		}
		out, err := s.run(ctx, "", "apt-cache", "policy", name+":"+arch)
		if err != nil {
			return pkgCandidate{}, err
		}
		pol := parseAptPolicy(out)
		v, ok := pol[name+":"+arch]
		if !ok {
			// apt leaves the qualifier off for the native architecture.
			v, ok = pol[name]
		}
		if !ok {
			return pkgCandidate{}, fmt.Errorf("apt has no installable %s:%s", name, arch)
		}
		return pkgCandidate{name, v}, nil
	}
	c, err := lookup()
	if err != nil {
		if d, v, ok := cached(); ok {
			fmt.Fprintf(s.log, "matrix: %v; using cached %s %s\n", err, name, v)
			return d, v, nil
		}
		return "", "", err
	}
	final := filepath.Join(parent, cacheEntryName(c))
	if fileExists(filepath.Join(final, ".complete")) {
		return final, c.Version, nil
	}
	if final, err = s.fetchDeb(ctx, parent, c, arch, keep, nil); err != nil {
		return "", "", err
	}
	ents, _ := os.ReadDir(parent)
	for _, e := range ents {
		if n, _, ok := strings.Cut(e.Name(), "_"); ok && n == name && e.Name() != cacheEntryName(c) {
			_ = os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
	return final, c.Version, nil
}

// prune removes older cached versions of the same series and arch.
func (s *kernelStore) prune(series, arch, keep string) {
	re := kernelPackageRE(series, arch)
	ents, _ := os.ReadDir(s.archDir(arch))
	for _, e := range ents {
		name, _, ok := strings.Cut(e.Name(), "_")
		if ok && re.MatchString(name) && e.Name() != keep {
			_ = os.RemoveAll(filepath.Join(s.archDir(arch), e.Name()))
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func lastLines(s string, n int) string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
