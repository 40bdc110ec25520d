//go:build linux

package unveil

import (
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
