package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// gated serves data: the first 1000 bytes, then the rest once open is
// closed (or after a minute), so that a racer can act mid-download.
func gated(data []byte, open <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data[:1000])
		w.(http.Flusher).Flush()
		select {
		case <-open:
		case <-time.After(time.Minute):
		}
		w.Write(data[1000:])
	}
}

// TestCoTenant: another process of the download user opens the partial
// for writing during the download and writes through that descriptor
// after the file is installed (issue 16 item 1). With a shared user it
// gets the descriptor, but the cache holds the parent's private copy; by
// default the download user is a uid no one else has, and the racer
// cannot even reach the file.
func TestCoTenant(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	for _, user := range []string{"nobody", ""} {
		t.Run("user="+user, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			data := testData(40, 64<<10)
			f := r.add("f", data, true)
			open := make(chan struct{})
			r.handle("f", gated(data, open))
			cache := newCache(t)
			lines := startRacer(t, userExe(t, filepath.Dir(cache)), 65534, "hold-part", cache, "f")
			first := make(chan string, 1)
			go func() { l := nextLine(lines); first <- l; close(open) }()
			opts := testOptions(cache, r, f)
			opts.User = user
			res, err := run(t, opts)
			if err != nil {
				t.Fatalf("Run: %v (%+v)", err, res.Files)
			}
			got := <-first
			if user == "nobody" {
				if got != "open" {
					t.Fatalf("the racer could not open the partial (%q): the attack was not tried", got)
				}
				if w := nextLine(lines); w != "wrote success" {
					t.Fatalf("racer: %q", w)
				}
			} else {
				if got != "error EACCES" {
					t.Fatalf("racer as nobody: %q, want EACCES", got)
				}
				if id := res.Identity; id.UID < dynamicUIDMin || id.UID > dynamicUIDMax || id.GID != id.UID || !id.Switched {
					t.Fatalf("identity %+v, want a dynamic uid", id)
				}
			}
			assertCached(t, cache, "f", data)
		})
	}
}

// TestBadMirrorPartialNotContinued: a mirror serves an older, shorter
// file as a clean 200 (issue 16 item 2). The next, good mirror must send
// the whole file, not continue the bad mirror's bytes with a range.
func TestBadMirrorPartialNotContinued(t *testing.T) {
	t.Parallel()
	good := newRepo(t)
	bad := newRepo(t)
	data := testData(41, 80<<10)
	f := good.add("f", data, false)
	bad.add("f", testData(42, 30<<10), false) // an older release, shorter
	cache := newCache(t)
	opts := testOptions(cache, good, f)
	opts.List.Mirrors = []string{bad.url(), good.url()}
	res, err := run(t, opts)
	if err != nil {
		t.Fatalf("Run: %v (%+v)", err, res.Files)
	}
	assertCached(t, cache, "f", data)
	if q := good.requests(); len(q) != 1 || q[0] != `f range=""` {
		t.Errorf("the good mirror was asked %q, want one request without a range", q)
	}
}

// TestChildDeadlines: a downloader child that never writes, or ends its
// stream and sleeps, is killed after its deadline instead of hanging the
// run and holding the cache lock (issue 16 item 4).
func TestChildDeadlines(t *testing.T) {
	t.Parallel()
	for _, role := range []string{"test-silent", "test-close-sleep"} {
		t.Run(role, func(t *testing.T) {
			t.Parallel()
			r := newRepo(t)
			cache := newCache(t)
			opts := testOptions(cache, r, r.add("f", testData(43, 1000), false))
			opts.fetchRole = role
			opts.ConnectTimeout, opts.HeaderTimeout, opts.StallTimeout = time.Second, time.Second, time.Second
			start := time.Now()
			_, err := run(t, opts)
			if took := time.Since(start); !errors.Is(err, ErrChild) || took > fetchIdle(opts)+30*time.Second {
				t.Fatalf("err = %v after %v, want ErrChild within the deadline %v", err, took, fetchIdle(opts))
			}
			// The lock is free again.
			_, err = run(t, testOptions(cache, r, r.add("f", testData(43, 1000), false)))
			if err != nil {
				t.Fatalf("the next run: %v", err)
			}
		})
	}
}

