//go:build linux

package unveil

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

// A second commit is a new layer that can only narrow: a path the first
// layer did not grant stays closed, and rights the second does not repeat
// are gone.
func TestLayersNarrow(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		a := mkdir(base, "a")
		b := mkdir(base, "b")
		c := mkdir(base, "c")
		fa := mkfile("x", a, "f")
		fb := mkfile("x", b, "f")
		fc := mkfile("x", c, "f")

		r1 := New()
		ok(r1.Unveil(a, "rw"), "layer 1 a")
		ok(r1.Unveil(b, "rw"), "layer 1 b")
		commitOK(r1)
		ok(writeTo(fa, os.O_WRONLY), "write a after layer 1")
		readDenied(fc)

		r2 := New()
		ok(r2.Unveil(a, "r"), "layer 2 a")
		ok(r2.Unveil(c, "rw"), "layer 2 c (not in layer 1)")
		commitOK(r2)
		readOK(fa)
		denied(writeTo(fa, os.O_WRONLY), "write a after layer 2 (r only)")
		readDenied(fb) // not in layer 2
		readDenied(fc) // not in layer 1: a later layer cannot widen
	})
}

// The kernel allows 16 layers; the 17th commit fails with
// ErrTooManyLayers (E2BIG), not silently.
func TestSeventeenLayers(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		d := mkdir(base, "d")
		f := mkfile("x", d, "f")
		other := mkfile("x", base, "other")
		for i := 1; i <= 16; i++ {
			r := New()
			ok(r.Unveil(d, "r"), "unveil")
			if _, err := r.Commit(); err != nil {
				fatalf("layer %d: %v", i, err)
			}
		}
		r := New()
		ok(r.Unveil(d, "r"), "unveil")
		rep, err := r.Commit()
		if !errors.Is(err, ErrTooManyLayers) || !errors.Is(err, syscall.E2BIG) || rep.Landlock {
			fatalf("layer 17: want ErrTooManyLayers/E2BIG and Landlock=false, got %v (%v)", err, rep.Landlock)
		}
		if !strings.Contains(err.Error(), "16") {
			fatalf("error does not name the limit: %v", err)
		}
		readOK(f)
		readDenied(other)
	})
}
