package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKernelPackageSelection(t *testing.T) {
	search := readTestdata(t, "apt-cache-search.txt")
	tests := []struct {
		series, arch string
		want         []string
	}{
		{"6.1", "amd64", []string{"linux-image-6.1.0-47-cloud-amd64-unsigned", "linux-image-6.1.0-57-cloud-amd64-unsigned", "linux-image-6.1.0-9-cloud-amd64-unsigned"}},
		{"6.12", "amd64", []string{"linux-image-6.12.115+deb12-cloud-amd64-unsigned", "linux-image-6.12.117+deb12-cloud-amd64-unsigned"}},
		{"6.1", "arm64", []string{"linux-image-6.1.0-57-arm64-unsigned"}},
		{"6.12", "arm64", []string{"linux-image-6.12.117+deb12-arm64-unsigned"}},
		{"6.6", "amd64", nil},
	}
	for _, tt := range tests {
		got := parseAptSearch(search, kernelPackageRE(tt.series, tt.arch))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s/%s: got %q\nwant %q", tt.series, tt.arch, got, tt.want)
		}
	}
}

func TestParseAptPolicyAndPickNewest(t *testing.T) {
	pol := parseAptPolicy(readTestdata(t, "apt-cache-policy.txt"))
	want := map[string]string{
		"linux-image-6.1.0-47-cloud-amd64-unsigned:amd64": "6.1.170-3",
		"linux-image-6.1.0-57-cloud-amd64-unsigned:amd64": "6.1.192-3",
	}
	if !reflect.DeepEqual(pol, want) {
		t.Fatalf("parseAptPolicy = %v, want %v (no entry for a (none) candidate)", pol, want)
	}
	best, ok := pickNewest([]pkgCandidate{
		{"linux-image-6.1.0-9-cloud-amd64-unsigned", "6.1.27-1"},
		{"linux-image-6.1.0-57-cloud-amd64-unsigned", "6.1.192-3"},
		{"linux-image-6.1.0-47-cloud-amd64-unsigned", "6.1.170-3"},
	})
	if !ok || best.Name != "linux-image-6.1.0-57-cloud-amd64-unsigned" {
		t.Errorf("pickNewest = %v, %v; want the 6.1.192-3 package (by version, not by name)", best, ok)
	}
	if _, ok := pickNewest(nil); ok {
		t.Error("pickNewest(nil) reported a candidate")
	}
}

func TestLandlockABIForKernel(t *testing.T) {
	tests := []struct {
		v     string
		abi   int
		known bool
	}{
		{"5.10", 0, true}, {"5.13", 1, true}, {"5.19", 2, true}, {"6.1.0-57-arm64", 2, true},
		{"6.2", 3, true}, {"6.7", 4, true}, {"6.10", 5, true}, {"6.12.117+deb12", 6, true},
		{"6.15", 7, true}, {"6.18.44-fc", 7, true}, {"6.19.14+deb13", 7, true}, {"6.20", 7, false},
		{"7.0.13+deb13-cloud-amd64", 8, true}, {"7.1", 9, true}, {"7.2.12", 10, true}, {"7.3.4+deb13-arm64", 11, true},
		{"7.4", 11, false}, {"8.0", 11, false},
	}
	for _, tt := range tests {
		ma, mi, err := parseKernelSeries(tt.v)
		if err != nil {
			t.Fatalf("parseKernelSeries(%q): %v", tt.v, err)
		}
		abi, known := landlockABIForKernel(ma, mi)
		if abi != tt.abi || known != tt.known {
			t.Errorf("%s: ABI %d known %v, want %d %v", tt.v, abi, known, tt.abi, tt.known)
		}
	}
	if _, _, err := parseKernelSeries("host"); err == nil {
		t.Error("parseKernelSeries(host) succeeded")
	}
}

func TestLSMWithoutLandlock(t *testing.T) {
	got, err := lsmWithoutLandlock("CONFIG_X=y\nCONFIG_LSM=\"landlock,lockdown,yama,loadpin,safesetid,integrity,apparmor,selinux,smack,tomoyo,bpf,ipe\"\n")
	if err != nil || got != "lockdown,yama,loadpin,safesetid,integrity,apparmor,selinux,smack,tomoyo,bpf,ipe" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := lsmWithoutLandlock("CONFIG_X=y\n"); err == nil {
		t.Error("no CONFIG_LSM: no error")
	}
	if _, err := lsmWithoutLandlock(`CONFIG_LSM="landlock"`); err == nil {
		t.Error("only landlock: no error")
	}
}