// TestRemoveDeepTree: a compromised child can leave a directory chain
// deeper than the parent's descriptor limit; os.RemoveAll fails on it with
// EMFILE on every run (issue 16 item 3). The leftover must go, under a
// limit of 64 descriptors, and so must odd entries, without following a
// symlink.
func TestRemoveDeepTree(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	data := testData(44, 10<<10)
	f := r.add("f", data, false)
	cache := newCache(t)
	dir := filepath.Dir(cache)
	keep := filepath.Join(dir, "keep")
	os.Mkdir(keep, 0o755)
	os.WriteFile(filepath.Join(keep, "file"), []byte("x"), 0o644)
	old := filepath.Join(cache, tempDirPrefix+"deep")
	deep := old + strings.Repeat("/d", 300)
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Symlink(keep, filepath.Join(deep, "link"))
	unix.Mkfifo(filepath.Join(deep, "fifo"), 0o600)
	os.Mkdir(filepath.Join(deep, "locked"), 0o000)
	os.WriteFile(filepath.Join(old, "d", "file"), []byte("x"), 0o000)
	args := append(cliFiles(t, dir, r, f), "--cache", cache, "--json", "-q")
	cmd := cli(t, "", nil, args...)
	cmd.Env = append(cmd.Env, testNofileEnv+"=64")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	res := decodeResult(t, out.Bytes())
	if len(res.Warnings) != nonRootWarnings() || len(res.Leftovers) != 1 {
		t.Fatalf("warnings %q, leftovers %q", res.Warnings, res.Leftovers)
	}
	assertNoTempDirs(t, cache)
	assertCached(t, cache, "f", data)
	if _, err := os.Stat(filepath.Join(keep, "file")); err != nil {
		t.Errorf("a symlink in the tree was followed: %v", err)
	}
}

// TestLeftoverSwap: a process of the download user swaps a crashed run's
// NAME.part with a directory it owns while the next run salvages it
// (issue 16 item 5). The run takes the leftover back before looking into
// it, so the swapping stops with EACCES and nothing of it reaches the
// cache.
func TestLeftoverSwap(t *testing.T) {
	requireRoot(t)
	t.Parallel()
	r := newRepo(t)
	data := testData(45, 30<<10)
	f := r.add("f", data, false)
	cache := newCache(t)
	old := filepath.Join(cache, tempDirPrefix+"crashed")
	evil := filepath.Join(old, "evil")
	for _, p := range []string{old, evil} {
		os.Mkdir(p, 0o700)
	}
	os.WriteFile(filepath.Join(evil, "marker"), nil, 0o644)
	os.WriteFile(filepath.Join(old, "f.part"), data[:5000], 0o644)
	for _, p := range []string{old, evil, filepath.Join(evil, "marker"), filepath.Join(old, "f.part")} {
		os.Lchown(p, 65534, 65534)
	}
	lines := startRacer(t, userExe(t, filepath.Dir(cache)), 65534, "exchange", old, "f.part", "evil")
	if l := nextLine(lines); l != "running" {
		t.Fatalf("racer: %q", l)
	}
	res, err := run(t, testOptions(cache, r, f))
	if err != nil {
		t.Fatalf("Run: %v (%+v)", err, res.Files)
	}
	if l := nextLine(lines); l != "stopped EACCES" {
		t.Errorf("racer %q: it could go on swapping inside the leftover while it was salvaged", l)
	}
	assertCached(t, cache, "f", data)
	filepath.Walk(cache, func(p string, fi os.FileInfo, err error) error {
		if err == nil && (fi.Name() == "marker" || fi.IsDir() && p != cache) {
			t.Errorf("%s of the racer's reached the cache", p)
		}
		return nil
	})
}
