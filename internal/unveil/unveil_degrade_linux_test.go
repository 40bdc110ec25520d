//go:build linux

package unveil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/report"
)

// Without Landlock, OpenBSD-style calls succeed and restrict nothing; the
// report says so plainly. Require turns that into an error.
func TestNoLandlock(t *testing.T) {
	t.Run("ruleset", func(t *testing.T) {
		scenario(t, func(base string) {
			d := mkdir(base, "d")
			out := mkfile("x", base, "out")
			r := New()
			r.probe = fake(0)
			ok(r.Unveil(d, "r"), "unveil")
			rep, err := r.Commit()
			ok(err, "commit without Landlock (prefer)")
			if rep.Landlock || rep.LandlockABI != 0 || rep.NoNewPrivs {
				fatalf("report claims enforcement: %+v", rep)
			}
			it, _ := item(rep, "paths")
			if it.Status != report.Dropped || !strings.Contains(it.Reason, "no path is restricted") || !strings.Contains(it.Reason, "not enabled") {
				fatalf("paths item: %+v", it)
			}
			if it, _ := item(rep, d); it.Status != report.Dropped {
				fatalf("rule item: %+v", it)
			}
			if !strings.Contains(rep.Summary(), "no path is restricted") {
				fatalf("summary: %q", rep.Summary())
			}
			readOK(out) // nothing enforced, as reported

			r = New().Require()
			r.probe = fake(0)
			ok(r.Unveil(d, "r"), "unveil")
			rep, err = r.Commit()
			var ue *UnavailableError
			if !errors.Is(err, ErrLandlockUnavailable) || !errors.Is(err, probe.ErrLandlockDisabled) || !errors.As(err, &ue) || ue.Protection != Paths {
				fatalf("Require without Landlock: %v", err)
			}
			if rep.Landlock {
				fatalf("Landlock claimed after a failed commit")
			}
			readOK(out)
			if b, _ := os.ReadFile("/proc/self/status"); !strings.Contains(string(b), "NoNewPrivs:\t0") {
				fatalf("no_new_privs set although nothing was enforced")
			}
		})
	})
	t.Run("package functions", func(t *testing.T) {
		scenario(t, func(base string) {
			proc.probe = fake(0)
			d := mkdir(base, "d")
			out := mkfile("x", base, "out")
			ok(Unveil(d, "r"), "Unveil")
			if !Pending() {
				fatalf("not pending")
			}
			rep, err := Block()
			if !errorsIs(err, ErrLandlockUnavailable) || !errorsIs(err, probe.ErrLandlockDisabled) {
				fatalf("UnveilBlock without Landlock: want an error naming the reason, got %v", err)
			}
			if rep.Landlock || Pending() {
				fatalf("landlock=%v pending=%v", rep.Landlock, Pending())
			}
			if !strings.Contains(rep.String(), "no path is restricted") {
				fatalf("report:\n%s", rep)
			}
			readOK(out)
		})
	})
}

// ABI 2 has no TRUNCATE: truncation is not restricted (reported), all else is.
func TestDegradeABI2(t *testing.T) {
	needLandlock(t, 2)
	scenario(t, func(base string) {
		d := mkdir(base, "d")
		out := mkfile("0123456789", base, "out")
		r := New()
		r.probe = fake(2)
		ok(r.Unveil(d, "rwc"), "unveil")
		rep := commitOK(r)
		if it, _ := item(rep, "truncate"); it.Status != report.Dropped || !strings.Contains(it.Reason, "ABI 3") {
			fatalf("truncate item on ABI 2: %+v\n%s", it, rep)
		}
		if rep.LandlockABI != 2 {
			fatalf("report ABI %d", rep.LandlockABI)
		}
		ok(os.Truncate(out, 1), "truncate outside on ABI 2 (not restricted, as reported)")
		denied(writeTo(out, os.O_WRONLY), "write outside on ABI 2")
		readDenied(out)
		ok(writeTo(filepath.Join(d, "new"), os.O_WRONLY|os.O_CREATE), "create in rwc")
		r = New().Require(Truncate)
		r.probe = fake(2)
		ok(r.Unveil(d, "r"), "unveil")
		if _, err := r.Commit(); !errorsIs(err, ErrLandlockUnavailable) || !strings.Contains(err.Error(), "ABI 3") {
			fatalf("Require(Truncate) on ABI 2: %v", err)
		}
	})
}

// ABI 3 has no network rules: TCP rules are dropped (reported), paths hold.
func TestDegradeABI3(t *testing.T) {
	needLandlock(t, 3)
	scenario(t, func(base string) {
		other := serve()
		d := mkdir(base, "d")
		out := mkfile("x", base, "out")
		r := New().ConnectTCP(1)
		r.probe = fake(3)
		ok(r.Unveil(d, "r"), "unveil")
		rep := commitOK(r)
		if it, _ := item(rep, "tcp connect"); it.Status != report.Dropped || !strings.Contains(it.Reason, "ABI 4") {
			fatalf("tcp item on ABI 3: %+v\n%s", it, rep)
		}
		if _, found := item(rep, "truncate"); found {
			fatalf("truncate reported on ABI 3")
		}
		ok(dial(other), "connect on ABI 3 (not restricted, as reported)")
		readDenied(out)
		denied(os.Truncate(out, 0), "truncate outside on ABI 3")
		r = New().ConnectTCP(1).Require(TCP)
		r.probe = fake(3)
		if _, err := r.Commit(); !errorsIs(err, ErrLandlockUnavailable) {
			fatalf("Require(TCP) on ABI 3: %v", err)
		}
		// Prefer undoes Require.
		r = New().ConnectTCP(1).Require().Prefer(TCP)
		r.probe = fake(3)
		if _, err := r.Commit(); err != nil {
			fatalf("Prefer(TCP) after Require(): %v", err)
		}
	})
}
