package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// demoMirror is an HTTPS mirror on 127.0.0.1 with a freshly generated CA.
type demoMirror struct {
	srv    *http.Server
	ln     net.Listener
	URL    string // base URL of the repository
	CAPEM  []byte
	files  map[string][]byte
	rate   int64  // bytes per second per response; 0 = unlimited
	attack string // file whose response carries attackHeader
	mu     sync.Mutex
	log    []string
}

// newDemoCA makes a CA and a server certificate for 127.0.0.1 signed by it.
func newDemoCA() (caPEM []byte, cert tls.Certificate, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pledgekit demo CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, cert, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, cert, err
	}
	cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), cert, nil
}

func startDemoMirror(files map[string][]byte, rate int64) (*demoMirror, error) {
	caPEM, cert, err := newDemoCA()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &demoMirror{ln: ln, CAPEM: caPEM, files: files, rate: rate}
	m.URL = "https://" + ln.Addr().String() + "/repo"
	m.srv = &http.Server{
		Handler:           http.HandlerFunc(m.serve),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          nil,
	}
	go func() { _ = m.srv.ServeTLS(ln, "", "") }()
	return m, nil
}

func (m *demoMirror) Close() { _ = m.srv.Close() }

func (m *demoMirror) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/repo/")
	data, found := m.files[name]
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	m.mu.Lock()
	m.log = append(m.log, fmt.Sprintf("%s %s range=%q", r.Method, r.URL.Path, r.Header.Get("Range")))
	m.mu.Unlock()
	if name == m.attack {
		w.Header().Set(attackHeader, "1")
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	var tw io.Writer = w
	if m.rate > 0 {
		tw = &throttled{w: w, rate: m.rate, ctx: r.Context()}
	}
	http.ServeContent(writerWith{ResponseWriter: w, w: tw}, r, name, time.Unix(1700000000, 0), bytes.NewReader(data))
}

// Requests returns the request log of the mirror.
func (m *demoMirror) Requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.log...)
}

type writerWith struct {
	http.ResponseWriter
	w io.Writer
}

func (w writerWith) Write(p []byte) (int, error) { return w.w.Write(p) }

// throttled writes at most rate bytes per second, in small chunks.
type throttled struct {
	w    io.Writer
	rate int64
	ctx  context.Context
}

func (t *throttled) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := min(len(p), 16<<10)
		k, err := t.w.Write(p[:c])
		n += k
		if err != nil {
			return n, err
		}
		if f, ok := t.w.(http.Flusher); ok {
			f.Flush()
		}
		p = p[c:]
		select {
		case <-time.After(time.Duration(int64(c) * int64(time.Second) / t.rate)):
		case <-t.ctx.Done():
			return n, t.ctx.Err()
		}
	}
	return n, nil
}

// demoData is deterministic pseudo-random content (incompressible, like a
// package).
func demoData(seed uint64, n int) []byte {
	r := mrand.New(mrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), 'p', 'k'}))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// demoSet is the generated repository of the demo.
type demoSet struct {
	files  map[string][]byte
	list   *List
	pub    ed25519.PublicKey
	priv   ed25519.PrivateKey
	signed map[string]bool
}

func newDemoSet() (*demoSet, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	d := &demoSet{files: map[string][]byte{}, pub: pub, priv: priv, signed: map[string]bool{}}
	specs := []struct {
		name   string
		size   int
		signed bool
	}{
		{"core.db", 180 << 10, false},
		{"extra.db", 1536 << 10, false},
		{"linux-6.18.4-1-x86_64.pkg.tar.zst", 6 << 20, true},
		{"glibc-2.41-1-x86_64.pkg.tar.zst", 3 << 20, true},
		{"pledgekit-1.0.0-1-x86_64.pkg.tar.zst", 1 << 20, true},
	}
	d.list = &List{Version: 1, PublicKey: base64.StdEncoding.EncodeToString(pub)}
	for i, s := range specs {
		data := demoData(uint64(i+1), s.size)
		sum := sha256.Sum256(data)
		d.files[s.name] = data
		if s.signed {
			sig, err := SignFile(priv, bytes.NewReader(data))
			if err != nil {
				return nil, err
			}
			d.files[s.name+sigSuffix] = sig
		}
		d.list.Files = append(d.list.Files, FileSpec{Name: s.name, Size: int64(s.size), SHA256: hex.EncodeToString(sum[:]), Signed: s.signed})
	}
	return d, nil
}

// listTOML renders a list in the documented format (for the user to see).
func listTOML(l *List) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version = 1\n")
	if len(l.Mirrors) > 0 {
		fmt.Fprintf(&b, "mirrors = [%s]\n", quoteAll(l.Mirrors))
	}
	if l.PublicKey != "" {
		fmt.Fprintf(&b, "public_key = %q\n", l.PublicKey)
	}
	for _, f := range l.Files {
		fmt.Fprintf(&b, "\n[[file]]\nname = %q\nsize = %d\nsha256 = %q\n", f.Name, f.Size, f.SHA256)
		if f.Signed {
			fmt.Fprintf(&b, "signed = true\n")
		}
		if len(f.URLs) > 0 {
			fmt.Fprintf(&b, "urls = [%s]\n", quoteAll(f.URLs))
		}
	}
	return b.String()
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// deadPort returns a local port nothing listens on (for mirror failover).
func deadPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port, nil
}

