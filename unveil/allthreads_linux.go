//go:build linux

package unveil

import (
	"kernel.org/pub/linux/libs/security/libcap/psx"

	"github.com/pledgekit/pledgekit/internal/engine"
)

// A whole-process layer below Landlock ABI 8 (no TSYNC) is enforced by
// making the calls on every thread. In a cgo program only libpsx (the
// library go-landlock uses for it) can: it knows the threads C code
// started. The engine does not import it, so that the unveil command,
// which restricts one thread, links no cgo; every program that can
// commit a whole-process layer links this package.
func init() {
	engine.SetAllThreads(func(trap, a1, a2, a3, a4, a5, a6 uintptr) error {
		if _, _, e := psx.Syscall6(trap, a1, a2, a3, a4, a5, a6); e != 0 {
			return e
		}
		return nil
	})
}
