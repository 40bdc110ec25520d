package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
)

// testCLIEnv makes the test binary run cliMain with its arguments (used to
// run the whole parent as another user, or to signal it).
const testCLIEnv = "PLEDGEKIT_DOWNLOADER_TEST_CLI"

// testNofileEnv sets the descriptor limit of a CLI run of the test binary.
const testNofileEnv = "PLEDGEKIT_DOWNLOADER_TEST_NOFILE"

// testRacerEnv makes the test binary a racer: another process of the
// download user, attacking the download dir while a run goes on.
const testRacerEnv = "PLEDGEKIT_DOWNLOADER_TEST_RACER"

func TestMain(m *testing.M) {
	if role := os.Getenv(roleEnv); role != "" {
		if strings.HasPrefix(role, "test-") {
			os.Exit(evilChild(role))
		}
		os.Exit(childMain(role))
	}
	if mode := os.Getenv(testRacerEnv); mode != "" {
		os.Exit(racer(mode, os.Args[1:]))
	}
	if os.Getenv(testCLIEnv) == "1" {
		if n, err := strconv.ParseUint(os.Getenv(testNofileEnv), 10, 64); err == nil {
			// Soft and hard: the Go runtime raises the soft limit to the hard one.
			if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: n, Max: n}); err != nil {
				panic(err)
			}
		}
		os.Exit(cliMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// evilChild plays a downloader child that breaks the protocol, to show
// the parent's decoder and session checks stop it.
func evilChild(role string) int {
	out := os.NewFile(3, "messages")
	enc := NewEncoder(out)
	var job fetchJob
	_ = readJob(os.Stdin, &job)
	preamble := func() {
		_ = enc.Send(Message{Type: msgHello, UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), PID: uint32(os.Getpid())})
		_ = enc.Send(Message{Type: msgReportHeader, Arch: "amd64"})
		_ = enc.Send(Message{Type: msgReady})
	}
	switch role {
	case "test-verify-hang":
		// A verifier that takes forever: the parent is interrupted meanwhile.
		preamble()
	case "test-flood-notes":
		// Floods the parent's output with lines that look like its own.
		preamble()
		for range 20000 {
			_ = enc.Send(Message{Type: msgNote, Index: noIndex, Text: job.Files[0].Name + ": downloaded"})
			_ = enc.Send(Message{Type: msgNote, Index: 0, Text: "downloaded"})
		}
		_ = enc.Send(Message{Type: msgBye})
		return 0
	case "test-udp":
		// The real downloader sandbox, then a datagram to the mirror's
		// port over UDP (not DNS): the result goes to stderr, exit 3.
		if err := setNoNewPrivs(); err != nil {
			return 9
		}
		if _, err := applySandbox(fetchPolicy(&job)); err != nil {
			fmt.Fprintf(os.Stderr, "sandbox: %v\n", err)
			return 9
		}
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err == nil {
			err = unix.Sendto(fd, []byte("udp"), 0, &unix.SockaddrInet4{Port: int(job.Ports[0]), Addr: [4]byte{127, 0, 0, 1}})
		}
		fmt.Fprintf(os.Stderr, "udp send: %s\n", testproc.ErrnoName(err))
		return 3
	case "test-silent":
		// Never writes; sleeps below (issue 16 item 4).
	case "test-close-sleep":
		preamble()
		out.Close() // end of stream, but no exit
	case "test-garbage":
		_, _ = out.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
	case "test-huge-length":
		preamble()
		_, _ = out.Write([]byte{wireMagic, wireVersion, byte(msgNote), 0, 0x40, 0, 0, 0})
	case "test-bad-index":
		preamble()
		_ = enc.Send(Message{Type: msgStart, Index: 999, Total: 1})
	case "test-backwards":
		preamble()
		size := uint64(job.Files[0].Size)
		_ = enc.Send(Message{Type: msgStart, Index: 0, Total: size})
		_ = enc.Send(Message{Type: msgProgress, Index: 0, Offset: size / 2})
		_ = enc.Send(Message{Type: msgProgress, Index: 0, Offset: 1})
	case "test-oversize-progress":
		preamble()
		size := uint64(job.Files[0].Size)
		_ = enc.Send(Message{Type: msgStart, Index: 0, Total: size})
		_ = enc.Send(Message{Type: msgProgress, Index: 0, Offset: size + 1})
	case "test-pledge-exec":
		// A real sandbox with the normal (kill) penalty, then a call
		// outside the promises: the kernel must end the child with SIGSYS.
		if err := setNoNewPrivs(); err != nil {
			return 9
		}
		rep, err := applySandbox(sandboxPolicy{ReadWrite: []string{job.Dir}, ConnectTCP: job.Ports, Promises: "stdio rpath wpath cpath inet dns"})
		if err != nil {
			return 9
		}
		_ = enc.Send(Message{Type: msgHello, UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), PID: uint32(os.Getpid())})
		_ = sendReport(enc, rep)
		_ = enc.Send(Message{Type: msgReady})
		_ = syscall.Exec("/bin/true", []string{"true"}, nil)
		return 8 // not reached when the filter works
	case "test-parent-mem":
		// The download child compromised on a kernel without Landlock:
		// its own user (as the real child: switched when the parent is
		// root), the real pledge with rpath and wpath, no unveil. It tries
		// to write the parent's memory and says what happened on stderr;
		// exit status 3 makes the parent show it.
		if _, err := becomeUser(job.Switch, job.UID, job.GID); err != nil {
			fmt.Fprintf(os.Stderr, "become user: %v\n", err)
			return 9
		}
		if _, err := pledge.Apply(pledge.Options{Promises: "stdio rpath wpath cpath inet dns", Penalty: pledge.PenaltyEPERM}); err != nil {
			fmt.Fprintf(os.Stderr, "pledge: %v\n", err)
			return 9
		}
		ppid := os.Getppid()
		// The parent's real uid (status is world-readable), and the owner
		// of its /proc files (not of the directory itself): root when it is
		// not dumpable.
		puid := -1
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", ppid)); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if f := strings.Fields(l); len(f) > 1 && f[0] == "Uid:" {
					fmt.Sscan(f[1], &puid)
				}
			}
		}
		owner := -1
		if st, err := os.Stat(fmt.Sprintf("/proc/%d/mem", ppid)); err == nil {
			owner = int(st.Sys().(*syscall.Stat_t).Uid)
		}
		fd, err := unix.Open(fmt.Sprintf("/proc/%d/mem", ppid), unix.O_RDWR|unix.O_CLOEXEC, 0)
		if err == nil {
			unix.Close(fd)
		}
		fmt.Fprintf(os.Stderr, "parent uid %d, child uid %d, parent /proc mem owner %d\n", puid, os.Getuid(), owner)
		fmt.Fprintf(os.Stderr, "parent mem rdwr: %s\n", testproc.ErrnoName(err))
		return 3
	default:
		return 2
	}
	// The parent must kill us; do not exit on our own.
	time.Sleep(time.Minute)
	return 0
}

