//go:build cgo && linux && !pledgekit_nomallopt

package glibcmalloc

/*
#include <malloc.h>

static int pledgekit_set_arena_max(int n) {
#ifdef M_ARENA_MAX
	return mallopt(M_ARENA_MAX, n);
#else
	(void)n;
	return 0;
#endif
}
*/
import "C"

import (
	"os"
	"runtime"
	"strings"
)

// arenasPerCPU is glibc's NARENAS_FROM_NCORES on 64-bit systems.
const arenasPerCPU = 8

var set = setArenaMax()

func setArenaMax() bool {
	if _, ok := os.LookupEnv("MALLOC_ARENA_MAX"); ok {
		return false
	}
	if strings.Contains(os.Getenv("GLIBC_TUNABLES"), "glibc.malloc.arena_max=") {
		return false
	}
	return C.pledgekit_set_arena_max(C.int(arenasPerCPU*runtime.NumCPU())) == 1
}

// Set reports whether this package set glibc's arena limit.
func Set() bool { return set }