// runDemo sets up a mirror, a cache with the leftovers of an "interrupted
// earlier run", and downloads through the real code path.
func runDemo(ctx context.Context, opts Options, attack, jsonOut bool, stdout, stderr io.Writer, sig *atomic.Int32) int {
	say := func(format string, args ...any) {
		if !jsonOut && !opts.Quiet {
			fmt.Fprintf(stdout, format+"\n", args...)
		}
	}
	root, err := os.MkdirTemp(reachableTempDir(), "pledgekit-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	defer os.RemoveAll(root)
	// The download user must be able to reach the cache.
	_ = os.Chmod(root, 0o755)
	cache := filepath.Join(root, "cache")
	if err := os.Mkdir(cache, 0o755); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	set, err := newDemoSet()
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	mirror, err := startDemoMirror(set.files, 8<<20)
	if err != nil {
		fmt.Fprintf(stderr, "demo: starting the mirror: %v\n", err)
		return exitFailed
	}
	defer mirror.Close()
	dead, err := deadPort()
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailed
	}
	set.list.Mirrors = []string{mirror.URL}
	// extra.db lists a dead mirror first: failover.
	deadURL := fmt.Sprintf("https://127.0.0.1:%d/repo/extra.db", dead)
	set.list.Files[1].URLs = []string{deadURL}

	// An interrupted earlier run: a partial linux package in the cache and
	// a download dir left by a crash.
	big := set.list.Files[2]
	partial := set.files[big.Name][:len(set.files[big.Name])*2/5]
	_ = os.WriteFile(filepath.Join(cache, big.Name+partSuffix), partial, 0o644)
	_ = os.MkdirAll(filepath.Join(cache, tempDirPrefix+"crashed"), 0o700)
	_ = os.WriteFile(filepath.Join(cache, tempDirPrefix+"crashed", "core.db"+partSuffix), set.files["core.db"][:4096], 0o644)

	listPath := filepath.Join(root, "demo.toml")
	_ = os.WriteFile(listPath, []byte(listTOML(set.list)), 0o644)
	caPath := filepath.Join(root, "ca.pem")
	_ = os.WriteFile(caPath, mirror.CAPEM, 0o644)

	opts.Cache = cache
	opts.ListFile = listPath
	opts.CAFile = caPath
	opts.Verbose = true

	var atk *attackJob
	var forbidden net.Listener
	var forbiddenHits atomic.Int32
	secret := filepath.Join(cache, "secret-token")
	secretData := []byte("demo secret " + hex.EncodeToString(demoData(99, 16)) + "\n")
	if attack {
		// World-readable on purpose: only the sandbox protects it.
		_ = os.WriteFile(secret, secretData, 0o644)
		_ = os.Chmod(secret, 0o644)
		forbidden, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintf(stderr, "demo: %v\n", err)
			return exitFailed
		}
		defer forbidden.Close()
		go func() {
			for {
				c, err := forbidden.Accept()
				if err != nil {
					return
				}
				forbiddenHits.Add(1)
				c.Close()
			}
		}()
		atk = &attackJob{Secret: secret, Outside: filepath.Join(cache, "PWNED"), ForbiddenPort: uint16(forbidden.Addr().(*net.TCPAddr).Port)}
		mirror.attack = "core.db"
		opts.attack = atk
		opts.errnoPenalty = true
	}

	say("pledgekit downloader demo%s", map[bool]string{true: " (attack)", false: ""}[attack])
	say("  mirror   %s (self-signed CA, trusted via --ca %s)", mirror.URL, caPath)
	say("  failover %s is dead; extra.db lists it first", deadURL)
	say("  list     %s (%d files, sha256 + Ed25519 signatures)", listPath, len(set.list.Files))
	say("  cache    %s (a partial %s and a crashed run's %s dir in it)", cache, big.Name, tempDirPrefix+"crashed")
	if os.Geteuid() == 0 {
		u := opts.User
		if u == "" {
			say("  running as root: the downloader child switches to an unused uid allocated for this run")
		} else if uid, _, err := lookupUser(u); err == nil && uid == 0 {
			say("  running as root with --user %s: no user switch, the sandbox still applies", u)
		} else {
			say("  running as root: the downloader child switches to %q", u)
		}
	} else {
		say("  running as uid %d: no user switch, the sandbox still applies", os.Geteuid())
	}
	if attack {
		say("  attack   the mirror's response for core.db makes the child act compromised;")
		say("           secret %s (mode 0644), forbidden port %d", secret, atk.ForbiddenPort)
	}
	say("")

	res, runErr := Run(ctx, opts)
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else if !opts.Quiet {
		printDemo(stdout, res, mirror)
	}
	code := exitOK
	if runErr != nil {
		code = exitCode(runErr, stderr, sig, jsonOut)
	}
	if !attack {
		return code
	}
	// Attack verdict: every attempt denied, the parent intact.
	ok := len(res.Attacks) == numAttacks
	for _, a := range res.Attacks {
		ok = ok && a.Outcome == "DENIED"
	}
	got, _ := os.ReadFile(secret)
	_, pwned := os.Lstat(filepath.Join(cache, "PWNED"))
	intact := bytes.Equal(got, secretData) && errors.Is(pwned, os.ErrNotExist) && forbiddenHits.Load() == 0
	if !jsonOut {
		fmt.Fprintf(stdout, "\nparent (pid %d): still running; secret unchanged: %v; no file written outside: %v; connections to port %d: %d\n",
			os.Getpid(), bytes.Equal(got, secretData), errors.Is(pwned, os.ErrNotExist), atk.ForbiddenPort, forbiddenHits.Load())
		if ok && intact {
			fmt.Fprintln(stdout, "every attempt was DENIED.")
		} else {
			fmt.Fprintln(stdout, "SANDBOX FAILURE: not every attempt was denied.")
		}
	}
	if ok && intact && !errors.Is(runErr, ErrInterrupted) {
		return exitOK
	}
	if code == exitOK {
		code = exitFailed
	}
	return code
}

