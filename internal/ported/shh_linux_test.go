//go:build linux

package ported

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// shh's edit command, from egtann/shh main.go at commit 3bb6e09 (April
// 2020): pledge(promises, execPromises) with "error" among the
// execpromises, read the user's keys and the project file, unveil the
// project file, /tmp, /usr, /var/run, /bin/sh ("x") and $EDITOR ("rx"),
// UnveilBlock, write the decrypted secret to a temporary file, run
// `/bin/sh -c "$EDITOR file"` with os/exec (standard error left unset:
// os/exec opens /dev/null), read the file back and rewrite the project
// file (O_TRUNC).
const (
	shhEditPromises     = "stdio rpath wpath cpath tty proc exec inet unveil"
	shhEditExecPromises = "stdio rpath wpath cpath tty proc exec error"
)

func TestShhEdit(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "config")
	project := filepath.Join(dir, "project", ".shh")
	editor := filepath.Join(dir, "bin", "editor")
	for _, d := range []string{config, filepath.Dir(project), filepath.Dir(editor)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(config, "id_rsa"), []byte("key"), 0o600)
	os.WriteFile(project, []byte(`{"secret":"old"}`+"\n"), 0o600)
	// The editor appends a line with shell built-ins only.
	os.WriteFile(editor, []byte("#!/bin/sh\necho edited >> \"$1\"\n"), 0o700)

	r := testproc.Run(t, "edit", func() {
		must("Pledge", pledge.Pledge(shhEditPromises, shhEditExecPromises))
		key, err := os.ReadFile(filepath.Join(config, "id_rsa"))
		must("read keys", err)
		shh, err := os.OpenFile(project, os.O_CREATE|os.O_RDWR, 0o644)
		must("open project file", err)
		shh.Close()
		for _, u := range [][2]string{{project, "rwc"}, {"/tmp", "rwc"}, {"/usr", "r"}, {"/var/run", "r"},
			{"/bin/sh", "x"}, {os.Getenv("EDITOR"), "rx"}} {
			must("Unveil "+u[0], unveil.Unveil(u[0], u[1]))
		}
		err = unveil.UnveilBlock()
		if !canUnveil() {
			if !errors.Is(err, unveil.ErrLandlockUnavailable) {
				testproc.Fatalf("UnveilBlock without Landlock: want ErrLandlockUnavailable, got %v", err)
			}
			say("block refused: %v", err)
			return
		}
		must("UnveilBlock", err)

		f, err := os.CreateTemp("", "shh")
		must("temp file", err)
		defer os.Remove(f.Name())
		f.Write(key)
		cmd := exec.Command("/bin/sh", "-c", "$EDITOR "+f.Name())
		cmd.Stdout = os.Stdout
		cmd.Stdin = os.Stdin
		must("run $EDITOR", cmd.Run())
		plain, err := os.ReadFile(f.Name())
		must("read back", err)
		say("edited: %q", plain)
		must("rewrite project file", os.WriteFile(project, []byte(`{"secret":"new"}`+"\n"), 0o644))
		saved, err := os.ReadFile(project)
		must("read project file", err)
		say("saved %s", bytes.TrimSpace(saved))

		// Denied by the veil: a file outside it (the test's files are all
		// under /tmp, which shh unveils), and running a program that /usr
		// "r" shows but does not let execute.
		if _, err := os.ReadFile("/etc/passwd"); !errors.Is(err, syscall.EACCES) {
			testproc.Fatalf("/etc/passwd after UnveilBlock: want EACCES, got %v", err)
		}
		if err := exec.Command("/usr/bin/env").Run(); !errors.Is(err, syscall.EACCES) {
			testproc.Fatalf("exec of /usr/bin/env (unveiled r): want EACCES, got %v", err)
		}
		say("hidden")
	}, testproc.WithEnv("EDITOR="+editor, "TMPDIR=/tmp"))
	if !canUnveil() {
		wantOK(t, r)
		if !strings.Contains(r.Stdout, "block refused") {
			t.Fatal(r)
		}
		return
	}
	wantOK(t, r, `edited: "keyedited\n"`, `saved {"secret":"new"}`, "hidden")
}
