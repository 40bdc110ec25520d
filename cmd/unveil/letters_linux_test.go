package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	uv "github.com/pledgekit/pledgekit/unveil"
)

// lettersHelperEnv makes the test binary a helper (TestHelperLetters):
// "ops:TARGET" tries the accesses of letterOps on TARGET; "lib:PERM:TARGET"
// first commits unveil.Ruleset.Unveil(TARGET, PERM), as a library user
// would, then tries them.
const lettersHelperEnv = "PLEDGEKIT_UNVEIL_LETTERS_HELPER"

// letterOps are accesses beneath a directory D (or on the file D/f), each
// with the letters that allow it ("r|x": r or x; "cw": c and w); the setup of letterDir
// makes what they need. exec runs D/f, which is no program: allowed it
// fails with ENOEXEC, denied with EACCES.
var letterOps = []struct {
	name   string
	dir    bool // only with a rule on the directory
	allow  string
	inside func(d string) error
}{
	{"read", false, "r|x", func(d string) error { return openClose(filepath.Join(d, "f"), os.O_RDONLY) }},
	{"write", false, "w", func(d string) error { return openClose(filepath.Join(d, "f"), os.O_WRONLY) }},
	{"truncate", false, "w", func(d string) error { return syscall.Truncate(filepath.Join(d, "f"), 0) }},
	{"exec", false, "x", func(d string) error {
		err := syscall.Exec(filepath.Join(d, "f"), []string{"f"}, nil)
		if err == syscall.ENOEXEC {
			return nil
		}
		return err
	}},
	{"list", true, "r", func(d string) error { return openClose(d, os.O_RDONLY|syscall.O_DIRECTORY) }},
	{"create", true, "c", func(d string) error { return syscall.Mknod(filepath.Join(d, "new"), syscall.S_IFREG|0o644, 0) }},
	{"create to write", true, "cw", func(d string) error {
		return openClose(filepath.Join(d, "new2"), os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	}},
	{"mkdir", true, "c", func(d string) error { return syscall.Mkdir(filepath.Join(d, "newdir"), 0o755) }},
	{"mkfifo", true, "c", func(d string) error { return syscall.Mkfifo(filepath.Join(d, "fifo"), 0o644) }},
	{"symlink", true, "c", func(d string) error { return syscall.Symlink("f", filepath.Join(d, "sym")) }},
	{"unlink", true, "c", func(d string) error { return syscall.Unlink(filepath.Join(d, "g")) }},
	{"rmdir", true, "c", func(d string) error { return syscall.Rmdir(filepath.Join(d, "sub")) }},
	{"rename across", true, "c", func(d string) error { return syscall.Rename(filepath.Join(d, "s2", "h"), filepath.Join(d, "h")) }},
}

func openClose(path string, flag int) error {
	f, err := os.OpenFile(path, flag, 0o644)
	if err == nil {
		f.Close()
	}
	return err
}

// letterDir makes a fresh D for one run.
func letterDir(t *testing.T) string {
	d := t.TempDir()
	for _, f := range []string{"f", "g", "s2/h"} {
		os.MkdirAll(filepath.Dir(filepath.Join(d, f)), 0o755)
		if err := os.WriteFile(filepath.Join(d, f), []byte("not a program\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(d, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHelperLetters(t *testing.T) {
	arg := os.Getenv(lettersHelperEnv)
	if arg == "" {
		t.Skip("helper process for TestPermLettersEnforced")
	}
	if rest, ok := strings.CutPrefix(arg, "lib:"); ok {
		perm, target, _ := strings.Cut(rest, ":")
		rs := uv.New()
		if err := rs.Unveil(target, perm); err != nil {
			testproc.Fatalf("unveil: %v", err)
		}
		if _, err := rs.Commit(); err != nil {
			testproc.Fatalf("commit: %v", err)
		}
		arg = "ops:" + target
	}
	target := strings.TrimPrefix(arg, "ops:")
	d := target
	if fi, err := os.Stat(target); err == nil && !fi.IsDir() {
		d = filepath.Dir(target)
	}
	for _, op := range letterOps {
		if op.dir && d != target {
			continue
		}
		fmt.Printf("%s=%s\n", op.name, testproc.ErrnoName(op.inside(d)))
	}
	os.Exit(0)
}

// TestPermLettersEnforced: for every permission string, on a directory
// and on a regular file, the command's -v rule lets the kernel allow and
// deny exactly what unveil.Ruleset.Unveil with the same letters does, and
// what the letters say (both ways: each access is tried with every string,
// so each is seen allowed and denied).
func TestPermLettersEnforced(t *testing.T) {
	needKernel(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run := func(env string, cmd *exec.Cmd) string {
		cmd.Env = append(os.Environ(), lettersHelperEnv+"="+env)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", env, err, out)
		}
		return strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(out)), "PASS"))
	}
	for _, perm := range allPerms() {
		for _, onDir := range []bool{true, false} {
			var cmdOut, libOut string
			var target string
			for _, lib := range []bool{false, true} {
				d := letterDir(t)
				target = d
				if !onDir {
					target = filepath.Join(d, "f")
				}
				if lib {
					libOut = run("lib:"+perm+":"+target, exec.Command(exe, "-test.run=^TestHelperLetters$"))
				} else {
					cmdOut = run("ops:"+target, exec.Command(unveilBin, "-q", "-p", "stdio rpath wpath cpath dpath exec", "-v", perm+":"+target,
						"--env", lettersHelperEnv+"=ops:"+target, "--", exe, "-test.run=^TestHelperLetters$"))
				}
			}
			what := fmt.Sprintf("-v %q on a %s", perm, map[bool]string{true: "directory", false: "file"}[onDir])
			if cmdOut != libOut {
				t.Errorf("%s: the command enforces\n%s\nthe library\n%s", what, cmdOut, libOut)
			}
			var want []string
			for _, op := range letterOps {
				if op.dir && !onDir {
					continue
				}
				res := "EACCES"
				for _, alt := range strings.Split(op.allow, "|") {
					if strings.Trim(alt, perm) == "" {
						res = "success"
					}
				}
				switch abi := probe.Get().LandlockABI; {
				case op.name == "truncate" && abi < 3:
					// Landlock cannot refuse truncation before ABI 3
					// (the report says it is dropped).
					res = "success"
				case op.name == "rename across" && abi < 2:
					// ABI 1 refuses every rename across directories.
					res = "EXDEV"
				}
				want = append(want, op.name+"="+res)
			}
			if got := strings.Join(want, "\n"); libOut != got {
				t.Errorf("%s: the library enforces\n%s\nthe letters say\n%s", what, libOut, got)
			}
		}
	}
}
