package main

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/elfdeps"
	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
	uv "github.com/pledgekit/pledgekit/unveil"
)

// The veil: on by default as pledge.com applies it, scoped, and made of
// unveil's letters (issues #15, #13 item 2, #17).

// TestDefaultVeil: without -v, only the program's own files are visible;
// -v adds a path; -V turns the veil off.
func TestDefaultVeil(t *testing.T) {
	needKernel(t)
	cat := need(t, "cat")
	f := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(f, []byte("secret"), 0o644)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			r := inMode(t, m.pre, "-p", "stdio rpath", "--", cat, f)
			if r.code == 0 || strings.Contains(r.stdout, "secret") || !strings.Contains(r.stderr, "Permission denied") {
				t.Errorf("read outside the default veil: %v", r)
			}
			r = inMode(t, m.pre, "-p", "stdio rpath", "-v", f, "--", cat, f)
			wantOK(t, r)
			if r.stdout != "secret" {
				t.Errorf("-v: %v", r)
			}
			r = inMode(t, m.pre, "-V", "-p", "stdio rpath", "--", cat, f)
			wantOK(t, r)
			if r.stdout != "secret" {
				t.Errorf("-V: %v", r)
			}
		})
	}
}

// allPerms are the 16 permission strings made of r, w, x, c.
func allPerms() []string {
	var out []string
	for bits := 0; bits < 16; bits++ {
		var b strings.Builder
		for i, c := range "rwxc" {
			if bits&(1<<i) != 0 {
				b.WriteRune(c)
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TestPermLettersMatchLibrary: for every permission string, the command's
// rule for a -v directory, regular file or device carries the letters to
// unveil (the stage calls unveil.Ruleset.Unveil with them) and explains
// denials with exactly the rights unveil gives them, which are those of
// the letter table's rows (internal/llaccess). TestPermLettersEnforced
// compares what the kernel then enforces.
func TestPermLettersMatchLibrary(t *testing.T) {
	dir, file := t.TempDir(), filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	pr := &probe.Result{LandlockABI: 7}
	paths := []string{dir, file}
	if fi, err := os.Stat("/dev/null"); err == nil && fi.Mode()&fs.ModeDevice != 0 {
		paths = append(paths, "/dev/null")
	}
	for _, perm := range allPerms() {
		for _, path := range paths {
			p := &plan{rep: &report.Report{}, set: promises.Of(promises.Stdio, promises.Exec), prog: &elfdeps.Program{},
				loader: map[string]bool{}, chain: map[string]bool{}}
			c := &config{unveils: []unveilArg{{Path: path, Perm: perm}}}
			if err := p.layers(c, nil, pr, false); err != nil {
				t.Fatal(err)
			}
			up, err := uv.ParsePerm(perm)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(path)
			var got *pathRule
			for i := range p.veil.Paths {
				if p.veil.Paths[i].Path == path && p.veil.Paths[i].Unveil {
					got = &p.veil.Paths[i]
				}
			}
			if got == nil {
				t.Errorf("-v %s:%s: no rule", perm, path)
				continue
			}
			if !got.Unveil || got.Perm != up.String() || got.Access != up.FSRights(fi.Mode()) {
				t.Errorf("-v %s:%s: rule %+v; want unveil %q with rights %#x", perm, path, *got, up.String(), up.FSRights(fi.Mode()))
			}
			var rows uint64
			for _, l := range llaccess.Letters() {
				switch {
				case !strings.ContainsRune(perm, rune(l.Letter)):
				case fi.IsDir():
					rows |= l.Dir
				case fi.Mode()&fs.ModeDevice != 0:
					rows |= l.File | l.Device
				default:
					rows |= l.File
				}
			}
			if got.Access != rows {
				t.Errorf("-v %s:%s: rights %s, the letter table's rows %s", perm, path, llaccess.String(llaccess.FS, got.Access), llaccess.String(llaccess.FS, rows))
			}
			rs, err := p.veil.ruleset()
			if err != nil || rs == nil {
				t.Errorf("-v %s:%s: ruleset: %v", perm, path, err)
			}
		}
	}
	// c never grants device nodes; x grants reading.
	c, _ := uv.ParsePerm("c")
	if c.FSRights(fs.ModeDir)&(unix.LANDLOCK_ACCESS_FS_MAKE_CHAR|unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK) != 0 {
		t.Error("c grants device nodes")
	}
	x, _ := uv.ParsePerm("x")
	if x.FSRights(fs.ModeDir)&unix.LANDLOCK_ACCESS_FS_READ_FILE == 0 {
		t.Error("x does not grant reading")
	}
}

// TestPermLetters on the kernel: c makes a FIFO but not a device node (as
// root with its capabilities kept: the dpath filter refuses device nodes
// first, so the veil's own refusal, c without MAKE_CHAR, is checked by
// TestPermLettersMatchLibrary); x lets a
// file be read, and the report says so; permissions "" beneath an
// unveiled directory cannot be expressed (exit 20) and hide elsewhere.
func TestPermLetters(t *testing.T) {
	needKernel(t)
	sh := need(t, "sh")
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		mknod := need(t, "mknod")
		args := []string{"--keep-caps", "-p", "stdio rpath wpath cpath dpath", "-v", "rwc:" + dir, "--", mknod}
		r := unveil(t, append(args, filepath.Join(dir, "fifo"), "p")...)
		wantOK(t, r)
		r = unveil(t, append(args, filepath.Join(dir, "null"), "c", "1", "3")...)
		if r.code == 0 {
			t.Errorf("-v c: made a character device: %v", r)
		}
		if _, err := os.Stat(filepath.Join(dir, "null")); err == nil {
			t.Errorf("the device node exists")
		}
	}
	cat := need(t, "cat")
	f := filepath.Join(dir, "f")
	os.WriteFile(f, []byte("data"), 0o644)
	r := unveil(t, "--report", "-p", "stdio rpath exec", "-v", "x:"+dir, "--", cat, f)
	wantOK(t, r)
	if r.stdout != "data" {
		t.Errorf("-v x: not readable: %v", r)
	}
	if !regexp.MustCompile(`(?m)^landlock-fs\s+` + regexp.QuoteMeta(dir) + ` "x"\s+partial\s+.*x also allows reading`).MatchString(withNotes(r.stderr)) {
		t.Errorf("-v x: the report does not say x allows reading: %v", r)
	}
	r = unveil(t, "-p", "stdio rpath", "-v", "w:"+dir, "--", cat, f)
	if r.code == 0 || strings.Contains(r.stdout, "data") {
		t.Errorf("-v w: read: %v", r)
	}
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	r = unveil(t, "-v", "r:"+dir, "-v", ":"+sub, "--", sh, "-c", "true")
	if r.code != exitPath || !strings.Contains(r.stderr, "cannot be expressed") {
		t.Errorf("permissions \"\" beneath an unveiled directory: %v; want exit %d", r, exitPath)
	}
	r = unveil(t, "-v", ":"+sub, "--", sh, "-c", "true")
	wantOK(t, r)
}

// TestVeilScopes: under a veil the program cannot connect to an abstract
// unix socket made outside it, nor signal a process outside it; --no-scope
// and -V allow both (where the promises do); the report says which.
func TestVeilScopes(t *testing.T) {
	needKernel(t)
	py := need(t, "python3")
	if probe.Get().LandlockABI < 6 {
		r := unveil(t, "--report", "-p", "stdio rpath", "--", need(t, "true"))
		if !regexp.MustCompile(`(?m)^landlock-scope\s+scopes signal\+abstract_unix_socket \(default under a veil\)\s+dropped`).MatchString(r.stderr) {
			t.Errorf("below ABI 6 the report must say the scopes are dropped: %v", r)
		}
		t.Skipf("Landlock ABI %d has no scopes", probe.Get().LandlockABI)
	}
	name := fmt.Sprintf("pledgekit-scope-%d", os.Getpid())
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: "@" + name, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	connect := fmt.Sprintf("import socket\ntry:\n socket.socket(socket.AF_UNIX).connect('\\0%s'); print('connected')\nexcept OSError as e: print(e.errno)", name)
	base := []string{"-p", "stdio rpath unix", "-v", "/usr/lib"}
	r := unveil(t, append(append([]string{"--report"}, base...), "--", py, "-c", connect)...)
	if strings.TrimSpace(r.stdout) != strconv.Itoa(int(unix.EPERM)) {
		t.Errorf("connected to an outside abstract socket under a veil: %v", r)
	}
	if !regexp.MustCompile(`(?m)^landlock-scope\s+scopes signal\+abstract_unix_socket\s+enforced`).MatchString(r.stderr) {
		t.Errorf("the report does not show the scopes: %v", r)
	}
	for _, off := range [][]string{{"--no-scope"}, {"-V"}} {
		r = unveil(t, append(append(off, base...), "--", py, "-c", connect)...)
		if strings.TrimSpace(r.stdout) != "connected" {
			t.Errorf("%v: %v", off, r)
		}
	}

	nr := map[string]int{"amd64": 234, "arm64": 131}[runtime.GOARCH]
	if nr == 0 {
		t.Skipf("tgkill's number on %s is not in this test", runtime.GOARCH)
	}
	sleep := exec.Command(need(t, "sleep"), "30")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleep.Process.Kill()
	pid := sleep.Process.Pid
	tgkill := fmt.Sprintf("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.syscall(%d, %d, %d, 0), ctypes.get_errno())", nr, pid, pid)
	r = unveil(t, "-p", "stdio rpath", "-v", "/usr/lib", "--", py, "-c", tgkill)
	if strings.TrimSpace(r.stdout) != "-1 "+strconv.Itoa(int(unix.EPERM)) {
		t.Errorf("signalled an outside process under a veil without proc: %v", r)
	}
	// With proc, signals are not scoped (and the filter allows them).
	r = unveil(t, "--report", "-p", "stdio rpath proc", "-v", "/usr/lib", "--", py, "-c", tgkill)
	if strings.TrimSpace(r.stdout) != "0 0" || !regexp.MustCompile(`(?m)^landlock-scope\s+scopes abstract_unix_socket\s+enforced`).MatchString(r.stderr) {
		t.Errorf("with proc: %v", r)
	}
}

// TestVeilScopesPlanned: which scopes the veil asks for, on any kernel.
func TestVeilScopesPlanned(t *testing.T) {
	const sig, abs = llaccess.ScopeSignal, llaccess.ScopeAbstractUnixSocket
	for _, tc := range []struct {
		abi     int
		set     promises.Set
		noScope bool
		want    uint64
		dropped bool
	}{
		{7, promises.Of(promises.Stdio), false, sig | abs, false},
		{6, promises.Of(promises.Stdio, promises.Proc), false, abs, false},
		{7, promises.Of(promises.Stdio), true, 0, false},
		{5, promises.Of(promises.Stdio), false, 0, true},
		{2, promises.Of(promises.Stdio, promises.Proc), false, 0, true},
	} {
		p := &plan{rep: &report.Report{}, set: tc.set, prog: &elfdeps.Program{}, loader: map[string]bool{}, chain: map[string]bool{}}
		if err := p.layers(&config{noScope: tc.noScope}, nil, &probe.Result{LandlockABI: tc.abi}, false); err != nil {
			t.Fatal(err)
		}
		dropped := false
		for _, it := range p.rep.Items {
			dropped = dropped || it.Layer == report.LayerLandlockScope && it.Status == report.Dropped
		}
		if p.veil == nil || p.veil.Scoped != tc.want || dropped != tc.dropped {
			t.Errorf("ABI %d, %q, --no-scope %v: scoped %#x dropped %v; want %#x %v (%+v)", tc.abi, tc.set.String(), tc.noScope, p.veil.Scoped, dropped, tc.want, tc.dropped, p.rep.Items)
		}
	}
}

// TestUnixPathItems: unveil's "unix sockets by path" item is settled by
// the filter only where no promise lets a unix datagram reach a path
// (inet, dns, route and sendfd do, through socketpair's socket); there,
// the command says so itself below Landlock ABI 9.
func TestUnixPathItems(t *testing.T) {
	if !probe.Get().Seccomp {
		t.Skip("no seccomp: no filter settles anything")
	}
	tr := need(t, "true")
	lib := report.Report{Items: []report.Item{{Layer: report.LayerLandlockFS, What: "unix sockets by path", Status: report.Partial}}}
	for _, tc := range []struct {
		promises string
		moot     bool
	}{{"stdio rpath", true}, {"stdio rpath inet", false}, {"stdio rpath unix", false}, {"stdio sendfd", false}} {
		p, err := buildPlan(&config{argv: []string{tr}, promises: []string{tc.promises}, promisesSet: true}, modeDirect)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.settle(lib).Items[0].Status == report.NoEffect; got != tc.moot {
			t.Errorf("%q: settled %v, want %v", tc.promises, got, tc.moot)
		}
		item := false
		for _, it := range p.rep.Items {
			item = item || it.What == "unix datagrams by path" && it.Status == report.Partial
		}
		set, _ := promises.Parse(tc.promises)
		if want := promises.UnixDatagramsByPath.In(set, runtime.GOARCH) && probe.Get().LandlockABI < 9; item != want {
			t.Errorf("%q: datagram item %v, want %v: %+v", tc.promises, item, want, p.rep.Items)
		}
	}
}
