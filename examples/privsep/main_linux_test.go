package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The test binary is also the child: fetch re-executes os.Executable().
// PRIVSEP_ROLE=attack runs confine and then tries to leave the sandbox.
func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "child":
		os.Exit(childMain(os.Args[1:]))
	case "attack":
		os.Exit(attackMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func serve(t *testing.T, body []byte) (string, string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
	t.Cleanup(srv.Close)
	sum := sha256.Sum256(body)
	return srv.URL + "/file.bin", hex.EncodeToString(sum[:])
}

func TestFetchInstallsWhatWasAskedFor(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 10000)
	u, sum := serve(t, body)
	cache := t.TempDir()
	dst, rep, err := fetch(context.Background(), u, sum, cache)
	if err != nil {
		t.Fatalf("fetch: %v\nreport:\n%v", err, rep)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("installed %d bytes (err %v), want the %d served", len(got), err, len(body))
	}
	if rep == nil || !rep.Seccomp || rep.NoNewPrivs == false {
		t.Fatalf("the child's report does not show its filter and no_new_privs:\n%v", rep)
	}
	if rep.LandlockABI > 0 && !rep.Landlock {
		t.Fatalf("Landlock ABI %d but no layer enforced:\n%v", rep.LandlockABI, rep)
	}
	if st, _ := os.Stat(dst); st.Mode().Perm() != 0o644 {
		t.Errorf("installed with mode %v, want 0644", st.Mode())
	}
}

func TestWrongHashInstallsNothing(t *testing.T) {
	u, _ := serve(t, []byte("what the mirror sends"))
	want := sha256.Sum256([]byte("what the list says"))
	cache := t.TempDir()
	_, _, err := fetch(context.Background(), u, hex.EncodeToString(want[:]), cache)
	if err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Fatalf("fetch = %v, want a SHA-256 mismatch", err)
	}
	if ents, _ := os.ReadDir(cache); len(ents) != 0 {
		t.Fatalf("the cache holds %v after a mismatch", ents)
	}
}

func TestURLWithoutAFileName(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:1/", "http://127.0.0.1:1/..", "ftp://x/y", "http://127.0.0.1:1/.hidden"} {
		if _, _, err := fetch(context.Background(), u, "00", t.TempDir()); err == nil {
			t.Errorf("fetch(%q) succeeded", u)
		}
	}
}

// install believes nothing the child says: a size that does not match the
// file, a symlink instead of a file, or a directory are refused.
func TestInstallRefusesTheChildsLies(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	os.WriteFile(real, []byte("secret bytes of someone else"), 0o600)
	link := filepath.Join(dir, "link")
	os.Symlink(real, link)
	sum := sha256.Sum256([]byte("secret bytes of someone else"))
	want := hex.EncodeToString(sum[:])
	cases := []struct {
		name string
		src  string
		size int64
	}{
		{"symlink", link, 28},
		{"shorter size", real, 10},
		{"longer size", real, 100},
		{"directory", dir, 0},
	}
	for _, c := range cases {
		dst := filepath.Join(t.TempDir(), "out")
		if err := install(c.src, c.size, want, dst); err == nil {
			t.Errorf("%s: installed", c.name)
		}
		if _, err := os.Stat(dst); err == nil {
			t.Errorf("%s: %s exists", c.name, dst)
		}
	}
	dst := filepath.Join(t.TempDir(), "out")
	if err := install(real, 28, want, dst); err != nil {
		t.Fatalf("the honest case: %v", err)
	}
}

func TestEscapeShowsControlCharacters(t *testing.T) {
	in := "ok\x1b[2J\rline\n\xff\u202e é\t"
	got := escape(in)
	for _, bad := range []string{"\x1b", "\r", "\xff", "\u202e"} {
		if strings.Contains(got, bad) {
			t.Errorf("escape(%q) = %q keeps %q", in, got, bad)
		}
	}
	if !strings.Contains(got, "ok") || !strings.Contains(got, "line\n") || !strings.Contains(got, " é\t") {
		t.Errorf("escape(%q) = %q lost printable text", in, got)
	}
}

type attackResult struct {
	ABI           int    `json:"abi"`
	WriteWork     string `json:"write_work"`
	WriteOutside  string `json:"write_outside"`
	ReadOutside   string `json:"read_outside"`
	DialAllowed   string `json:"dial_allowed"`
	DialElsewhere string `json:"dial_elsewhere"`
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// attackMain is a compromised child: it confines itself as the real child
// does, then tries to reach what the parent keeps.
func attackMain(args []string) int {
	rawURL, work, secret, other := args[0], args[1], args[2], args[3]
	rep, err := confine(rawURL, work)
	if err != nil {
		os.Stderr.WriteString(err.Error())
		return 1
	}
	var r attackResult
	r.ABI = rep.LandlockABI
	r.WriteWork = errText(os.WriteFile(filepath.Join(work, "x"), []byte("x"), 0o600))
	r.WriteOutside = errText(os.WriteFile(filepath.Join(filepath.Dir(secret), "planted"), []byte("x"), 0o600))
	_, err = os.ReadFile(secret)
	r.ReadOutside = errText(err)
	host := strings.TrimPrefix(strings.TrimSuffix(rawURL, "/file.bin"), "http://")
	if c, err := net.Dial("tcp", host); err == nil {
		c.Close()
		r.DialAllowed = "ok"
	} else {
		r.DialAllowed = errText(err)
	}
	if c, err := net.Dial("tcp", other); err == nil {
		c.Close()
		r.DialElsewhere = "ok"
	} else {
		r.DialElsewhere = errText(err)
	}
	json.NewEncoder(os.Stdout).Encode(r)
	return 0
}

func TestCompromisedChildStaysInside(t *testing.T) {
	u, _ := serve(t, []byte("x"))
	other, err := net.Listen("tcp", "127.0.0.1:0") // a service the child must not reach
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	go func() {
		for {
			c, err := other.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	work, keep := t.TempDir(), t.TempDir()
	secret := filepath.Join(keep, "signing.key")
	os.WriteFile(secret, []byte("private"), 0o644)
	self, _ := os.Executable()
	cmd := exec.Command(self, u, work, secret, other.Addr().String())
	cmd.Env = append(os.Environ(), roleEnv+"=attack")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("attack child: %v\n%s", err, stderr.Bytes())
	}
	var r attackResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("attack child said %q: %v", out, err)
	}
	t.Logf("%+v", r)
	if r.WriteWork != "ok" || r.DialAllowed != "ok" {
		t.Fatalf("the legitimate work failed: %+v", r)
	}
	if r.ABI == 0 {
		t.Skipf("no Landlock on this kernel: the child's paths and ports are not confined (reported as dropped)")
	}
	denied := syscall.EACCES.Error()
	if r.WriteOutside != denied || r.ReadOutside != denied {
		t.Errorf("outside the work directory: write %q, read %q; want %q", r.WriteOutside, r.ReadOutside, denied)
	}
	if _, err := os.Stat(filepath.Join(keep, "planted")); err == nil {
		t.Errorf("the child planted a file next to the key")
	}
	if r.ABI >= 4 && r.DialElsewhere != denied {
		t.Errorf("dial to another port: %q, want %q (Landlock ABI %d has TCP rules)", r.DialElsewhere, denied, r.ABI)
	}
}
