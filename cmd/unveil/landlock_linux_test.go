package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/probe"
)

// The Landlock layers the command builds, each enforced by the kernel:
// Landlock Config rules from a policy file, the exec and read restrictions
// that emulate absent promises, and IPC scopes. Both ways of running are
// covered: supervised (a re-executed stage applies the plan) and direct
// (-q: unveil applies it itself).

func writePolicy(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Landlock Config path_beneath rules: what they allow works, nothing else
// does.
func TestPolicyPathBeneath(t *testing.T) {
	needKernel(t)
	cat, cp := need(t, "cat"), need(t, "cp")
	base := t.TempDir()
	in, out, other := filepath.Join(base, "in"), filepath.Join(base, "out"), filepath.Join(base, "other")
	for _, d := range []string{in, out, other} {
		os.Mkdir(d, 0o755)
		os.WriteFile(filepath.Join(d, "f"), []byte("content of "+filepath.Base(d)), 0o644)
	}
	pol := writePolicy(t, "ll.toml", fmt.Sprintf(`abi = 3

[[ruleset]]
handled_access_fs = ["abi.all"]

[[path_beneath]]
allowed_access = ["abi.read_execute"]
parent = [%q]

[[path_beneath]]
allowed_access = ["abi.read_write"]
parent = [%q]
`, in, out))
	for _, mode := range []string{"supervised", "direct"} {
		t.Run(mode, func(t *testing.T) {
			var pre []string
			if mode == "direct" {
				pre = []string{"-q"}
			}
			run := func(promises string, argv ...string) result {
				return unveil(t, append(append(pre, "-p", promises, "--policy", pol, "--"), argv...)...)
			}
			r := run("stdio rpath", cat, filepath.Join(in, "f"))
			wantOK(t, r)
			if r.stdout != "content of in" {
				t.Errorf("read beneath a read rule: %q", r.stdout)
			}
			r = run("stdio rpath", cat, filepath.Join(other, "f"))
			if r.code == 0 || strings.Contains(r.stdout, "content") {
				t.Errorf("read outside every rule: %v", r)
			}
			r = run("stdio rpath wpath cpath fattr", cp, filepath.Join(in, "f"), filepath.Join(out, mode))
			wantOK(t, r)
			if b, _ := os.ReadFile(filepath.Join(out, mode)); string(b) != "content of in" {
				t.Errorf("copy beneath a write rule holds %q", b)
			}
			r = run("stdio rpath wpath cpath fattr", cp, filepath.Join(in, "f"), filepath.Join(in, mode))
			if r.code == 0 {
				t.Errorf("write beneath a read rule: %v", r)
			}
			if _, err := os.Stat(filepath.Join(in, mode)); err == nil {
				t.Errorf("the file was created beneath a read rule")
			}
		})
	}
}

// Without the exec promise only the program (its chain: interpreter,
// loader) may be executed; Landlock enforces that, in both modes.
func TestExecLayer(t *testing.T) {
	needKernel(t)
	sh, tr := need(t, "sh"), need(t, "true")
	script := tr + "; echo status $?"
	for _, mode := range []string{"supervised", "direct"} {
		t.Run(mode, func(t *testing.T) {
			var pre []string
			if mode == "direct" {
				pre = []string{"-q"}
			}
			// (The default veil: true is unveiled with x.)
			r := unveil(t, append(pre, "-p", "stdio rpath proc exec", "-v", "rx:"+tr, "--", sh, "-c", script)...)
			wantOK(t, r)
			if strings.TrimSpace(r.stdout) != "status 0" {
				t.Errorf("with exec: %v", r)
			}
			r = unveil(t, append(pre, "-p", "stdio rpath proc", "-v", "rx:"+tr, "--", sh, "-c", script)...)
			if !strings.Contains(r.stdout, "status 126") && !strings.Contains(r.stdout, "status 127") && r.code == 0 {
				t.Errorf("without exec, %s ran: %v", tr, r)
			}
			if strings.Contains(r.stdout, "status 0") {
				t.Errorf("without exec, %s ran: %v", tr, r)
			}
		})
	}
}

// The exec restriction is its own layer only where the veil does not
// already restrict executing as narrowly (llLayer.covers): under the
// default veil, which lets only the program chain execute, it is left out;
// beside a policy rule that allows executing beneath a directory, or
// without a veil (-V), it stays. Both ways on the kernel, in direct mode
// (Landlock alone refuses there): the program chain runs, another program
// is refused, a file the veil lets be read is read.
func TestExecLayerCovered(t *testing.T) {
	needKernel(t)
	sh, tr := need(t, "sh"), need(t, "true")
	dir := t.TempDir()
	b, err := os.ReadFile(tr)
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(dir, "true")
	if err := os.WriteFile(own, b, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "data")
	os.WriteFile(data, []byte("readable"), 0o644)
	pol := writePolicy(t, "x.toml", fmt.Sprintf(`abi = 1

[[ruleset]]
handled_access_fs = ["abi.all"]

[[path_beneath]]
allowed_access = ["abi.read_execute"]
parent = [%q]
`, dir))
	layers := func(args ...string) []string {
		t.Helper()
		c, err := parseArgs(args, options)
		if err != nil {
			t.Fatal(err)
		}
		p, err := buildPlan(c, modeDirect)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, l := range p.Layers {
			names = append(names, l.Name)
		}
		return names
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-q", "-p", "stdio rpath proc", "-v", "r:" + data, "--", sh}, "veil"},
		{[]string{"-q", "-p", "stdio rpath proc", "-v", "rx:" + dir, "--", sh}, "veil"}, // x needs exec: r only
		{[]string{"-q", "-p", "stdio rpath proc", "--policy", pol, "--", sh}, "veil promises"},
		{[]string{"-q", "-p", "stdio proc", "--", sh}, "veil"},                             // reading too
		{[]string{"-q", "-p", "stdio proc", "-v", "r:" + data, "--", sh}, "veil promises"}, // the veil lets data be read
		{[]string{"-q", "-p", "stdio rpath proc exec", "--policy", pol, "--", sh}, "veil"},
	} {
		if got := strings.Join(layers(tc.args...), " "); got != tc.want {
			t.Errorf("%q: layers %q, want %q", tc.args, got, tc.want)
		}
	}

	script := own + "; echo status $?; read l < " + data + "; echo $l"
	run := func(args ...string) result {
		return unveil(t, append(append([]string{"-q"}, args...), "--", sh, "-c", script)...)
	}
	// The veil alone: sh (the chain) runs, another program does not.
	r := run("-p", "stdio rpath proc", "-v", "r:"+data, "-v", "r:"+dir)
	if !strings.Contains(r.stdout, "status 126") || strings.Contains(r.stdout, "status 0") || !strings.Contains(r.stdout, "readable") {
		t.Errorf("veil alone: want %s refused (126) and %s read: %v", own, data, r)
	}
	// The veil allows executing beneath dir, the exec layer does not.
	r = run("-p", "stdio rpath proc", "--policy", pol, "-v", "r:"+data)
	if !strings.Contains(r.stdout, "status 126") || strings.Contains(r.stdout, "status 0") || !strings.Contains(r.stdout, "readable") {
		t.Errorf("policy allows executing, no exec promise: want %s refused (126) and %s read: %v", own, data, r)
	}
	// With exec, the veil's rule lets it run.
	r = run("-p", "stdio rpath proc exec", "--policy", pol, "-v", "r:"+data)
	if !strings.Contains(r.stdout, "status 0") || !strings.Contains(r.stdout, "readable") {
		t.Errorf("policy allows executing, exec promised: want %s run and %s read: %v", own, data, r)
	}
	// The veil lets data be read, the read restriction (no rpath) does
	// not: the loader's files are read, data is not.
	cat := need(t, "cat")
	r = unveil(t, "-q", "-p", "stdio", "-v", "r:"+data, "--", cat, data)
	if r.code == 0 || strings.Contains(r.stdout, "readable") || !strings.Contains(r.stderr, "Permission denied") {
		t.Errorf("-v r:%s without rpath: want Landlock's EACCES: %v", data, r)
	}
	r = unveil(t, "-q", "-p", "stdio rpath", "-v", "r:"+data, "--", cat, data)
	if r.code != 0 || r.stdout != "readable" {
		t.Errorf("-v r:%s with rpath: want it read: %v", data, r)
	}
	// Supervised, the read restriction the supervisor consults is the
	// veil when it covers the layer (-p stdio alone): cat starts (its
	// loader reads its files), the file is refused.
	r = unveil(t, "-p", "stdio", "--", cat, data)
	if r.code == 0 || strings.Contains(r.stdout, "readable") || !strings.Contains(r.stderr, `needs promise "rpath"`) || !strings.Contains(r.stderr, cat+": ") {
		t.Errorf("supervised, -p stdio: want cat to start and %s refused: %v", data, r)
	}
}

// A dynamic program without rpath reads only what its loader needs.
func TestReadLayer(t *testing.T) {
	needKernel(t)
	cat := need(t, "cat")
	f := filepath.Join(t.TempDir(), "f")
	os.WriteFile(f, []byte("secret"), 0o644)
	r := unveil(t, "-q", "-p", "stdio", "--", cat, f)
	if r.code == 0 || strings.Contains(r.stdout, "secret") {
		t.Errorf("read without rpath: %v", r)
	}
	if !strings.Contains(r.stderr, "Permission denied") {
		t.Errorf("want Landlock's EACCES (the filter lets read-only opens through for the loader): %v", r)
	}
	r = unveil(t, "-q", "-p", "stdio rpath", "-v", f, "--", cat, f)
	wantOK(t, r)
	if r.stdout != "secret" {
		t.Errorf("read with rpath: %v", r)
	}
}

// Landlock Config scopes: a signal to a process outside the sandbox (the
// program's parent) is refused, one to itself is not.
func TestPolicyScopes(t *testing.T) {
	needKernel(t)
	if probe.Get().LandlockABI < 6 {
		t.Skip("scopes need Landlock ABI 6")
	}
	sh := need(t, "sh")
	pol := writePolicy(t, "scoped.json", `{"abi": 6, "ruleset": [{"scoped": ["abi.all"]}]}`)
	script := "kill -0 $$; echo self $?; kill -0 $PPID; echo parent $?"
	for _, mode := range []string{"supervised", "direct"} {
		t.Run(mode, func(t *testing.T) {
			var pre []string
			if mode == "direct" {
				pre = []string{"-q"}
			}
			r := unveil(t, append(pre, "-p", "stdio rpath proc", "--", sh, "-c", script)...)
			if !strings.Contains(r.stdout, "self 0") || !strings.Contains(r.stdout, "parent 0") {
				t.Errorf("without scopes: %v", r)
			}
			r = unveil(t, append(pre, "-p", "stdio rpath proc", "--policy", pol, "--", sh, "-c", script)...)
			if !strings.Contains(r.stdout, "self 0") || !strings.Contains(r.stdout, "parent 1") {
				t.Errorf("with the signal scope: %v", r)
			}
		})
	}
}

// A layer with rights the command does not know is an error, not a
// ruleset that silently handles less.
func TestLayerRulesetUnknownRights(t *testing.T) {
	for _, l := range []llLayer{
		{Name: "fs", HandledFS: 1 << 40},
		{Name: "net", HandledNet: 1 << 20},
		{Name: "scope", Scoped: 1 << 10},
	} {
		if l.Name == "fs" {
			l.Paths = []pathRule{{Path: "/", Access: 1 << 40}}
		}
		if _, err := l.ruleset(); err == nil {
			t.Errorf("layer %+v: no error", l)
		}
	}
	l := llLayer{Name: "ok", HandledFS: llaccess.FSReadFile, HandledNet: llaccess.NetConnectTCP, Scoped: llaccess.ScopeSignal,
		Paths: []pathRule{{Path: "/etc", Access: llaccess.FSReadFile | llaccess.FSWriteFile}}, Ports: []portRule{{Port: 443, Access: llaccess.NetConnectTCP}}}
	if _, err := l.ruleset(); err != nil {
		t.Errorf("layer %+v: %v", l, err)
	}
}
