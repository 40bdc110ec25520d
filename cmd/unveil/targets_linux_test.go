package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Programs the tests build themselves: a static Go program (CGO_ENABLED=0)
// and, when musl-gcc is installed (Debian package musl-tools), a musl C
// program, dynamic and static. Each is built once per test binary.

var (
	buildMu    sync.Mutex
	buildCache = map[string]string{}
	buildErrs  = map[string]error{}
)

// built builds a target once and returns its path; a failed build fails
// every test that needs it.
func built(t *testing.T, key string, build func(out string) *exec.Cmd) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := buildCache[key]; ok {
		if err := buildErrs[key]; err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := filepath.Join(filepath.Dir(unveilBin), key)
	cmd := build(out)
	b, err := cmd.CombinedOutput()
	buildCache[key] = out
	if err != nil {
		buildErrs[key] = err
		t.Fatalf("building %s: %v\n%s", key, err, b)
	}
	return out
}

// goTarget is testdata/gotarget built statically.
func goTarget(t *testing.T) string {
	t.Helper()
	if os.Getenv("PLEDGEKIT_MATRIX") != "" {
		// The kernel matrix builds it next to the test binary (its cells
		// run outside the module, most without a Go toolchain).
		prebuilt := filepath.Join(filepath.Dir(os.Args[0]), "gotarget")
		if _, err := os.Stat(prebuilt); err != nil {
			t.Skipf("kernel matrix: no prebuilt gotarget next to the test binary: %v", err)
		}
		return prebuilt
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("builds a Go program, and go is not installed here (the kernel matrix's guests have none)")
	}
	return built(t, "gotarget", func(out string) *exec.Cmd {
		cmd := exec.Command("go", "build", "-o", out, "./testdata/gotarget")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		return cmd
	})
}

// muslTarget is testdata/ctarget/target.c built with musl-gcc.
func muslTarget(t *testing.T, static bool) string {
	t.Helper()
	cc, err := exec.LookPath("musl-gcc")
	if err != nil {
		t.Skip("musl-gcc is not installed (apt-get install musl-tools)")
	}
	key, flags := "ctarget-musl", []string{"-O2"}
	if static {
		key, flags = "ctarget-musl-static", []string{"-O2", "-static"}
	}
	return built(t, key, func(out string) *exec.Cmd {
		return exec.Command(cc, append(flags, "-o", out, "testdata/ctarget/target.c")...)
	})
}

func fileKind(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("file", "-b", path).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// targetCase runs one built program under a tight policy and one step
// outside it, supervised and direct (-q).
func targetCase(t *testing.T, prog string) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.WriteFile(in, []byte("inside"), 0o644)
	outDir, other := filepath.Join(dir, "out"), filepath.Join(dir, "other")
	os.Mkdir(outDir, 0o755)
	os.Mkdir(other, 0o755)
	secret := filepath.Join(other, "secret")
	os.WriteFile(secret, []byte("secret"), 0o644)
	for _, mode := range []string{"supervised", "direct"} {
		t.Run(mode, func(t *testing.T) {
			var pre []string
			if mode == "direct" {
				pre = []string{"-q"}
			}
			run := func(args ...string) result {
				t.Helper()
				return unveil(t, append(append([]string(nil), pre...), args...)...)
			}
			// Allowed: read an unveiled file, write into an unveiled
			// directory.
			r := run("-p", "stdio rpath wpath cpath", "-v", "r:"+in, "-v", "rwc:"+outDir, "--", prog,
				"read", in, "write", filepath.Join(outDir, "f"))
			wantOK(t, r)
			if r.stdout != "inside" {
				t.Errorf("stdout %q", r.stdout)
			}
			if b, _ := os.ReadFile(filepath.Join(outDir, "f")); string(b) != "x" {
				t.Errorf("the write left %q", b)
			}
			// Without rpath: no file can be opened, veil or not. (A
			// static program has no loader, so nothing is read on its
			// behalf.)
			for _, veil := range [][]string{nil, {"-v", "r:" + dir}} {
				args := append(append([]string{"-p", "stdio"}, veil...), "--", prog, "read", secret)
				r = run(args...)
				if r.code == 0 || strings.Contains(r.stdout, "secret") {
					t.Errorf("read without rpath (%v): %v", veil, r)
				}
			}
			if mode == "supervised" && !strings.Contains(unveil(t, "-p", "stdio", "--", prog, "read", secret).stderr, `needs promise "rpath"`) {
				t.Errorf("the refusal does not name rpath")
			}
			// Outside the veil: refused by Landlock.
			r = run("-p", "stdio rpath", "-v", "r:"+in, "--", prog, "read", secret)
			if r.code == 0 || strings.Contains(r.stdout, "secret") {
				t.Errorf("read outside the veil: %v", r)
			}
			r = run("-p", "stdio rpath wpath cpath", "-v", "r:"+in, "-v", "rwc:"+outDir, "--", prog, "write", filepath.Join(other, "f"))
			if _, err := os.Stat(filepath.Join(other, "f")); r.code == 0 || err == nil {
				t.Errorf("write outside the veil: %v", r)
			}
			// Without wpath/cpath the write is refused by seccomp.
			r = run("-p", "stdio rpath", "--", prog, "write", filepath.Join(outDir, "g"))
			if _, err := os.Stat(filepath.Join(outDir, "g")); r.code == 0 || err == nil {
				t.Errorf("write without wpath cpath: %v", r)
			}
			// Without exec, no shell.
			r = run("-p", "stdio rpath", "--", prog, "exec", need(t, "sh"))
			if r.code == 0 {
				t.Errorf("exec without the exec promise: %v", r)
			}
		})
	}
}

// TestStaticGo: a static Go program (no ELF interpreter, no libraries).
func TestStaticGo(t *testing.T) {
	needKernel(t)
	if testing.Short() {
		t.Skip("-short: builds a Go program")
	}
	prog := goTarget(t)
	if k := fileKind(t, prog); k != "" && !strings.Contains(k, "statically linked") {
		t.Fatalf("%s is not static: %s", prog, k)
	}
	targetCase(t, prog)
	// Go's own network dial: no inet, no socket.
	r := unveil(t, "-p", "stdio rpath", "--", prog, "tcp", "127.0.0.1:9")
	wantDenied(t, r, "socket(AF_INET", "inet")
}

// TestMusl: the same program linked against musl, dynamically (musl's
// loader /lib/ld-musl-*.so.1, which reads /etc/ld-musl-*.path) and
// statically.
func TestMusl(t *testing.T) {
	needKernel(t)
	if testing.Short() {
		t.Skip("-short: builds C programs")
	}
	for _, static := range []bool{false, true} {
		name := map[bool]string{false: "dynamic", true: "static"}[static]
		t.Run(name, func(t *testing.T) {
			prog := muslTarget(t, static)
			k := fileKind(t, prog)
			if static && k != "" && !strings.Contains(k, "statically linked") {
				t.Fatalf("%s is not static: %s", prog, k)
			}
			if !static && k != "" && !strings.Contains(k, "ld-musl") {
				t.Fatalf("%s does not use musl's loader: %s", prog, k)
			}
			targetCase(t, prog)
		})
	}
}
