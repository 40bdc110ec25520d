package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
)

// defaultPackages are the test packages the guest runs when -pkgs is not
// given. Missing directories and packages without _test.go files are left
// out (they do not exist yet); packages that exist but fail to build are
// reported as FAILED.
var defaultPackages = []string{
	"./pledge", "./unveil", "./internal/unveil", "./internal/probe", "./internal/filter:root",
	"./cmd/unveil", "./examples/downloader", "./internal/security",
	"./internal/testproc", "./internal/notify", "./ci/matrix/guesttest",
	"./internal/engine", "./internal/supervise", "./internal/llaccess",
}

// pkgPlan is one package the host considered for the guest.
type pkgPlan struct {
	Name     string   // as given, e.g. ./pledge
	Dir      string   // absolute source directory
	BinName  string   // e.g. pledge.test
	Users    []string // run only as these users (nil: every -users user)
	Skip     string   // why it is not run ("" = run)
	BuildErr string   // build output if the build failed
}

// selectPackages resolves the package list against the module at root.
// explicit says whether the list came from -pkgs: a missing explicit package
// is an error rather than a skip. A package may end in :USER[+USER] to run
// only as those users, e.g. ./internal/filter:root.
func selectPackages(root string, pkgs []string, explicit bool) ([]pkgPlan, error) {
	var plans []pkgPlan
	seen := map[string]bool{}
	for _, p := range pkgs {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		var users []string
		if i := strings.LastIndexByte(p, ':'); i >= 0 {
			for _, u := range strings.Split(p[i+1:], "+") {
				if u != proto.UserRoot && u != proto.UserNobody {
					return nil, fmt.Errorf("package %q: unknown user %q (want root or nobody)", p, u)
				}
				users = append(users, u)
			}
			p = p[:i]
		}
		if !strings.HasPrefix(p, "./") || strings.Contains(p, "...") {
			return nil, fmt.Errorf("package %q: give module-relative directories like ./pledge (no ... patterns)", p)
		}
		rel := filepath.Clean(strings.TrimPrefix(p, "./"))
		if rel == "." || strings.HasPrefix(rel, "..") {
			return nil, fmt.Errorf("package %q is outside the module", p)
		}
		name := "./" + filepath.ToSlash(rel)
		if seen[name] {
			continue
		}
		seen[name] = true
		plan := pkgPlan{Name: name, Users: users, Dir: filepath.Join(root, rel), BinName: strings.ReplaceAll(filepath.ToSlash(rel), "/", "_") + ".test"}
		fi, err := os.Stat(plan.Dir)
		switch {
		case err != nil || !fi.IsDir():
			if explicit {
				return nil, fmt.Errorf("package %s: no directory %s", name, plan.Dir)
			}
			plan.Skip = "does not exist (yet)"
		default:
			tests, _ := filepath.Glob(filepath.Join(plan.Dir, "*_test.go"))
			if len(tests) == 0 {
				plan.Skip = "has no _test.go files"
			}
		}
		plans = append(plans, plan)
	}
	return plans, nil
}

// guestBuild is the result of building one architecture's guest userland.
type guestBuild struct {
	Arch       string
	Root       string // the unpacked tree (also used by the host cell)
	Initramfs  string
	Packages   []pkgPlan
	ProbeErr   string // probecheck build output if it failed
	SandboxErr string // sandboxcheck build output if it failed
	InitErr    error  // guestinit failed to build: nothing can run
	Duration   time.Duration
}

// Runnable returns the packages that were built.
func (g *guestBuild) Runnable() []pkgPlan {
	var r []pkgPlan
	for _, p := range g.Packages {
		if p.Skip == "" && p.BuildErr == "" {
			r = append(r, p)
		}
	}
	return r
}

type builder struct {
	root   string // module root
	log    io.Writer
	goTool string
}

func (b *builder) goBuild(ctx context.Context, arch string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, b.goTool, args...)
	cmd.Dir = b.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}