// fakeAptTools puts fake apt-cache, apt-get and dpkg on PATH. They log their
// arguments to calls.log and behave like the real tools for the calls the
// kernel store makes.
func fakeAptTools(t *testing.T, foreign string) (logPath string) {
	t.Helper()
	bin := t.TempDir()
	logPath = filepath.Join(bin, "calls.log")
	search, _ := filepath.Abs(filepath.Join("testdata", "apt-cache-search.txt"))
	bpoSearch, _ := filepath.Abs(filepath.Join("testdata", "apt-cache-search-trixie-backports.txt"))
	scripts := map[string]string{
		"apt-cache": `echo "apt-cache $*" >> ` + logPath + `
case "$*" in *Dir::Etc::SourceParts=*) search=` + bpoSearch + ` ;; *) search=` + search + ` ;; esac
case "$1" in
search) cat "$search" ;;
policy) shift; skip=; for p in "$@"; do
  if [ -n "$skip" ]; then skip=; continue; fi
  if [ "$p" = -o ]; then skip=1; continue; fi
  case "$p" in
  linux-binary-*+deb13-*) v=$(echo "$p" | sed 's/^linux-binary-\(unsigned-\)\{0,1\}\([0-9.]*\)+deb13-.*/\2-1~bpo13+1/') ;;
  linux-image-6.12.117+deb12-cloud-amd64-unsigned:amd64) v=6.12.117-1~deb12u1 ;;
  linux-image-6.12.115+deb12-cloud-amd64-unsigned:amd64) v=6.12.115-1~deb12u1 ;;
  linux-image-6.1.0-57-arm64-unsigned:arm64) v=6.1.192-3 ;;
  busybox-static:amd64) v=1:1.35.0-4+b1 ;;
  *) v="(none)" ;;
  esac
  case "$p" in *:amd64) p=${p%:amd64} ;; esac # apt omits the native arch
  printf '%s:\n  Installed: (none)\n  Candidate: %s\n' "$p" "$v"
done ;;
esac`,
		"apt-get": `echo "apt-get $*" >> ` + logPath + `
case "$1" in
download) for last; do :; done; name=${last%%:*}; ver=${last##*=}; echo "deb $name $ver" > "${name}_${ver}_x.deb" ;;
update) for a; do case "$a" in Dir::State::Lists=*) l=${a#*=}; echo pkgs > "$l/deb.debian.org_debian_dists_trixie-backports_main_binary-amd64_Packages" ;; esac; done ;;
esac`,
		"dpkg": `echo "dpkg $*" >> ` + logPath + `
case "$1" in
--print-architecture) echo amd64 ;;
--print-foreign-architectures) echo "` + foreign + `" ;;
--add-architecture) ;;
-x) dest=$3; set -- $(cat "$2"); case "$2" in busybox*) mkdir -p "$dest/bin" "$dest/usr/share"; echo bb > "$dest/bin/busybox"; exit 0 ;; esac
  # From 6.16 on: the unsigned image under usr/lib/modules, the signed one in boot/, no config.
  case "$2" in
  linux-binary-unsigned-*) rel=${2#linux-binary-unsigned-}; mkdir -p "$dest/usr/lib/modules/$rel"; echo kernel > "$dest/usr/lib/modules/$rel/vmlinuz.unsigned"; exit 0 ;;
  linux-binary-*) rel=${2#linux-binary-}; mkdir -p "$dest/boot"; echo kernel > "$dest/boot/vmlinuz-$rel"; exit 0 ;;
  esac
  rel=$(echo "$2" | sed 's/^linux-image-//; s/-unsigned$//'); mkdir -p "$dest/boot" "$dest/lib/modules"; echo kernel > "$dest/boot/vmlinuz-$rel"; echo 'CONFIG_LSM="landlock,yama"' > "$dest/boot/config-$rel" ;;
esac`,
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return logPath
}

func TestKernelStoreDownloadsNewestAndCaches(t *testing.T) {
	calls := fakeAptTools(t, "arm64")
	cache := t.TempDir()
	s := &kernelStore{cacheDir: cache, log: io.Discard, root: true}
	ctx := context.Background()
	k, err := s.Get(ctx, "6.12", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	if k.Package != "linux-image-6.12.117+deb12-cloud-amd64-unsigned" || k.Version != "6.12.117-1~deb12u1" ||
		k.Release != "6.12.117+deb12-cloud-amd64" || !fileExists(k.Vmlinuz) || !fileExists(k.Config) {
		t.Fatalf("got %+v", k)
	}
	if ents, _ := filepath.Glob(filepath.Join(cache, "kernels", "amd64", "*", "lib")); len(ents) != 0 {
		t.Errorf("modules were cached: %v", ents)
	}
	log1, _ := os.ReadFile(calls)
	if !strings.Contains(string(log1), "apt-get download -q -o APT::Sandbox::User=root linux-image-6.12.117+deb12-cloud-amd64-unsigned:amd64=6.12.117-1~deb12u1") {
		t.Errorf("download call missing or wrong:\n%s", log1)
	}
	// Second lookup: cached, no download.
	s2 := &kernelStore{cacheDir: cache, log: io.Discard, root: true}
	k2, err := s2.Get(ctx, "6.12", "amd64")
	if err != nil || k2.Vmlinuz != k.Vmlinuz {
		t.Fatalf("second Get = %+v, %v", k2, err)
	}
	log2, _ := os.ReadFile(calls)
	if strings.Count(string(log2), "apt-get download") != 1 {
		t.Errorf("cached kernel downloaded again:\n%s", log2)
	}
}

func TestKernelStoreForeignArch(t *testing.T) {
	calls := fakeAptTools(t, "")
	cache := t.TempDir()
	ctx := context.Background()
	// Not root and arm64 not configured: a clear error, nothing changed.
	s := &kernelStore{cacheDir: cache, log: io.Discard, root: false}
	if _, err := s.Get(ctx, "6.1", "arm64"); err == nil || !strings.Contains(err.Error(), "dpkg --add-architecture arm64") {
		t.Fatalf("non-root foreign arch: err = %v", err)
	}
	// Root: adds the architecture, updates, downloads.
	s = &kernelStore{cacheDir: cache, log: io.Discard, root: true}
	k, err := s.Get(ctx, "6.1", "arm64")
	if err != nil || k.Package != "linux-image-6.1.0-57-arm64-unsigned" {
		t.Fatalf("Get = %+v, %v", k, err)
	}
	log, _ := os.ReadFile(calls)
	for _, want := range []string{"dpkg --add-architecture arm64", "apt-get update", "apt-cache policy linux-image-6.1.0-57-arm64-unsigned:arm64"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("missing call %q in:\n%s", want, log)
		}
	}
}

func TestKernelStoreNoCandidate(t *testing.T) {
	fakeAptTools(t, "arm64")
	s := &kernelStore{cacheDir: t.TempDir(), log: io.Discard, root: true}
	// 6.1 amd64 packages exist in the search output but the fake policy
	// gives none of them a candidate.
	if _, err := s.Get(context.Background(), "6.1", "amd64"); err == nil || !strings.Contains(err.Error(), "has an installable candidate") {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Get(context.Background(), "6.6", "amd64"); err == nil || !strings.Contains(err.Error(), "apt knows no package") {
		t.Fatalf("err = %v", err)
	}
}

func TestKernelStoreOfflineFallback(t *testing.T) {
	cache := t.TempDir()
	fakeAptTools(t, "arm64")
	s := &kernelStore{cacheDir: cache, log: io.Discard, root: true}
	k, err := s.Get(context.Background(), "6.12", "amd64")
	if err != nil {
		t.Fatal(err)
	}
	// Now apt knows nothing (empty PATH dir with failing tools).
	bin := t.TempDir()
	for _, n := range []string{"apt-cache", "apt-get", "dpkg"} {
		os.WriteFile(filepath.Join(bin, n), []byte("#!/bin/sh\nexit 1\n"), 0o755)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	s = &kernelStore{cacheDir: cache, log: io.Discard, root: true}
	k2, err := s.Get(context.Background(), "6.12", "amd64")
	if err != nil || k2.Vmlinuz != k.Vmlinuz {
		t.Fatalf("offline Get = %+v, %v; want the cached kernel", k2, err)
	}
	if _, err := s.Get(context.Background(), "6.1", "amd64"); err == nil {
		t.Fatal("offline Get of an uncached kernel succeeded")
	}
}

func TestKernelStoreTool(t *testing.T) {
	calls := fakeAptTools(t, "arm64")
	cache := t.TempDir()
	s := &kernelStore{cacheDir: cache, log: io.Discard, root: true}
	dir, ver, err := s.Tool(context.Background(), "busybox-static", "amd64", "bin")
	if err != nil || ver != "1:1.35.0-4+b1" || !fileExists(filepath.Join(dir, "bin", "busybox")) || fileExists(filepath.Join(dir, "usr")) {
		t.Fatalf("Tool = %s %s %v", dir, ver, err)
	}
	dir2, _, err := s.Tool(context.Background(), "busybox-static", "amd64", "bin")
	if err != nil || dir2 != dir {
		t.Fatalf("second Tool = %s, %v", dir2, err)
	}
	log, _ := os.ReadFile(calls)
	if n := strings.Count(string(log), "apt-get download"); n != 1 {
		t.Errorf("%d downloads, want 1 (cached)", n)
	}
	if _, _, err := s.Tool(context.Background(), "no-such-tool", "amd64", "bin"); err == nil {
		t.Error("missing package: no error")
	}
}

func TestKernelPackageSelectionBackports(t *testing.T) {
	search := readTestdata(t, "apt-cache-search-trixie-backports.txt")
	tests := []struct {
		series, arch string
		want         []string
	}{
		// 7.3: the unsigned and the signed image of the one point release;
		// linux-image-7.3.4+deb13-cloud-amd64 is dependency-only and the
		// amd64, rt and dbg flavours are not ours.
		{"7.3", "amd64", []string{"linux-binary-7.3.4+deb13-cloud-amd64", "linux-binary-unsigned-7.3.4+deb13-cloud-amd64"}},
		{"7.3", "arm64", []string{"linux-binary-7.3.4+deb13-arm64", "linux-binary-unsigned-7.3.4+deb13-arm64"}},
		// 7.0: only signed images, every point release.
		{"7.0", "amd64", []string{"linux-binary-7.0.10+deb13-cloud-amd64", "linux-binary-7.0.12+deb13-cloud-amd64",
			"linux-binary-7.0.13+deb13-cloud-amd64", "linux-binary-7.0.4+deb13-cloud-amd64",
			"linux-binary-7.0.7+deb13-cloud-amd64", "linux-binary-7.0.9+deb13-cloud-amd64"}},
		// 6.18 has neither naming in backports (its linux-image-* are signed
		// images without -unsigned), and 6.1 must not match 6.16 to 6.19.
		{"6.18", "amd64", nil},
		{"6.1", "amd64", nil},
	}
	for _, tt := range tests {
		got := parseAptSearch(search, kernelPackageRE(tt.series, tt.arch))
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s/%s: got %q\nwant %q", tt.series, tt.arch, got, tt.want)
		}
	}
	pol := parseAptPolicy(readTestdata(t, "apt-cache-policy-trixie-backports.txt"))
	if v := pol["linux-binary-unsigned-7.3.4+deb13-arm64:arm64"]; v != "7.3.4-1~bpo13+1" {
		t.Errorf("backports policy: arm64 7.3 candidate %q, want 7.3.4-1~bpo13+1 (%v)", v, pol)
	}
	best, _ := pickNewest([]pkgCandidate{
		{"linux-binary-7.0.13+deb13-cloud-amd64", pol["linux-binary-7.0.13+deb13-cloud-amd64"]},
		{"linux-binary-7.0.12+deb13-cloud-amd64", pol["linux-binary-7.0.12+deb13-cloud-amd64"]},
	})
	if best.Name != "linux-binary-7.0.13+deb13-cloud-amd64" {
		t.Errorf("pickNewest chose %v, want 7.0.13 (7.0.12-2 is an older upstream release)", best)
	}
	best, _ = pickNewest([]pkgCandidate{
		{"linux-binary-7.3.4+deb13-cloud-amd64", pol["linux-binary-7.3.4+deb13-cloud-amd64"]},
		{"linux-binary-unsigned-7.3.4+deb13-cloud-amd64", pol["linux-binary-unsigned-7.3.4+deb13-cloud-amd64"]},
	})
	if best.Name != "linux-binary-unsigned-7.3.4+deb13-cloud-amd64" {
		t.Errorf("same version signed and unsigned: chose %v, want the unsigned one", best)
	}
}

func TestKernelFromBackports(t *testing.T) {
	for s, want := range map[string]bool{"6.1": false, "6.12": false, "6.15": false, "6.16": true, "6.19": true, "7.0": true, "7.3": true, "host": false} {
		if got := kernelFromBackports(s); got != want {
			t.Errorf("kernelFromBackports(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestKernelImageLayouts(t *testing.T) {
	mk := func(files ...string) string {
		x := t.TempDir()
		for _, f := range files {
			os.MkdirAll(filepath.Join(x, filepath.Dir(f)), 0o755)
			os.WriteFile(filepath.Join(x, f), []byte(f), 0o644)
		}
		return x
	}
	tests := []struct {
		files             []string
		vmlinuz, rel, cfg string // relative to the package root; "" none
		err               bool
	}{
		{files: []string{"boot/vmlinuz-6.1.0-57-arm64", "boot/config-6.1.0-57-arm64", "boot/System.map-6.1.0-57-arm64", "lib/modules/6.1.0-57-arm64/modules.dep"},
			vmlinuz: "boot/vmlinuz-6.1.0-57-arm64", rel: "6.1.0-57-arm64", cfg: "boot/config-6.1.0-57-arm64"},
		{files: []string{"usr/lib/modules/7.3.4+deb13-cloud-amd64/vmlinuz.unsigned"},
			vmlinuz: "usr/lib/modules/7.3.4+deb13-cloud-amd64/vmlinuz.unsigned", rel: "7.3.4+deb13-cloud-amd64"},
		{files: []string{"usr/lib/modules/7.3.4+deb13-arm64/vmlinuz.unsigned", "usr/lib/modules/7.3.4+deb13-arm64/config"},
			vmlinuz: "usr/lib/modules/7.3.4+deb13-arm64/vmlinuz.unsigned", rel: "7.3.4+deb13-arm64", cfg: "usr/lib/modules/7.3.4+deb13-arm64/config"},
		{files: []string{"boot/vmlinuz-7.0.13+deb13-cloud-amd64"}, vmlinuz: "boot/vmlinuz-7.0.13+deb13-cloud-amd64", rel: "7.0.13+deb13-cloud-amd64"},
		{files: []string{"usr/share/doc/linux-image-7.3.4+deb13-cloud-amd64/copyright"}, err: true}, // dependency-only package
		{files: []string{"boot/vmlinuz-7.0.13+deb13-cloud-amd64", "usr/lib/modules/7.3.4+deb13-cloud-amd64/vmlinuz.unsigned"}, err: true},
	}
	for _, tt := range tests {
		x := mk(tt.files...)
		vm, cfg, rel, err := kernelImage(x)
		if tt.err {
			if err == nil {
				t.Errorf("%v: found %s, want an error", tt.files, vm)
			}
			continue
		}
		wantCfg := ""
		if tt.cfg != "" {
			wantCfg = filepath.Join(x, tt.cfg)
		}
		if err != nil || vm != filepath.Join(x, tt.vmlinuz) || rel != tt.rel || cfg != wantCfg {
			t.Errorf("%v: got %s %s %s %v; want %s %s %s", tt.files, vm, rel, cfg, err, tt.vmlinuz, tt.rel, tt.cfg)
		}
	}
}

// TestKernelStoreBackports: a 7.x kernel comes from trixie-backports through
// the runner's private apt state only (the machine's sources, lists and
// dpkg architectures untouched), in either naming, cached as boot/vmlinuz-*.
func TestKernelStoreBackports(t *testing.T) {
	calls := fakeAptTools(t, "") // the machine has no arm64
	cache := t.TempDir()
	s := &kernelStore{cacheDir: cache, log: io.Discard, root: true}
	ctx := context.Background()
	for _, tt := range []struct{ series, arch, pkg, rel string }{
		{"7.3", "amd64", "linux-binary-unsigned-7.3.4+deb13-cloud-amd64", "7.3.4+deb13-cloud-amd64"},
		{"7.3", "arm64", "linux-binary-unsigned-7.3.4+deb13-arm64", "7.3.4+deb13-arm64"},
		{"7.0", "amd64", "linux-binary-7.0.13+deb13-cloud-amd64", "7.0.13+deb13-cloud-amd64"},
	} {
		k, err := s.Get(ctx, tt.series, tt.arch)
		if err != nil {
			t.Fatalf("%s/%s: %v", tt.series, tt.arch, err)
		}
		wantVM := filepath.Join(cache, "kernels", tt.arch, tt.pkg+"_"+tt.rel[:strings.Index(tt.rel, "+")]+"-1~bpo13+1", "boot", "vmlinuz-"+tt.rel)
		if k.Package != tt.pkg || k.Release != tt.rel || k.Vmlinuz != wantVM || !fileExists(k.Vmlinuz) || k.Config != "" {
			t.Errorf("%s/%s: got %+v; want %s, %s", tt.series, tt.arch, k, tt.pkg, wantVM)
		}
	}
	log, _ := os.ReadFile(calls)
	private := "-o Dir::Etc::SourceParts=" + filepath.Join(cache, "apt", "sources.list.d")
	for _, want := range []string{
		"apt-get update -q -o Dir::Etc::SourceList=" + filepath.Join(cache, "apt", "sources.list") + " " + private,
		"APT::Architectures::=amd64 -o APT::Architectures::=arm64",
		"apt-cache search --names-only -o Dir::Etc::SourceList=",
		"apt-cache policy -o Dir::Etc::SourceList=",
		"apt-get download -q -o Dir::Etc::SourceList=",
	} {
		if !strings.Contains(string(log), want) {
			t.Errorf("missing %q in:\n%s", want, log)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(string(log)), "\n") {
		if strings.HasPrefix(line, "apt") && !strings.Contains(line, private) {
			t.Errorf("apt call without the private state: %s", line)
		}
		if strings.HasPrefix(line, "dpkg --add-architecture") {
			t.Errorf("the machine's dpkg was changed: %s", line)
		}
	}
	if n := strings.Count(string(log), "apt-get update"); n != 1 {
		t.Errorf("%d private apt-get updates, want 1 per run", n)
	}
	src, err := os.ReadFile(filepath.Join(cache, "apt", "sources.list.d", "debian-trixie-backports.sources"))
	if err != nil || !strings.Contains(string(src), "Suites: trixie-backports\n") ||
		!strings.Contains(string(src), "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n") {
		t.Errorf("private sources = %q, %v", src, err)
	}

	// Offline: the update fails; the lists of the earlier run still answer.
	bin := t.TempDir()
	os.WriteFile(filepath.Join(bin, "apt-get"), []byte("#!/bin/sh\nexit 1\n"), 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	var msgs strings.Builder
	s = &kernelStore{cacheDir: cache, log: &msgs, root: true}
	if k, err := s.Get(ctx, "7.3", "amd64"); err != nil || k.Package != "linux-binary-unsigned-7.3.4+deb13-cloud-amd64" {
		t.Fatalf("offline Get = %+v, %v", k, err)
	}
	if !strings.Contains(msgs.String(), "using the trixie-backports lists of an earlier run") {
		t.Errorf("offline update not reported: %q", msgs.String())
	}
	// No lists at all and no cache: a clear error.
	s = &kernelStore{cacheDir: t.TempDir(), log: io.Discard, root: true}
	if _, err := s.Get(ctx, "7.1", "amd64"); err == nil || !strings.Contains(err.Error(), "trixie-backports package lists") {
		t.Errorf("no lists, no cache: err = %v", err)
	}
}
