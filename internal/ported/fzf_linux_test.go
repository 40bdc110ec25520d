//go:build linux

package ported

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// fzfPromises is fzf's pledge, from src/protector/protector_openbsd.go
// (fzf 0.6x, junegunn/fzf commit 1e2e0c4): Protect() calls
// unix.PledgePromises with it first thing in main, before any work.
const fzfPromises = "stdio cpath dpath wpath rpath tty proc exec inet"

// fzf: read the candidates from standard input, serve --listen on
// loopback, write the selection to a temporary file for a {+f}
// placeholder, run the preview command through the shell with os/exec
// (standard input and error left unset: os/exec opens /dev/null), make a
// FIFO (dpath, as fzf's tmux popup does), then remove its files.
func TestFzf(t *testing.T) {
	r := testproc.Run(t, "fzf", func() {
		must("PledgePromises", pledge.PledgePromises(fzfPromises))

		var items []string
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			items = append(items, sc.Text())
		}
		say("read %d items", len(items))

		// --listen localhost:0: an HTTP server taking actions.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		must("listen", err)
		action := make(chan string, 1)
		go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			b, _ := io.ReadAll(req.Body)
			action <- string(b)
		}))
		resp, err := http.Post("http://"+ln.Addr().String(), "text/plain", strings.NewReader("pos(2)"))
		must("post to --listen", err)
		resp.Body.Close()
		say("action %s", <-action)

		// {+f}: the selection in a temporary file, read by the preview.
		f, err := os.CreateTemp("", "fzf-preview-*")
		must("temp file", err)
		_, err = f.WriteString(items[1] + "\n")
		must("write temp file", err)
		must("close temp file", f.Close())
		var out bytes.Buffer
		cmd := exec.Command("sh", "-c", "cat "+f.Name())
		cmd.Stdout = &out
		must("preview", cmd.Run())
		say("preview %s", strings.TrimSpace(out.String()))
		must("remove temp file", os.Remove(f.Name()))

		dir, err := os.MkdirTemp("", "fzf-tmux-*")
		must("temp dir", err)
		fifo := filepath.Join(dir, "fifo")
		must("mkfifo", unix.Mkfifo(fifo, 0o600))
		must("remove fifo", os.RemoveAll(dir))
		say("fifo done")
	}, testproc.WithStdin("alpha\nbeta\ngamma\n"))
	wantOK(t, r, "read 3 items", "action pos(2)", "preview beta", "fifo done")
}

// fzf's promises lack fattr: changing a file's mode ends the process, and
// the message names the call and the promise.
func TestFzfDenied(t *testing.T) {
	r := testproc.Run(t, "chmod", func() {
		f, err := os.CreateTemp("", "fzf-*")
		must("temp file", err)
		defer os.Remove(f.Name())
		must("PledgePromises", pledge.PledgePromises(fzfPromises))
		os.Chmod(f.Name(), 0o644)
		say("not reached")
	})
	wantKilled(t, r, "fchmodat", `"fattr"`)
}
