//go:build linux

package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/bench/internal/progs"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

type workRaw struct {
	Rounds     int
	HTTP       map[string][]float64 // requests/s
	HTTPCPU    map[string][]float64 // server CPU µs per request
	HTTPSkip   string               `json:",omitempty"`
	HTTPRounds int
	Walk       map[string][]float64 // ms
	WalkCPU    map[string][]float64 // ms
	WalkFiles  int
	WalkBytes  int64
	Open       map[string][]float64 // ns per openat+close
	Download   map[string][]float64 // MB/s
	DLCPU      map[string][]float64 // ms
	DLSkip     string               `json:",omitempty"`
	DLBytes    int64
	DLBench    map[string][]float64 // MB/s from examples/downloader's own benchmarks
	DLBenchErr string               `json:",omitempty"`
	WrkCommand string
}

// ---- HTTP server under wrk ----

var httpBody = bytes.Repeat([]byte("pledgekit "), 100) // 1000 bytes

func childHTTPServer() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if os.Getenv("PKBENCH_SANDBOX") == "1" {
		// Unveil nothing (the file system is hidden), no new binds or
		// connects, both scopes; then pledge stdio inet.
		rs := unveil.New().BindTCP().ConnectTCP().Scope(unveil.ScopeSignal, unveil.ScopeAbstractUnix)
		if _, err := rs.Commit(); err != nil {
			return err
		}
		if err := pledge.Pledge("stdio inet", ""); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(httpBody)
	})}
	fmt.Printf("{\"Port\":%d}\n", port)
	return srv.Serve(ln)
}

var reqsPerSec = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)

var totalRequests = regexp.MustCompile(`([0-9]+) requests in`)

// runHTTP returns the requests per second wrk measured and the server's CPU
// time per request in microseconds.
func runHTTP(o *options, sandbox bool, dur time.Duration) (rps, cpuPerReq float64, err error) {
	self, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	cmd := exec.Command(self)
	sb := "0"
	if sandbox {
		sb = "1"
	}
	// glibc's malloc opens /sys/devices/system/cpu/online the first time a
	// process needs more than 8 arenas (threads), which a loaded cgo server
	// reaches after it pledged "stdio inet": the pledge kills it (a
	// pledgekit bug, reported in docs/PERFORMANCE.md). MALLOC_ARENA_MAX
	// makes glibc skip that lookup; both servers get it.
	cmd.Env = append(os.Environ(), childEnv+"=httpserver", "PKBENCH_SANDBOX="+sb, "MALLOC_ARENA_MAX=16")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	line, err := bufio.NewReader(out).ReadBytes('\n')
	if err != nil {
		return 0, 0, fmt.Errorf("http server: %w: %s", err, stderr.String())
	}
	var p struct{ Port int }
	if err := json.Unmarshal(line, &p); err != nil {
		return 0, 0, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", p.Port)
	wout, err := exec.Command("wrk", "-t1", "-c32", fmt.Sprintf("-d%ds", int(dur.Seconds())), url).CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("wrk: %w: %s", err, wout)
	}
	if strings.Contains(string(wout), "Non-2xx") || strings.Contains(string(wout), "Socket errors") {
		return 0, 0, fmt.Errorf("wrk saw errors (sandboxed=%v):\n%s\nserver: %s", sandbox, wout, stderr.String())
	}
	m := reqsPerSec.FindSubmatch(wout)
	n := totalRequests.FindSubmatch(wout)
	if m == nil || n == nil {
		return 0, 0, fmt.Errorf("wrk output without Requests/sec:\n%s", wout)
	}
	rps, _ = strconv.ParseFloat(string(m[1]), 64)
	reqs, _ := strconv.ParseFloat(string(n[1]), 64)
	cmd.Process.Kill()
	cmd.Wait()
	killed = true
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return rps, float64(cpu.Microseconds()) / max(reqs, 1), nil
}

// ---- file walk ----

type walkResult struct {
	MS  float64 // wall
	CPU float64 // process CPU time, ms

	Files int
	Bytes int64
}

func walkTree(root string) (files int, n int64, err error) {
	buf := make([]byte, 64<<10)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		for {
			k, err := f.Read(buf)
			n += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return err
			}
		}
		files++
		return f.Close()
	})
	return files, n, err
}