func printDemo(w io.Writer, res *Result, mirror *demoMirror) {
	if id := res.Identity; id != nil {
		fmt.Fprintln(w, "\ndownloader child, in order:")
		fmt.Fprintf(w, "  1. no_new_privs on every thread: %v\n", id.NoNewPrivs)
		if id.Switched {
			fmt.Fprintf(w, "  2. switched to uid %d gid %d, supplementary groups %v; capabilities empty: %v; setuid(0) fails: %v\n",
				id.UID, id.GID, groupList(id.Groups), id.NoCapabilities, id.Setuid0Denied)
		} else {
			fmt.Fprintf(w, "  2. no user switch: uid %d gid %d; setuid(0) fails: %v\n", id.UID, id.GID, id.Setuid0Denied)
		}
		if res.Sandbox != nil {
			fmt.Fprintf(w, "  3. Landlock enforced: %v (ABI %d)\n", res.Sandbox.Landlock, res.Sandbox.LandlockABI)
			fmt.Fprintf(w, "  4. seccomp (pledge) enforced: %v\n", res.Sandbox.Seccomp)
			fmt.Fprintln(w, "  5. network")
		}
	}
	if res.Sandbox != nil {
		fmt.Fprintln(w, "\nenforcement report (downloader child):")
		_ = res.Sandbox.WriteTable(w)
	}
	if res.Verifier != nil {
		fmt.Fprintf(w, "\nsignature checker child: Landlock %v, seccomp %v, no network\n", res.Verifier.Landlock, res.Verifier.Seccomp)
	}
	fmt.Fprintln(w, "\nresults:")
	printResult(w, &Result{Files: res.Files}, Options{})
	if len(res.Leftovers) > 0 {
		fmt.Fprintf(w, "\nleftovers of earlier runs removed: %s\n", strings.Join(res.Leftovers, ", "))
	}
	var ranged []string
	for _, r := range mirror.Requests() {
		if !strings.HasSuffix(r, `range=""`) {
			ranged = append(ranged, r)
		}
	}
	if len(ranged) > 0 {
		fmt.Fprintf(w, "range requests seen by the mirror: %s\n", strings.Join(ranged, "; "))
	}
	if len(res.Attacks) > 0 {
		fmt.Fprintln(w, "\nsimulated compromise of the downloader child (--demo-attack):")
		for _, a := range res.Attacks {
			e := a.Errno
			if e == "" {
				e = "-"
			}
			fmt.Fprintf(w, "  %-52s %-12s %-7s %s\n", a.What, a.Outcome, e, a.Detail)
		}
	}
	if res.Cache != "" {
		fmt.Fprintf(w, "\ncache %s now holds:\n", res.Cache)
		entries, _ := os.ReadDir(res.Cache)
		var names []string
		for _, e := range entries {
			var st unix.Stat_t
			if unix.Lstat(filepath.Join(res.Cache, e.Name()), &st) == nil {
				names = append(names, fmt.Sprintf("  %-40s %10s  uid %d  mode %o", e.Name(), size(st.Size), st.Uid, st.Mode&0o7777))
			}
		}
		sort.Strings(names)
		fmt.Fprintln(w, strings.Join(names, "\n"))
	}
}

func groupList(g []uint32) string {
	if len(g) == 0 {
		return "[]"
	}
	return fmt.Sprint(g)
}

// reachableTempDir is os.TempDir, or /tmp or /var/tmp when some directory
// above os.TempDir cannot be searched by other users (a private $TMPDIR):
// the download user must reach the cache the demo makes there.
func reachableTempDir() string {
	for _, d := range []string{os.TempDir(), "/tmp", "/var/tmp"} {
		if searchableByOthers(d) {
			return d
		}
	}
	return os.TempDir()
}

// searchableByOthers reports whether every directory from / down to dir
// has the search bit for others.
func searchableByOthers(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for p := abs; ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil || !st.IsDir() || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if p == filepath.Dir(p) {
			return true
		}
	}
}