// racer attacks a running download from outside the sandbox, as another
// process of the download user; it prints what happened, one line a step.
//
//	hold-part CACHE NAME: open download-*/NAME.part for writing as soon as
//	  it exists ("open", or "error ERRNO" when still refused after 2 s:
//	  the parent chowns the dir just after making it), keep it until NAME
//	  is installed in CACHE, then write "EVIL" at offset 0 through it.
//	exchange DIR A B: swap DIR/A and DIR/B (RENAME_EXCHANGE) in a loop;
//	  "running" after the first swap, "stopped ERRNO" when one fails.
func racer(mode string, args []string) int {
	deadline := time.Now().Add(time.Minute)
	switch mode {
	case "exchange":
		dir, a, b := args[0], args[1], args[2]
		for n := 0; ; n++ {
			err := unix.Renameat2(unix.AT_FDCWD, filepath.Join(dir, a), unix.AT_FDCWD, filepath.Join(dir, b), unix.RENAME_EXCHANGE)
			if err != nil || time.Now().After(deadline) {
				fmt.Println("stopped", testproc.ErrnoName(err))
				return 0
			}
			if n == 0 {
				fmt.Println("running")
			}
		}
	case "hold-part":
		cache, name := args[0], args[1]
		fd := -1
		var denied time.Time
		for fd < 0 {
			if time.Now().After(deadline) {
				fmt.Println("timeout")
				return 1
			}
			dirs, _ := filepath.Glob(filepath.Join(cache, tempDirPrefix+"*"))
			if len(dirs) == 0 {
				time.Sleep(time.Millisecond)
				continue
			}
			var err error
			fd, err = unix.Open(filepath.Join(dirs[0], name+partSuffix), unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if errors.Is(err, unix.EACCES) && denied.IsZero() {
				denied = time.Now() // the dir may not be chown'ed yet: retry a while
			}
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EACCES) && time.Since(denied) < 2*time.Second {
				continue
			}
			if err != nil {
				fmt.Println("error", testproc.ErrnoName(err))
				return 0
			}
		}
		fmt.Println("open")
		for {
			if _, err := os.Lstat(filepath.Join(cache, name)); err == nil {
				break
			}
			if time.Now().After(deadline) {
				fmt.Println("timeout")
				return 1
			}
			time.Sleep(time.Millisecond)
		}
		_, err := unix.Pwrite(fd, []byte("EVIL"), 0)
		fmt.Println("wrote", testproc.ErrnoName(err))
		return 0
	}
	return 2
}