func childWalk() (any, error) {
	root := filepath.Join(goroot(), "src")
	mode := os.Getenv("PKBENCH_MODE")
	if _, _, err := walkTree(root); err != nil { // warm the caches
		return nil, err
	}
	var rs *unveil.Ruleset
	if mode == "unveil" || mode == "both" {
		rs = unveil.New()
		if err := rs.Unveil(root, "r"); err != nil {
			return nil, err
		}
	}
	if mode == "unveil" {
		if _, err := rs.Commit(); err != nil {
			return nil, err
		}
	}
	if mode == "allow-all filter" {
		if err := progs.Install(progs.Floor1()); err != nil {
			return nil, err
		}
	}
	if mode == "pledge" || mode == "both" {
		// "both" commits the layer with the pledge (Options.Unveil), as
		// the downloader does: the pledge refuses truncation, so the layer
		// leaves it to the filter.
		if _, err := pledge.Apply(pledge.Options{Promises: "stdio rpath", Penalty: pledge.PenaltyKill, Unveil: rs}); err != nil {
			return nil, err
		}
	}
	res := walkResult{MS: math.Inf(1), CPU: math.Inf(1)}
	// The walk runs on one locked thread whose CPU time is what is
	// reported: the runtime's other threads (GC workers, sysmon) add noise
	// that has nothing to do with the sandbox.
	runtime.LockOSThread()
	reps := 5
	if os.Getenv("PKBENCH_QUICK") != "" {
		reps = 1
	}
	for range reps {
		c0, t0 := threadCPU(), time.Now()
		f, n, err := walkTree(root)
		if err != nil {
			return nil, err
		}
		res.MS = min(res.MS, float64(time.Since(t0).Nanoseconds())/1e6)
		res.CPU = min(res.CPU, float64((threadCPU()-c0).Nanoseconds())/1e6)
		res.Files, res.Bytes = f, n
	}
	return res, nil
}

// ---- Landlock cost per open ----

// openModes are where the one Landlock rule sits relative to the file
// opened, net/http/server.go under GOROOT/src.
var openModes = []struct{ name, desc string }{
	{"none", "no Landlock domain"},
	{"rule at parent", "one rule `r` on GOROOT/src/net/http (the file's directory)"},
	{"rule at GOROOT/src", "one rule `r` on GOROOT/src (3 levels up)"},
	{"rule at /", "one rule `r` on / (walk to the root)"},
	{"2 layers at parent", "two layers, each with a rule on the file's directory"},
	{"rw rule at parent", "one rule `rw` on the file's directory (write grants truncate)"},
	{"ABI 2 rule at parent", "raw ruleset handling only the ABI 1-2 rights (no truncate, no ioctl), one rule on the file's directory (this thread only)"},
}

func childOpen() (any, error) {
	mode := os.Getenv("PKBENCH_MODE")
	file := filepath.Join(goroot(), "src", "net", "http", "server.go")
	var dirs []string
	switch mode {
	case "none":
	case "rule at parent":
		dirs = []string{filepath.Dir(file)}
	case "rule at GOROOT/src":
		dirs = []string{filepath.Join(goroot(), "src")}
	case "rule at /":
		dirs = []string{"/"}
	case "2 layers at parent":
		dirs = []string{filepath.Dir(file), filepath.Dir(file)}
	case "rw rule at parent":
		dirs = []string{filepath.Dir(file)}
	case "ABI 2 rule at parent":
		runtime.LockOSThread() // the domain is this thread's only
		if err := rawLandlockABI2(filepath.Dir(file)); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown mode %q", mode)
	}
	layers := 1
	if mode == "2 layers at parent" {
		layers = 2
	}
	for l := 0; l < layers && len(dirs) > 0; l++ {
		rs := unveil.New()
		perm := "r"
		if mode == "rw rule at parent" {
			perm = "rw"
		}
		if err := rs.Unveil(dirs[l], perm); err != nil {
			return nil, err
		}
		if _, err := rs.Commit(); err != nil {
			return nil, err
		}
	}
	p, err := unix.BytePtrFromString(file)
	if err != nil {
		return nil, err
	}
	c := hotCall{Name: "open+close", Nr: unix.SYS_OPENAT, Args: [6]uintptr{uintptr(atFDCWD), uintptrOf(p), unix.O_RDONLY | unix.O_CLOEXEC}, Close: true}
	runtime.LockOSThread()
	if _, _, e := callOnce(&c); e != 0 {
		return nil, fmt.Errorf("open %s: %w", file, e)
	}
	blocks, target := 9, 2*time.Millisecond
	if os.Getenv("PKBENCH_QUICK") != "" {
		blocks, target = 1, 200*time.Microsecond
	}
	ns := timeCall(&c, blocks, target)
	runtime.KeepAlive(p)
	return map[string]float64{"NS": ns}, nil
}

