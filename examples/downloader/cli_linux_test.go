package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cliFiles writes a list, CA and key file for the CLI into dir (0644).
func cliFiles(t *testing.T, dir string, r *repo, files ...FileSpec) []string {
	t.Helper()
	l := &List{Version: 1, Mirrors: []string{r.url()}, Files: files}
	list := filepath.Join(dir, "list.toml")
	ca := filepath.Join(dir, "ca.pem")
	key := filepath.Join(dir, "key.pub")
	for p, b := range map[string][]byte{list: []byte(listTOML(l)), ca: r.caPEM(), key: []byte(base64.StdEncoding.EncodeToString(testPub) + "\n")} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"--list", list, "--ca", ca, "--key", key}
}

// cli runs the test binary as the command-line program.
func cli(t *testing.T, exe string, cred *syscall.Credential, args ...string) *exec.Cmd {
	t.Helper()
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), testCLIEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	return cmd
}

func decodeResult(t *testing.T, out []byte) *Result {
	t.Helper()
	var res Result
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	return &res
}

func TestCLIUsage(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := cliMain([]string{"--help"}, &out, &errb); code != exitOK || !strings.Contains(errb.String(), "-require-sandbox") {
		t.Errorf("--help: %d %q", code, errb.String())
	}
	for _, args := range [][]string{{"--nope"}, {"stray"}, {"--cache", t.TempDir()}, {"--parallel", "0", "--list", "x", "--cache", "y"}} {
		errb.Reset()
		if code := cliMain(args, &out, &errb); code != exitUsage {
			t.Errorf("%q: exit %d, want %d (%s)", args, code, exitUsage, errb.String())
		}
	}
}

func TestCLIJSON(t *testing.T) {
	t.Parallel()
	r := newRepo(t)
	data := testData(30, 20<<10)
	cache := newCache(t)
	args := append(cliFiles(t, filepath.Dir(cache), r, r.add("f", data, true)), "--cache", cache, "--json", "-q")
	var out, errb bytes.Buffer
	if code := cliMain(args, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s\n%s", code, errb.String(), out.String())
	}
	res := decodeResult(t, out.Bytes())
	if len(res.Files) != 1 || res.Files[0].Status != statusOK || res.Files[0].Signature != "verified" || res.Sandbox == nil {
		t.Fatalf("%+v", res)
	}
	assertCached(t, cache, "f", data)
}

// TestNonRoot runs the whole program as an unprivileged user (pacman 7.0
// broke here): no user switch, still sandboxed, files owned by that user.
func TestNonRoot(t *testing.T) {
	requireRoot(t) // to start the test binary as another user
	t.Parallel()
	r := newRepo(t)
	data := testData(31, 40<<10)
	cache := newCache(t)
	dir := filepath.Dir(cache)
	if err := os.Chown(cache, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	// The test binary must be executable by nobody: copy it.
	exe := userExe(t, dir)
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}
	args := append(cliFiles(t, dir, r, r.add("f", data, true)), "--cache", cache, "--json", "-q")
	var errb bytes.Buffer
	var out bytes.Buffer
	cmd := startRetrying(t, func() *exec.Cmd {
		cmd := cli(t, exe, nobody, args...)
		out.Reset()
		errb.Reset()
		cmd.Stdout, cmd.Stderr = &out, &errb
		return cmd
	})
	if err := cmd.Wait(); err != nil {
		t.Fatalf("as nobody: %v\n%s\n%s", err, errb.String(), out.Bytes())
	}
	res := decodeResult(t, out.Bytes())
	if res.Files[0].Status != statusOK || res.Files[0].Signature != "verified" {
		t.Fatalf("%+v", res.Files)
	}
	id := res.Identity
	if id == nil || id.Switched || id.UID != 65534 || !id.NoNewPrivs || !id.Setuid0Denied {
		t.Fatalf("identity %+v", id)
	}
	if res.Sandbox.Landlock != (kernelABI() > 0) || res.Sandbox.Seccomp != kernelSeccomp() {
		t.Fatalf("not sandboxed as a normal user: %+v", res.Sandbox)
	}
	if countWarnings(res, "not running as root") != 1 || fullSandbox() && len(res.Warnings) != 1 {
		t.Errorf("warnings %q", res.Warnings)
	}
	st, err := os.Stat(filepath.Join(cache, "f"))
	if err != nil || st.Sys().(*syscall.Stat_t).Uid != 65534 {
		t.Fatalf("file not owned by the user: %v %v", st, err)
	}
	assertNoTempDirs(t, cache)

	// Asking for another user without root is an error, not a silent no-op.
	cmd = cli(t, exe, nobody, append(args, "--user", "root")...)
	errb.Reset()
	cmd.Stderr = &errb
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitUsage || !strings.Contains(errb.String(), "needs root") {
		t.Fatalf("--user root as nobody: %v %s", err, errb.String())
	}
}

// TestSIGTERM interrupts a running download: the parent forwards the
// signal, waits for the child, keeps the partial for a resume, removes
// the temp dir and exits 128+signal (143 for SIGTERM). SIGHUP and SIGQUIT
// terminate a run the same way (issue 16 item 5).
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a separate parent process")
	}
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			testSignal(t, sig)
		})
	}
}

func testSignal(t *testing.T, sig syscall.Signal) {
	r := newRepo(t)
	data := testData(32, 100<<10)
	f := r.add("f", data, false)
	r.handle("f", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", "102400")
		w.Write(data[:10000])
		w.(http.Flusher).Flush()
		<-req.Context().Done()
	})
	cache := newCache(t)
	args := append(cliFiles(t, filepath.Dir(cache), r, f), "--cache", cache, "--json", "-q")
	cmd := cli(t, "", nil, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the child has the first 10000 bytes on disk.
	deadline := time.Now().Add(time.Minute)
	for {
		m, _ := filepath.Glob(filepath.Join(cache, tempDirPrefix+"*", "f.part"))
		if len(m) == 1 {
			if st, err := os.Stat(m[0]); err == nil && st.Size() == 10000 {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the download did not start: %s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) {
		t.Fatalf("exit: %v, want status %d\n%s", err, 128+int(sig), errb.String())
	}
	res := decodeResult(t, out.Bytes())
	if res.Files[0].Status != statusInterrupted {
		t.Errorf("%+v", res.Files)
	}
	assertNoTempDirs(t, cache)
	st, err := os.Stat(filepath.Join(cache, "f.part"))
	if err != nil || st.Size() != 10000 || st.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
		t.Fatalf("partial not kept for resume: %v %v", st, err)
	}
	assertAbsent(t, cache, "f")
}

// TestDemo runs the demo itself (quietly): it must pass as shipped.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo downloads 12 MiB at a throttled rate")
	}
	t.Parallel()
	modes := []string{"--demo"}
	if fullSandbox() {
		modes = append(modes, "--demo-attack") // every attempt must be denied
	}
	for _, attack := range modes {
		var out, errb bytes.Buffer
		if code := cliMain([]string{attack, "--json"}, &out, &errb); code != exitOK {
			t.Fatalf("%s: exit %d: %s", attack, code, errb.String())
		}
		res := decodeResult(t, out.Bytes())
		if attack == "--demo-attack" {
			for _, a := range res.Attacks {
				if a.Outcome != "DENIED" {
					t.Errorf("%s: %+v", attack, a)
				}
			}
		} else {
			for _, f := range res.Files {
				if f.Status != statusOK {
					t.Errorf("%s: %+v", attack, f)
				}
			}
		}
	}
}
