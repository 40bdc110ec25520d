// Command privsep is the downloader's pattern in one file: a privileged
// parent that keeps the cache, and a sandboxed child that does the
// dangerous part (TLS, HTTP, whatever the server sends) and nothing else.
//
//	privsep -demo                                  # serves a file on 127.0.0.1 and fetches it
//	privsep -cache DIR -sha256 HEX https://host/file
//
// The parent:
//  1. makes a private work directory and, when it runs as root, gives it
//     to the unprivileged child user (nobody);
//  2. starts this binary again as the child, as that user, with one pipe
//     for messages;
//  3. reads at most two small messages (the child's enforcement report,
//     then the size of what it wrote), with a deadline;
//  4. copies exactly that many bytes out of the work directory into a file
//     it creates itself, hashing them, and installs the copy only if the
//     hash is the one it was given. Nothing the child says is believed:
//     the size only bounds the copy, and every string is escaped before
//     it is printed.
//
// The child confines itself before it touches the network, in one call:
// pledge.Apply with a Landlock layer (Options.Unveil) that makes only the
// work directory writable, the TLS roots readable and one TCP port
// reachable, and a seccomp filter for "stdio rpath wpath cpath inet dns".
// examples/downloader is the full application (lists, mirrors, resume,
// signatures, progress); this is the shape to copy.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

const (
	roleEnv  = "PRIVSEP_ROLE" // set to "child" in the child's environment
	fileName = "download"     // the one file the child writes
	maxSize  = 1 << 30        // the largest download accepted
	maxMsg   = 64 << 10       // the largest message accepted from the child
	nobody   = 65534
)

func main() {
	if os.Getenv(roleEnv) == "child" {
		os.Exit(childMain(os.Args[1:]))
	}
	os.Exit(parentMain(os.Args[1:]))
}

func parentMain(args []string) int {
	fs := flag.NewFlagSet("privsep", flag.ContinueOnError)
	cache := fs.String("cache", "", "directory to install into (default: a new temporary directory)")
	want := fs.String("sha256", "", "the expected SHA-256 of the file, in hex (required without -demo)")
	demo := fs.Bool("demo", false, "serve a generated file on 127.0.0.1 and fetch it")
	verbose := fs.Bool("v", false, "print the child's enforcement report")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var rawURL string
	if *demo {
		payload := []byte(strings.Repeat("privilege-separated bytes\n", 4096))
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(payload) }))
		defer srv.Close()
		sum := sha256.Sum256(payload)
		rawURL, *want = srv.URL+"/demo.txt", hex.EncodeToString(sum[:])
	} else if fs.NArg() == 1 && *want != "" {
		rawURL = fs.Arg(0)
	} else {
		fmt.Fprintln(os.Stderr, "usage: privsep [-v] [-cache DIR] -sha256 HEX URL | privsep [-v] -demo")
		return 2
	}
	if *cache == "" {
		dir, err := os.MkdirTemp("", "privsep-cache-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "privsep:", err)
			return 1
		}
		*cache = dir
	}
	dst, rep, err := fetch(context.Background(), rawURL, *want, *cache)
	if *verbose && rep != nil {
		fmt.Fprint(os.Stderr, escape(rep.String()))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "privsep:", err)
		return 1
	}
	fmt.Println(dst)
	return 0
}

// message is what the child sends, one JSON object a line: first its
// report, then the size of the file it wrote (or an error).
type message struct {
	Report *report.Report `json:"report,omitempty"`
	Size   int64          `json:"size,omitempty"`
	Error  string         `json:"error,omitempty"`
}

