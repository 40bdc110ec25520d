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
