//go:build linux

package allthreads

// A whole-process Landlock layer below ABI 8 (no TSYNC) is enforced by
// making the calls on every thread, and in a cgo program only libpsx
// (what go-landlock uses for it) can: it knows the threads C code
// started. Package unveil imports this package, so every program that can
// commit a whole-process layer has it; the engine does not, so that the
// unveil command, which restricts one thread, links neither libpsx nor
// cgo.

import (
	"kernel.org/pub/linux/libs/security/libcap/psx"

	"github.com/pledgekit/pledgekit/internal/engine"
)

func init() {
	engine.SetAllThreads(func(trap, a1, a2, a3, a4, a5, a6 uintptr) error {
		if _, _, e := psx.Syscall6(trap, a1, a2, a3, a4, a5, a6); e != 0 {
			return e
		}
		return nil
	})
}