// fetch downloads rawURL through a sandboxed child and installs it in
// cache under the URL's base name if its SHA-256 is want. It returns the
// installed path and the child's report (nil if none came).
func fetch(ctx context.Context, rawURL, want, cache string) (string, *report.Report, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", nil, fmt.Errorf("%q: want an http or https URL", rawURL)
	}
	name := path.Base(u.Path)
	if name == "/" || name == "." || name == ".." || strings.HasPrefix(name, ".") {
		return "", nil, fmt.Errorf("%q: the URL names no file", rawURL)
	}
	work, err := os.MkdirTemp("", "privsep-work-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(work)

	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	// This binary again, through the magic link: the child's user needs
	// no search permission on the directories the binary sits in.
	cmd := exec.CommandContext(ctx, "/proc/self/exe", rawURL, work)
	cmd.Env = []string{roleEnv + "=child", "PATH=/usr/bin:/bin"}
	cmd.ExtraFiles = []*os.File{w} // fd 3
	cmd.Stderr = os.Stderr         // the pledge supervisor's one line, if the child is stopped
	if os.Getuid() == 0 {
		if err := os.Chown(work, nobody, nobody); err != nil {
			return "", nil, err
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}}
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return "", nil, fmt.Errorf("starting the child: %w", err)
	}
	w.Close()

	var rep *report.Report
	var size int64 = -1
	sc := bufio.NewScanner(io.LimitReader(r, 2*maxMsg))
	sc.Buffer(make([]byte, 4096), maxMsg)
	for sc.Scan() {
		var m message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			err = fmt.Errorf("the child sent a malformed message: %w", err)
			cmd.Process.Kill()
			cmd.Wait()
			return "", rep, err
		}
		switch {
		case m.Report != nil && rep == nil:
			rep = m.Report
		case m.Error != "":
			cmd.Wait()
			return "", rep, fmt.Errorf("the child failed: %s", escape(m.Error))
		case m.Size >= 0 && m.Size <= maxSize && rep != nil:
			size = m.Size
		}
	}
	if err := cmd.Wait(); err != nil {
		return "", rep, fmt.Errorf("the child: %w", err)
	}
	if size < 0 {
		return "", rep, errors.New("the child exited without reporting a download")
	}
	dst := filepath.Join(cache, name)
	if err := install(filepath.Join(work, fileName), size, want, dst); err != nil {
		return "", rep, err
	}
	return dst, rep, nil
}

// install copies exactly size bytes of src into a new file of the parent's
// own, checks their SHA-256 against want and renames the copy to dst. The
// child's file is only read: whatever still holds it open cannot change
// what is installed.
func install(src string, size int64, want, dst string) error {
	in, err := os.OpenFile(src, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("opening the child's file: %w", err)
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil || !st.Mode().IsRegular() || st.Size() != size {
		return fmt.Errorf("the child's file is not a regular file of the %d bytes it reported", size)
	}
	out, err := os.CreateTemp(filepath.Dir(dst), ".install-")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(out, h), in, size); err != nil {
		return fmt.Errorf("copying the download: %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
		return fmt.Errorf("SHA-256 mismatch: got %s, want %s; nothing installed", got, escape(want))
	}
	if err := out.Chmod(0o644); err != nil {
		return err
	}
	if err := out.Sync(); err != nil {
		return err
	}
	return os.Rename(out.Name(), dst)
}

// childMain runs as the unprivileged user: confine, report, download.
func childMain(args []string) int {
	out := json.NewEncoder(os.NewFile(3, "parent"))
	if len(args) != 2 {
		out.Encode(message{Error: "usage: child URL DIR"})
		return 2
	}
	rawURL, work := args[0], args[1]
	rep, err := confine(rawURL, work)
	if err != nil {
		out.Encode(message{Error: err.Error()})
		return 1
	}
	out.Encode(message{Report: rep})
	n, err := download(rawURL, filepath.Join(work, fileName))
	if err != nil {
		out.Encode(message{Error: err.Error()})
		return 1
	}
	out.Encode(message{Size: n})
	return 0
}

// confine commits a Landlock layer and installs the seccomp filter in one
// call. Below the Landlock ABI a protection needs, it is reported as
// dropped rather than failing (pledge.FallbackPenalty and the ruleset's
// best effort); the report says what the kernel enforces.
func confine(rawURL, work string) (*report.Report, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("port %q: %w", port, err)
	}
	const promised = "stdio rpath wpath cpath inet dns"
	rs := unveil.New()
	if err := rs.Unveil(work, "rwc"); err != nil {
		return nil, err
	}
	for _, dir := range []string{"/etc/ssl", "/usr/share/ca-certificates"} {
		if err := rs.Unveil(dir, "r"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	ps, err := promises.Parse(promised)
	if err != nil {
		return nil, err
	}
	rs.Implied(ps).ConnectTCP(uint16(p)).BindTCP()
	return pledge.Apply(pledge.Options{Promises: promised, Unveil: rs, Fallback: pledge.FallbackPenalty})
}

// download writes the body of rawURL to dst, at most maxSize bytes.
func download(rawURL, dst string) (int64, error) {
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Get(rawURL)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("HTTP %s", resp.Status)
	}
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxSize+1))
	if err == nil && n > maxSize {
		err = fmt.Errorf("more than %d bytes", maxSize)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// escape makes text from the child safe for a terminal: control
// characters (escape sequences, carriage returns) and invalid UTF-8 are
// shown as Go escapes; newlines and tabs are kept.
func escape(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case r == '\n' || r == '\t' || unicode.IsGraphic(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		s = s[n:]
	}
	return b.String()
}
