//go:build linux

package unveil

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

func copyFile(src, dst string, mode os.FileMode) {
	b, err := os.ReadFile(src)
	ok(err, "read "+src)
	ok(os.WriteFile(dst, b, mode), "write "+dst)
	ok(os.Chmod(dst, mode), "chmod "+dst)
}

func run(path string) error { return exec.Command(path).Run() }

func TestExec(t *testing.T) {
	needLandlock(t, 1)
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1)")
	}
	scenario(t, func(base string) {
		rx := mkdir(base, "rx")
		rw := mkdir(base, "rw")
		xonly := mkdir(base, "xonly")
		copyFile(truePath, filepath.Join(rx, "true"), 0o755)
		copyFile(truePath, filepath.Join(rw, "true"), 0o755)
		copyFile(truePath, filepath.Join(xonly, "true"), 0o755)
		copyFile(truePath, filepath.Join(xonly, "other"), 0o755)
		copyFile(truePath, filepath.Join(xonly, "ronly"), 0o755)
		ok(run(filepath.Join(rw, "true")), "exec before the ruleset")

		r := New()
		ok(r.Unveil("/usr", "rx"), "unveil /usr") // binaries, ld.so, libc (/lib64 -> usr/lib64)
		ok(r.Unveil("/etc/ld.so.cache", "r"), "unveil ld.so.cache")
		ok(r.Unveil(rx, "rx"), "unveil rx")
		ok(r.Unveil(rw, "rw"), "unveil rw")
		ok(r.Unveil(filepath.Join(xonly, "true"), "x"), "unveil one file x")
		ok(r.Unveil(filepath.Join(xonly, "ronly"), "r"), "unveil one file r")
		r.Implied(promises.Of(promises.Stdio)) // os/exec opens /dev/null
		rep := commitOK(r)
		if it, _ := item(rep, filepath.Join(xonly, "true")); it.Status != report.Partial || !strings.Contains(it.Reason, "x also allows reading") {
			fatalf("x-only file not reported as partial: %+v\n%s", it, rep)
		}
		if it, _ := item(rep, rx); it.Status != report.Enforced {
			fatalf("rx directory: %+v", it)
		}

		ok(run(truePath), "exec "+truePath)
		ok(run(filepath.Join(rx, "true")), "exec in rx")
		ok(run(filepath.Join(xonly, "true")), "exec a file unveiled x")
		denied(run(filepath.Join(rw, "true")), "exec in rw")
		denied(run(filepath.Join(xonly, "other")), "exec a sibling of a file unveiled x")
		denied(run(filepath.Join(xonly, "ronly")), "exec a file unveiled r")
		// What the report says: x without r lets the file be read too.
		readOK(filepath.Join(xonly, "true"))
		readDenied(filepath.Join(xonly, "other"))
	})
}

// dynamicTrue returns true(1) if it is a dynamically linked ELF program,
// with its PT_INTERP; the test skips otherwise.
func dynamicTrue(t *testing.T) (path, interp string) {
	t.Helper()
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Skip("no true(1)")
	}
	f, err := elf.Open(truePath)
	if err != nil {
		t.Skipf("%s is not ELF: %v", truePath, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			return truePath, strings.TrimRight(string(b), "\x00")
		}
	}
	t.Skipf("%s is statically linked", truePath)
	return "", ""
}

// Unveil(program, "x") covers the program's ELF interpreter, which the
// kernel executes too, as OpenBSD's x does (issue #15); a patched program
// whose PT_INTERP names a file that is not ELF gets nothing for it.
func TestUnveilXAddsInterpreter(t *testing.T) {
	needLandlock(t, 1)
	truePath, interp := dynamicTrue(t)
	realInterp, err := filepath.EvalSymlinks(interp)
	if err != nil {
		t.Skipf("interpreter %s: %v", interp, err)
	}
	// A secret at a path as long as the interpreter's, for the patched copy.
	secretDir, err := os.MkdirTemp("", "p")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(secretDir)
	pad := len(interp) - len(secretDir) - 1
	if pad < 1 {
		t.Skipf("temporary directory %s too long to patch %s", secretDir, interp)
	}
	secret := filepath.Join(secretDir, strings.Repeat("s", pad))
	if err := os.WriteFile(secret, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	scenario(t, func(base string) {
		prog := filepath.Join(mkdir(base, "bin"), "true")
		copyFile(truePath, prog, 0o755)
		b, err := os.ReadFile(truePath)
		ok(err, "read true")
		i := strings.Index(string(b), interp+"\x00")
		if i < 0 {
			fatalf("PT_INTERP %q not found in %s", interp, truePath)
		}
		patched := filepath.Join(base, "bin", "patched")
		copy(b[i:], secret)
		ok(os.WriteFile(patched, b, 0o755), "write the patched copy")

		ok(Unveil(prog, "x"), "unveil the program x")
		ok(Unveil(patched, "x"), "unveil the patched program x")
		ok(Unveil("/usr/lib", "r"), "unveil the libraries r")
		ok(Unveil("/etc/ld.so.cache", "r"), "unveil the loader cache")
		rep, err := Block()
		ok(err, "UnveilBlock")
		it, found := item(rep, realInterp+` "x" (ELF interpreter of `+prog)
		if !found || it.Status == report.Dropped || !strings.Contains(it.Reason, "x also allows reading") {
			fatalf("interpreter item %+v\n%s", it, rep)
		}
		it, found = item(rep, `ELF interpreter of `+patched)
		if !found || it.Status != report.NoEffect || !strings.Contains(it.Reason+it.Detail, "not an executable ELF file") || strings.Contains(rep.String(), secret+` "x"`) {
			fatalf("the patched PT_INTERP: %+v\n%s", it, rep)
		}
		ok(exec.Command(prog).Run(), "execute the program unveiled x")
		readDenied(secret)
	})
}
