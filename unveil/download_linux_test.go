//go:build linux

package unveil_test

// The done-when scenario, end to end with pledge: a process unveils the
// CA certificates and one download directory, blocks, pledges, and
// downloads over HTTPS into the directory, while everything else on the
// filesystem stays closed.

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

func TestDownloadIntoUnveiledDir(t *testing.T) {
	if probe.Get().LandlockABI < 1 {
		t.Skip("no Landlock")
	}
	if _, err := os.Stat("/etc/ssl"); err != nil {
		t.Skip("no /etc/ssl here")
	}
	payload := bytes.Repeat([]byte("pledgekit "), 100000)
	var url, certPEM, dir string
	if testproc.InChild() {
		url, certPEM, dir = os.Getenv("DL_URL"), os.Getenv("DL_CERT"), os.Getenv("DL_DIR")
	} else {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(payload) }))
		defer srv.Close()
		url = srv.URL + "/file"
		certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
		dir = t.TempDir()
		if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "outside"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fail := testproc.Fatalf
	res := testproc.Run(t, "download", func() {
		outside := filepath.Join(filepath.Dir(dir), "outside")
		for _, step := range []struct {
			what string
			err  error
		}{
			{"unveil /etc/ssl", unveil.Unveil("/etc/ssl", "r")},
			{"unveil dir", unveil.Unveil(dir, "rwc")},
			{"UnveilBlock", unveil.UnveilBlock()},
		} {
			if step.err != nil {
				fail("%s: %v", step.what, step.err)
			}
		}
		// Before pledging (exec would be a pledge violation afterwards).
		if truePath, err := exec.LookPath("true"); err == nil {
			if err := exec.Command(truePath).Run(); !errors.Is(err, syscall.EACCES) {
				fail("exec outside the unveiled paths: want EACCES, got %v", err)
			}
		}
		if err := pledge.Pledge("stdio rpath wpath cpath inet dns", ""); err != nil {
			fail("pledge: %v", err)
		}
		pool, err := x509.SystemCertPool() // reads /etc/ssl
		if err != nil || pool == nil {
			fail("system roots from /etc/ssl: %v", err)
		}
		pool.AppendCertsFromPEM([]byte(certPEM))
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := client.Get(url)
		if err != nil {
			fail("GET: %v", err)
		}
		dst := filepath.Join(dir, "download.part")
		f, err := os.Create(dst)
		if err != nil {
			fail("create in the unveiled dir: %v", err)
		}
		n, err := io.Copy(f, resp.Body)
		resp.Body.Close()
		if err != nil || f.Close() != nil || n != int64(len(payload)) {
			fail("download: %d bytes, %v", n, err)
		}
		if err := os.Rename(dst, filepath.Join(dir, "download")); err != nil {
			fail("rename within the dir: %v", err)
		}
		if _, err := os.ReadFile(outside); !errors.Is(err, syscall.EACCES) {
			fail("read next to the dir: want EACCES, got %v", err)
		}
		if err := os.WriteFile(outside, []byte("y"), 0o644); !errors.Is(err, syscall.EACCES) {
			fail("write next to the dir: want EACCES, got %v", err)
		}
		if err := os.Remove(outside); !errors.Is(err, syscall.EACCES) {
			fail("remove next to the dir: want EACCES, got %v", err)
		}
		if err := os.WriteFile("/tmp/pledgekit-should-not-exist", nil, 0o644); !errors.Is(err, syscall.EACCES) {
			fail("create in /tmp: want EACCES, got %v", err)
		}
	}, testproc.WithEnv("DL_URL="+url, "DL_CERT="+certPEM, "DL_DIR="+dir))
	if !res.Exited(0) {
		t.Fatal(res)
	}
	got, err := os.ReadFile(filepath.Join(dir, "download"))
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("downloaded file: %d bytes, %v", len(got), err)
	}
}