// startRacer starts the test binary (exe: one the user can execute) as a
// racer running as uid/gid; its stdout lines arrive on the channel.
func startRacer(t *testing.T, exe string, uid uint32, mode string, args ...string) <-chan string {
	t.Helper()
	out, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := startRetrying(t, func() *exec.Cmd {
		cmd := exec.Command(exe, args...)
		cmd.Env = []string{testRacerEnv + "=" + mode}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}}
		cmd.Stdout = pw
		return cmd
	})
	pw.Close()
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_ = cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return lines
}

// nextLine is the racer's next line, or "" after a minute.
func nextLine(lines <-chan string) string {
	select {
	case l := <-lines:
		return l
	case <-time.After(time.Minute):
		return ""
	}
}

// userExe copies the test binary into dir so that other users can run it.
func userExe(t *testing.T, dir string) string {
	t.Helper()
	self, _ := os.Executable()
	exe := filepath.Join(dir, "downloader.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return exe
}

// startRetrying starts the command mk makes. A parallel test that forks while a copy's
// write descriptor is open hands that descriptor to its child until the
// child's exec closes it (golang/go#22315): executing the copy then fails
// with ETXTBSY for a moment. Try again, as the go command does.
func startRetrying(t *testing.T, mk func() *exec.Cmd) *exec.Cmd {
	t.Helper()
	for try := 0; ; try++ {
		cmd := mk()
		err := cmd.Start()
		if err == nil {
			return cmd
		}
		if !errors.Is(err, syscall.ETXTBSY) || try == 50 {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func testData(seed uint64, n int) []byte { return demoData(seed, n) }

// repo is a test mirror: an httptest TLS server with files, a request log,
// and per-file handler overrides.
type repo struct {
	t     testing.TB
	srv   *httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	over  map[string]http.HandlerFunc
	log   []string
}

func newRepo(t testing.TB) *repo {
	r := &repo{t: t, files: map[string][]byte{}, over: map[string]http.HandlerFunc{}}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(r.serve))
	r.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	r.srv.StartTLS()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *repo) serve(w http.ResponseWriter, req *http.Request) {
	name := strings.TrimPrefix(req.URL.Path, "/repo/")
	r.mu.Lock()
	r.log = append(r.log, fmt.Sprintf("%s range=%q", name, req.Header.Get("Range")))
	h := r.over[name]
	data, ok := r.files[name]
	r.mu.Unlock()
	if h != nil {
		h(w, req)
		return
	}
	if !ok {
		http.NotFound(w, req)
		return
	}
	http.ServeContent(w, req, name, time.Unix(1700000000, 0), bytes.NewReader(data))
}

// add puts a file (and, if signed, its signature) on the mirror.
func (r *repo) add(name string, data []byte, signed bool) FileSpec {
	sum := sha256.Sum256(data)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files[name] = data
	if signed {
		sig, err := SignFile(testPriv, bytes.NewReader(data))
		if err != nil {
			r.t.Fatal(err)
		}
		r.files[name+sigSuffix] = sig
	}
	return FileSpec{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Signed: signed}
}

func (r *repo) handle(name string, h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.over[name] = h
}

func (r *repo) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func (r *repo) url() string { return r.srv.URL + "/repo" }

func (r *repo) caPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.srv.Certificate().Raw})
}

