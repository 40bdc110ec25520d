//go:build linux

package ported

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// gopass's pledge, first thing in main.go (gopasspw/gopass, the 1.15
// series): protect.Pledge, which is unix.PledgePromises on OpenBSD
// (pkg/protect/protect_openbsd.go).
const gopassPromises = "stdio rpath wpath cpath tty proc exec fattr"

// gopass insert: read the configuration, ask gpg for its version (gopass's
// gpg backend runs `gpg --version` with os/exec, standard input unset),
// write the encrypted secret with mode 0600 and fix a directory's mode
// (fattr), keep the store in git, and have gpg's agent started: gpg-agent
// makes itself non-dumpable (prctl(PR_SET_DUMPABLE, 0)) under the filter
// it inherited. The agent here is the test binary again in that role.
func TestGopass(t *testing.T) {
	for _, p := range []string{"/usr/bin/gpg", "/usr/bin/git"} {
		if _, err := os.Stat(p); err != nil && role() == "" {
			t.Skipf("%s is missing", p)
		}
	}
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".config", "gopass"), 0o700)
	os.WriteFile(filepath.Join(home, ".config", "gopass", "config"), []byte("[core]\n\tautosync = false\n"), 0o600)
	r := testproc.Run(t, "insert", func() {
		if role() == "gpg-agent" {
			if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
				testproc.Fatalf("prctl(PR_SET_DUMPABLE, 0): %v", err)
			}
			d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
			must("prctl(PR_GET_DUMPABLE)", err)
			say("agent dumpable=%d", d)
			return
		}
		exe := executable()
		must("PledgePromises", pledge.PledgePromises(gopassPromises))

		cfg, err := os.ReadFile(filepath.Join(home, ".config", "gopass", "config"))
		must("read config", err)
		say("config %d bytes", len(cfg))
		out, err := exec.Command("gpg", "--version").Output()
		must("gpg --version", err)
		say("gpg: %s", strings.Fields(string(out))[0])

		store := filepath.Join(home, ".local", "share", "gopass", "stores", "root")
		must("mkdir store", os.MkdirAll(filepath.Join(store, "web"), 0o755))
		must("chmod store", os.Chmod(filepath.Join(store, "web"), 0o700))
		must("write secret", os.WriteFile(filepath.Join(store, "web", "example.gpg"), []byte("ciphertext"), 0o600))
		git := exec.Command("git", "init", "-q", store)
		git.Env = append(os.Environ(), "HOME="+home)
		if out, err := git.CombinedOutput(); err != nil {
			testproc.Fatalf("git init: %v: %s", err, out)
		}
		git = exec.Command("git", "-C", store, "status", "--porcelain")
		git.Env = append(os.Environ(), "HOME="+home)
		out, err = git.Output()
		must("git status", err)
		say("git: %s", strings.TrimSpace(string(out)))

		agent := selfCommand(exe, "gpg-agent")
		out, err = agent.Output()
		must("gpg-agent", err)
		os.Stdout.Write(out)
	})
	wantOK(t, r, "config 25 bytes", "gpg: gpg", "git: ?? web/", "agent dumpable=0")
}

// gopass's promises lack inet: a connection attempt (a key server) ends
// the process with a message naming the call and the promise.
func TestGopassDenied(t *testing.T) {
	r := testproc.Run(t, "socket", func() {
		must("PledgePromises", pledge.PledgePromises(gopassPromises))
		unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
		say("not reached")
	})
	wantKilled(t, r, "socket(AF_INET", `"inet"`)
}