// guestFiles are written into every guest root.
var guestFiles = map[string]string{
	"etc/passwd":        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	"etc/group":         "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n",
	"etc/hosts":         "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	"etc/nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
	"etc/hostname":      "pledgekit-guest\n",
}

// build compiles guestinit, probecheck and every planned test package for
// arch into dir, installs the unpacked Debian packages in debs (the guest's
// /bin/sh and friends), writes the guest config and packs the initramfs.
func (b *builder) build(ctx context.Context, arch, dir string, plans []pkgPlan, cfg proto.Config, debs []string) *guestBuild {
	start := time.Now()
	g := &guestBuild{Arch: arch, Root: filepath.Join(dir, "root"), Initramfs: filepath.Join(dir, "initramfs.gz")}
	defer func() { g.Duration = time.Since(start) }()
	// A reused -work directory holds an earlier build: start from nothing,
	// so no stale file reaches the initramfs and the userland links anew.
	if err := os.RemoveAll(g.Root); err != nil {
		g.InitErr = err
		return g
	}
	for _, d := range []string{"", "dev", "proc", "sys", "tmp", "run", "root", "etc", "pledgekit/bin", "pledgekit/pkgs"} {
		perm := fs.FileMode(0o755)
		if d == "root" {
			perm = 0o700
		}
		if err := os.MkdirAll(filepath.Join(g.Root, d), perm); err != nil {
			g.InitErr = err
			return g
		}
		_ = os.Chmod(filepath.Join(g.Root, d), perm) // MkdirAll obeys umask
	}
	_ = os.Chmod(g.Root, 0o755)
	for name, content := range guestFiles {
		if err := os.WriteFile(filepath.Join(g.Root, name), []byte(content), 0o644); err != nil {
			g.InitErr = err
			return g
		}
	}
	if len(debs) > 0 {
		if err := installUserland(g.Root, debs); err != nil {
			g.InitErr = err
			return g
		}
	}
	ldflags := "-ldflags=-s -w"
	fmt.Fprintf(b.log, "matrix: building guest userland for %s\n", arch)
	if out, err := b.goBuild(ctx, arch, "build", ldflags, "-o", filepath.Join(g.Root, "init"), "./ci/matrix/guestinit"); err != nil {
		g.InitErr = fmt.Errorf("building guestinit for %s: %w\n%s", arch, err, out)
		return g
	}
	probeBin := filepath.Join(g.Root, "pledgekit", "bin", "probecheck")
	if out, err := b.goBuild(ctx, arch, "build", ldflags, "-o", probeBin, "./ci/matrix/probecheck"); err != nil {
		g.ProbeErr = fmt.Sprintf("%v\n%s", err, out)
		fmt.Fprintf(b.log, "matrix: %s: probecheck FAILED to build:\n%s\n", arch, indent(out))
	} else {
		cfg.Probe = "/pledgekit/bin/probecheck"
	}
	sandboxBin := filepath.Join(g.Root, "pledgekit", "bin", "sandboxcheck")
	if out, err := b.goBuild(ctx, arch, "build", ldflags, "-o", sandboxBin, "./ci/matrix/sandboxcheck"); err != nil {
		g.SandboxErr = fmt.Sprintf("%v\n%s", err, out)
		fmt.Fprintf(b.log, "matrix: %s: sandboxcheck FAILED to build:\n%s\n", arch, indent(out))
	} else {
		cfg.Sandbox = "/pledgekit/bin/sandboxcheck"
	}
	// cmd/unveil's tests run the command itself: they find this build next
	// to their test binary (the guest has no Go toolchain to build it).
	for _, p := range plans {
		if p.Name == "./cmd/unveil" && p.Skip == "" {
			if out, err := b.goBuild(ctx, arch, "build", ldflags, "-o", filepath.Join(g.Root, "pledgekit", "bin", "unveil"), "./cmd/unveil"); err != nil {
				fmt.Fprintf(b.log, "matrix: %s: the unveil command FAILED to build:\n%s\n", arch, indent(out))
			}
			// And the static Go program they run under it (goTarget).
			if out, err := b.goBuild(ctx, arch, "build", ldflags, "-o", filepath.Join(g.Root, "pledgekit", "bin", "gotarget"), "./cmd/unveil/testdata/gotarget"); err != nil {
				fmt.Fprintf(b.log, "matrix: %s: cmd/unveil's gotarget FAILED to build:\n%s\n", arch, indent(out))
			}
		}
	}
	for _, p := range plans {
		if p.Skip != "" {
			g.Packages = append(g.Packages, p)
			continue
		}
		bin := filepath.Join(g.Root, "pledgekit", "bin", p.BinName)
		out, err := b.goBuild(ctx, arch, "test", "-c", ldflags, "-o", bin, p.Name)
		if err == nil && !fileExists(bin) {
			// go test -c writes nothing for a package whose test files
			// are all excluded by build constraints.
			p.Skip = "no test binary (no tests for linux/" + arch + ")"
		} else if err != nil {
			p.BuildErr = fmt.Sprintf("%v\n%s", err, out)
			fmt.Fprintf(b.log, "matrix: %s: %s FAILED to build:\n%s\n", arch, p.Name, indent(out))
		}
		if p.Skip == "" && p.BuildErr == "" {
			rel := strings.TrimPrefix(p.Name, "./")
			if err := copyPackageData(p.Dir, filepath.Join(g.Root, "pledgekit", "pkgs", rel)); err != nil {
				p.BuildErr = "copying test data: " + err.Error()
			}
		}
		g.Packages = append(g.Packages, p)
	}
	for _, p := range g.Runnable() {
		rel := strings.TrimPrefix(p.Name, "./")
		cfg.Packages = append(cfg.Packages, proto.Package{
			Name:   p.Name,
			Binary: "/pledgekit/bin/" + p.BinName,
			Dir:    "/pledgekit/pkgs/" + rel,
			Users:  p.Users,
		})
	}
	if err := writeConfig(filepath.Join(g.Root, "pledgekit", "config.json"), cfg); err != nil {
		g.InitErr = err
		return g
	}
	// The host cell runs the same tree in place: same config, host paths.
	hostCfg := cfg
	hostCfg.Packages = nil
	for _, p := range cfg.Packages {
		p.Binary = filepath.Join(g.Root, p.Binary)
		p.Dir = filepath.Join(g.Root, p.Dir)
		hostCfg.Packages = append(hostCfg.Packages, p)
	}
	if hostCfg.Probe != "" {
		hostCfg.Probe = filepath.Join(g.Root, hostCfg.Probe)
	}
	if hostCfg.Sandbox != "" {
		hostCfg.Sandbox = filepath.Join(g.Root, hostCfg.Sandbox)
	}
	if err := writeConfig(filepath.Join(dir, "host-config.json"), hostCfg); err != nil {
		g.InitErr = err
		return g
	}
	if err := writeInitramfs(g.Root, g.Initramfs); err != nil {
		g.InitErr = err
	}
	return g
}

func writeConfig(path string, cfg proto.Config) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// copyPackageData copies what a test may read relative to its package
// directory: testdata/ and the package directory's non-Go files.
func copyPackageData(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		s := filepath.Join(src, e.Name())
		switch {
		case e.IsDir() && e.Name() == "testdata":
			if err := copyTree(s, filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		case e.Type().IsRegular() && !strings.HasSuffix(e.Name(), ".go"):
			if err := copyFile(s, filepath.Join(dst, e.Name())); err != nil {
				return err
			}
		}
	}
	return makeReadable(dst)
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(t, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, t)
		case d.Type().IsRegular():
			return copyFile(p, t)
		}
		return nil // sockets, fifos: not copied
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fi.Mode().Perm()|0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// makeReadable gives everyone read (and search) access under dir, so the
// unprivileged test user can read the test data.
func makeReadable(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := fi.Mode().Perm() | 0o444
		if d.IsDir() {
			mode |= 0o111
		}
		return os.Chmod(p, mode)
	})
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