// ---- the downloader ----

type dlSetup struct {
	bin, list string
	bytes     int64
	srv       *http.Server
}

func setupDownloader(o *options) (*dlSetup, error) {
	bin, err := o.goBuild(o.root, "./examples/downloader", "downloader")
	if err != nil {
		return nil, err
	}
	// As root the downloader switches to an unprivileged user, who needs
	// search permission on every directory above the cache.
	if err := os.Chmod(o.tmp, 0o755); err != nil {
		return nil, err
	}
	repo := filepath.Join(o.tmp, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return nil, err
	}
	nfiles, size := 4, 32<<20
	if o.quick {
		nfiles, size = 2, 1<<20
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var list strings.Builder
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(&list, "version = 1\nmirrors = [\"http://%s/repo\"]\n", ln.Addr())
	var total int64
	for i := range nfiles {
		b := make([]byte, size)
		for j := 0; j < len(b); j += 8 {
			v := rng.Uint64()
			for k := 0; k < 8 && j+k < len(b); k++ {
				b[j+k] = byte(v >> (8 * k))
			}
		}
		name := fmt.Sprintf("pkg%d.bin", i)
		if err := os.WriteFile(filepath.Join(repo, name), b, 0o644); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(&list, "\n[[file]]\nname = %q\nsize = %d\nsha256 = %q\n", name, len(b), hex.EncodeToString(sum[:]))
		total += int64(len(b))
	}
	lf := filepath.Join(o.tmp, "list.toml")
	if err := os.WriteFile(lf, []byte(list.String()), 0o644); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/repo/", http.StripPrefix("/repo/", http.FileServer(http.Dir(repo))))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	return &dlSetup{bin: bin, list: lf, bytes: total, srv: srv}, nil
}

// runDownload runs one download into a fresh cache and returns MB/s and
// the CPU time of the downloader and its children in milliseconds.
func runDownload(o *options, s *dlSetup, sandbox bool, round int) (mbs, cpuMS float64, err error) {
	cache, err := os.MkdirTemp(o.tmp, "cache-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(cache)
	os.Chmod(cache, 0o755)
	args := []string{"--list", s.list, "--cache", cache, "-q", "--parallel", "4"}
	if !sandbox {
		args = append(args, "--disable-sandbox")
	}
	cmd := exec.Command(s.bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err = cmd.Run()
	d := time.Since(t0)
	if err != nil {
		return 0, 0, fmt.Errorf("downloader %v: %w\n%s", args, err, out.String())
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return float64(s.bytes) / 1e6 / d.Seconds(), float64(cpu.Microseconds()) / 1e3, nil
}

func benchWorkloads(o *options) (section, error) {
	var s section
	rounds := o.roundsOr(7)
	raw := workRaw{Rounds: rounds, HTTP: map[string][]float64{}, HTTPCPU: map[string][]float64{}, Walk: map[string][]float64{}, WalkCPU: map[string][]float64{},
		Open: map[string][]float64{}, Download: map[string][]float64{}, DLCPU: map[string][]float64{}, DLBench: map[string][]float64{}}
	dur, httpRounds := 3*time.Second, 2*rounds
	if o.quick {
		dur, httpRounds = time.Second, 1
	}
	raw.HTTPRounds = httpRounds
	raw.WrkCommand = fmt.Sprintf("wrk -t1 -c32 -d%ds http://127.0.0.1:PORT/", int(dur.Seconds()))

	// HTTP.
	if _, err := exec.LookPath("wrk"); err != nil {
		raw.HTTPSkip = "wrk is not installed"
	} else {
		for r := range httpRounds {
			for i := range 2 {
				sandbox := (i+r)%2 == 1
				rps, cpu, err := runHTTP(o, sandbox, dur)
				if err != nil {
					return s, err
				}
				k := "unsandboxed"
				if sandbox {
					k = "sandboxed"
				}
				raw.HTTP[k] = append(raw.HTTP[k], rps)
				raw.HTTPCPU[k] = append(raw.HTTPCPU[k], cpu)
			}
			o.logf("workloads: http round %d/%d", r+1, httpRounds)
		}
	}

	// File walk.
	walkModes := []string{"none", "unveil", "pledge", "both", "allow-all filter"}
	for r := range rounds {
		for i := range walkModes {
			m := walkModes[(i+r)%len(walkModes)]
			env := []string{"PKBENCH_MODE=" + m}
			if o.quick {
				env = append(env, "PKBENCH_QUICK=1")
			}
			var res walkResult
			if err := child("walk", env, &res); err != nil {
				return s, err
			}
			raw.Walk[m] = append(raw.Walk[m], res.MS)
			raw.WalkCPU[m] = append(raw.WalkCPU[m], res.CPU)
			raw.WalkFiles, raw.WalkBytes = res.Files, res.Bytes
		}
		o.logf("workloads: walk round %d/%d", r+1, rounds)
	}

	// Landlock per open.
	for r := range 2 * rounds {
		for i := range openModes {
			m := openModes[(i+r)%len(openModes)].name
			env := []string{"PKBENCH_MODE=" + m}
			if o.quick {
				env = append(env, "PKBENCH_QUICK=1")
			}
			var res map[string]float64
			if err := child("open", env, &res); err != nil {
				return s, err
			}
			raw.Open[m] = append(raw.Open[m], res["NS"])
		}
	}
	o.logf("workloads: open done")

	// The downloader.
	if dl, err := setupDownloader(o); err != nil {
		raw.DLSkip = err.Error()
		o.logf("downloader unavailable: %v", err)
	} else {
		raw.DLBytes = dl.bytes
		for r := range rounds {
			for i := range 2 {
				sandbox := (i+r)%2 == 1
				mbs, cpu, err := runDownload(o, dl, sandbox, r)
				if err != nil {
					dl.srv.Close()
					return s, err
				}
				k := "unsandboxed"
				if sandbox {
					k = "sandboxed"
				}
				raw.Download[k] = append(raw.Download[k], mbs)
				raw.DLCPU[k] = append(raw.DLCPU[k], cpu)
			}
			o.logf("workloads: download round %d/%d", r+1, rounds)
		}
		dl.srv.Close()
	}

	// The downloader's own benchmarks (HTTPS, a signed file), alternated;
	// a cross-check the smoke run (-quick) skips: building the test binary
	// is most of its time.
	if o.quick {
		raw.DLBenchErr = "skipped by -quick"
	} else if tb, err := o.goTestBinary(o.root, "./examples/downloader", "downloader.test"); err != nil {
		raw.DLBenchErr = err.Error()
	} else {
		for r := range rounds {
			for i := range 2 {
				name := []string{"Sandboxed", "Unsandboxed"}[(i+r)%2]
				mbs, err := runGoBench(tb, "BenchmarkDownload"+name, o.quick)
				if err != nil {
					raw.DLBenchErr = err.Error()
					break
				}
				raw.DLBench[strings.ToLower(name)] = append(raw.DLBench[strings.ToLower(name)], mbs)
			}
			if raw.DLBenchErr != "" {
				break
			}
		}
		o.logf("workloads: downloader benchmarks done")
	}

	s.Raw = raw
	s.Markdown = workMarkdown(raw)
	return s, nil
}

func workMarkdown(raw workRaw) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Real workloads, %d interleaved rounds each (HTTP: %d), medians. Two measures: wall-clock throughput (what a user sees, but on a loaded machine mostly a measure of the other load) and CPU time per unit of work (user + system of the measured process, which leaves out waiting for a CPU). Ratios are medians of per-round ratios, oriented so that 1.000 means no cost and less means slower.\n\n", raw.Rounds, raw.HTTPRounds)
	b.WriteString("| workload | unsandboxed | sandboxed | ratio | CPU unsandboxed | CPU sandboxed | CPU ratio |\n|---|--:|--:|--:|--:|--:|--:|\n")
	if raw.HTTPSkip == "" {
		u, sb := raw.HTTP["unsandboxed"], raw.HTTP["sandboxed"]
		cu, cs := raw.HTTPCPU["unsandboxed"], raw.HTTPCPU["sandboxed"]
		fmt.Fprintf(&b, "| net/http server: requests/s; CPU µs per request | %.0f | %.0f | %s | %.1f | %.1f | %s |\n",
			median(u), median(sb), fmtRatio(median(ratios(sb, u))), median(cu), median(cs), fmtRatio(median(ratios(cu, cs))))
	}
	u, cu := raw.Walk["none"], raw.WalkCPU["none"]
	for _, m := range []string{"unveil", "pledge", "both", "allow-all filter"} {
		w, cw := raw.Walk[m], raw.WalkCPU[m]
		fmt.Fprintf(&b, "| walk+read GOROOT/src (%d files, %.0f MB), %s: ms | %.0f | %.0f | %s | %.0f | %.0f | %s |\n",
			raw.WalkFiles, float64(raw.WalkBytes)/1e6, m, median(u), median(w), fmtRatio(median(ratios(u, w))), median(cu), median(cw), fmtRatio(median(ratios(cu, cw))))
	}
	if raw.DLSkip == "" {
		u, sb := raw.Download["unsandboxed"], raw.Download["sandboxed"]
		cu, cs := raw.DLCPU["unsandboxed"], raw.DLCPU["sandboxed"]
		fmt.Fprintf(&b, "| examples/downloader, %.0f MB over HTTP on loopback: MB/s; CPU ms per run | %.0f | %.0f | %s | %.0f | %.0f | %s |\n",
			float64(raw.DLBytes)/1e6, median(u), median(sb), fmtRatio(median(ratios(sb, u))), median(cu), median(cs), fmtRatio(median(ratios(cu, cs))))
	}
	b.WriteString("\n- HTTP: a net/http server returning 1000 bytes, in a child process; sandboxed = `unveil.New().BindTCP().ConnectTCP().Scope(signal, abstract unix).Commit()` (no paths: the file system is hidden) then `pledge.Pledge(\"stdio inet\", \"\")` (default penalty, supervisor), after `Listen`. Load: `" + raw.WrkCommand + "` (127.0.0.1 only); CPU is the server process's, divided by the requests wrk completed. Both servers run with `MALLOC_ARENA_MAX=16`: without it the pledged server is killed under load when glibc's malloc opens /sys/devices/system/cpu/online (see the note below the tables).\n")
	b.WriteString("- Walk: `filepath.WalkDir` over GOROOT/src reading every regular file (os.Open, Read into one 64 KiB buffer until EOF, Close), best of 5 walks in each fresh process after one warm-up walk before the sandbox (CPU: of the walking thread, which is locked to its goroutine); unveil = one rule `r` on GOROOT/src, `Commit()`; pledge = `pledge.Apply(\"stdio rpath\", PenaltyKill)`; both = the two in one call (`Options.Unveil`: the layer leaves truncation to the pledge); allow-all filter = a one-instruction ALLOW seccomp filter (floor 1 of section 1: what any filter costs, whatever its shape).\n")
	if raw.DLSkip == "" {
		b.WriteString("- Downloader: the examples/downloader binary, `--list L --cache fresh-dir -q --parallel 4` against a Go HTTP file server on 127.0.0.1 serving 4 random files, sandboxed (default: Landlock + pledge in the fetch and verify children) vs `--disable-sandbox`; wall time of the whole run (parent, children, hashing, moving into the cache); CPU of the downloader and the children it waited for.\n")
	} else {
		fmt.Fprintf(&b, "- Downloader: not measured: %s\n", firstLine(raw.DLSkip))
	}
	if raw.DLBenchErr == "" {
		u, sb := raw.DLBench["unsandboxed"], raw.DLBench["sandboxed"]
		fmt.Fprintf(&b, "- Cross-check with the downloader's own `BenchmarkDownload{Sandboxed,Unsandboxed}` (one signed 32 MiB file over HTTPS from an httptest server, 3 iterations per run, runs alternated): %.0f vs %.0f MB/s, ratio %s.\n",
			median(sb), median(u), fmtRatio(median(ratios(sb, u))))
	} else {
		fmt.Fprintf(&b, "- The downloader's own benchmarks: not run: %s\n", firstLine(raw.DLBenchErr))
	}
	fmt.Fprintf(&b, "\nLandlock's cost per `openat(GOROOT/src/net/http/server.go, O_RDONLY)` + `close`, ns (median of %d fresh processes, best of 9 blocks of ~2 ms thread CPU time each):\n\n", 2*raw.Rounds)
	b.WriteString("| Landlock domain | ns | Δ ns vs none |\n|---|--:|--:|\n")
	base := median(raw.Open["none"])
	for _, m := range openModes {
		v := median(raw.Open[m.name])
		fmt.Fprintf(&b, "| %s | %.0f | %+.0f |\n", m.desc, v, v-base)
	}
	return b.String()
}

var benchMBs = regexp.MustCompile(`\s([0-9.]+) MB/s`)

// runGoBench runs one benchmark of a test binary and returns its MB/s.
func runGoBench(bin, name string, quick bool) (float64, error) {
	n := "3x"
	if quick {
		n = "1x"
	}
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", "^"+name+"$", "-test.benchtime", n)
	cmd.Dir = filepath.Dir(bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("%s: %w\n%s", name, err, out)
	}
	m := benchMBs.FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("%s: no MB/s in the output:\n%s", name, out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

func uintptrOf(p *byte) uintptr { return uintptr(unsafePointer(p)) }