// newCache makes a cache dir the download user (nobody) can reach.
func newCache(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp(reachableTempDir(), "dltest-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cache := filepath.Join(dir, "cache")
	if err := os.Mkdir(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	return cache
}

func testOptions(cache string, r *repo, files ...FileSpec) Options {
	return Options{
		Cache:          cache,
		List:           &List{Version: 1, Mirrors: []string{r.url()}, Files: files},
		Parallel:       2,
		CAPEM:          r.caPEM(),
		PublicKey:      []byte(base64.StdEncoding.EncodeToString(testPub)),
		Quiet:          true,
		ConnectTimeout: 10 * time.Second,
		HeaderTimeout:  10 * time.Second,
		StallTimeout:   10 * time.Second,
		Stderr:         &bytes.Buffer{},
	}
}

func run(t *testing.T, opts Options) (*Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Run(ctx, opts)
	if res == nil {
		t.Fatal("Run returned a nil result")
	}
	assertNoTempDirs(t, opts.Cache)
	return res, err
}

// assertNoTempDirs: the download dir is removed on every path.
func assertNoTempDirs(t *testing.T, cache string) {
	t.Helper()
	entries, _ := os.ReadDir(cache)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempDirPrefix) {
			t.Errorf("temporary directory %s left in the cache", e.Name())
		}
	}
}

// assertCached checks a file is in the cache with the content, owned by
// the parent's uid.
func assertCached(t *testing.T, cache, name string, want []byte) {
	t.Helper()
	path := filepath.Join(cache, name)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s not in the cache: %v", name, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: content differs (%d bytes, want %d)", name, len(got), len(want))
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != uint32(os.Geteuid()) {
		t.Errorf("%s is owned by uid %d, want %d", name, st.Uid, os.Geteuid())
	}
}

func assertAbsent(t *testing.T, cache, name string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(cache, name)); err == nil {
		t.Errorf("%s is in the cache but should not be", name)
	}
}

func fileResult(t *testing.T, res *Result, name string) FileResult {
	t.Helper()
	for _, f := range res.Files {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no result for %s in %+v", name, res.Files)
	return FileResult{}
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the user switch)")
	}
}

func countWarnings(res *Result, substr string) int {
	n := 0
	for _, w := range res.Warnings {
		if strings.Contains(w, substr) {
			n++
		}
	}
	return n
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// The kernel the tests run on (the CI matrix runs them on old kernels
// too): what the sandbox can enforce here.
func kernelABI() int { return probe.Get().LandlockABI }
func kernelSeccomp() bool {
	return probe.Get().Seccomp && probe.Get().SeccompActions[probe.ActionKillProcess]
}
func fullSandbox() bool { return kernelABI() >= 6 && kernelSeccomp() }

func requireFullSandbox(t *testing.T) {
	t.Helper()
	if !fullSandbox() {
		t.Skipf("this kernel cannot enforce the whole sandbox (Landlock ABI %d, seccomp %v); the degraded paths have their own tests", kernelABI(), kernelSeccomp())
	}
}
