//go:build linux

package ported

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

// The idiom of several suah.dev/protect programs: unveil the working
// directory "rwc" and a CA file "r", pledge with "unveil" among the
// promises ("stdio unveil rpath wpath cpath flock dns inet"), then
// UnveilBlock. On OpenBSD each unveil is in force at once; here nothing is
// restricted until UnveilBlock (or a pledge without "unveil"), and the
// pledge's report says so (issue #15: say it in the report where it
// applies). After UnveilBlock the rest is hidden.
func TestPendingUnveilsUntilBlock(t *testing.T) {
	if !canUnveil() && !testproc.InChild() {
		t.Skipf("needs Landlock: %v", probe.Get().LandlockErr)
	}
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside")
	os.WriteFile(outside, []byte("x"), 0o600)
	r := testproc.Run(t, "pending", func() {
		must("chdir", os.Chdir(dir))
		must("Unveil ./", unveil.Unveil("./", "rwc"))
		must("Unveil cert", unveil.Unveil("/etc/ssl/certs", "r"))
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio unveil rpath wpath cpath flock dns inet"})
		must("Apply", err)
		for _, it := range rep.Items {
			if it.What == "pending unveils" && it.Status == report.NoEffect && strings.Contains(it.Reason, "UnveilBlock") {
				say("reported: %s", it.Reason)
			}
		}
		if _, err := os.ReadFile(outside); err != nil {
			testproc.Fatalf("before UnveilBlock (nothing committed): %v", err)
		}
		must("UnveilBlock", unveil.UnveilBlock())
		must("write in ./", os.WriteFile("feed.xml", []byte("<rss/>"), 0o644))
		if _, err := os.ReadFile(outside); !errors.Is(err, syscall.EACCES) {
			testproc.Fatalf("after UnveilBlock: want EACCES, got %v", err)
		}
		say("hidden after UnveilBlock")
	})
	wantOK(t, r, "hidden after UnveilBlock")
	if !strings.Contains(r.Stdout, "reported: not in force yet") {
		t.Fatalf("the pledge's report does not say the unveils are pending\n%s", r)
	}
}
