//go:build linux

package unveil

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pledgekit/pledgekit/internal/pathres"
	"github.com/pledgekit/pledgekit/internal/unveillink"
)

// A Ruleset given its planner's cache (unveillink.ShareLookups) plans as
// one that looks its paths up itself, and takes the answers from the
// cache: a file removed after the cache saw it is still planned.
func TestSharedLookups(t *testing.T) {
	base := t.TempDir()
	dir, file, link := filepath.Join(base, "d"), filepath.Join(base, "d", "f"), filepath.Join(base, "l")
	os.Mkdir(dir, 0o755)
	os.WriteFile(file, []byte("x"), 0o644)
	os.Symlink("d", link)
	build := func() *Ruleset {
		r := New()
		if err := r.Unveil(dir, "r"); err != nil {
			t.Fatal(err)
		}
		if err := r.Unveil(filepath.Join(link, "f"), "rw"); err != nil {
			t.Fatal(err)
		}
		r.AllowFS(file, 1) // LANDLOCK_ACCESS_FS_EXECUTE
		return r
	}
	res := build().probeResult()
	if res.LandlockABI == 0 {
		t.Skipf("Landlock is unavailable (%v): nothing is planned", res.LandlockErr)
	}
	own := build().plan(res, planOptions{})
	shared := build()
	c := pathres.New()
	unveillink.ShareLookups(shared, c)
	got := shared.plan(res, planOptions{})
	if !reflect.DeepEqual(got.fs, own.fs) || !reflect.DeepEqual(got.items, own.items) || got.handledFS != own.handledFS {
		t.Fatalf("shared lookups planned\n%+v\n%+v\nown lookups\n%+v\n%+v", got.fs, got.items, own.fs, own.items)
	}
	// The cache answers now: the file it saw is planned though removed.
	os.Remove(file)
	again := build()
	unveillink.ShareLookups(again, c)
	if p := again.plan(res, planOptions{}); !reflect.DeepEqual(p.fs, own.fs) {
		t.Errorf("with the cache: %+v, want %+v", p.fs, own.fs)
	}
	if p := build().plan(res, planOptions{}); reflect.DeepEqual(p.fs, own.fs) {
		t.Errorf("without the cache the removed file is still planned: %+v", p.fs)
	}
}
