// Package glibcmalloc keeps glibc's malloc from reading the file system
// after a pledge, in programs built with cgo. Package pledge imports it;
// nothing else needs to.
//
// glibc creates a malloc arena per thread as threads contend, up to a limit.
// It computes that limit the first time a process has more than eight
// arenas (on 64-bit) by counting online CPUs, which opens
// /sys/devices/system/cpu/online. In a pledged process without "rpath",
// that open is a violation: with the default penalty the process is killed
// in the middle of a malloc, at a moment that depends on how many C threads
// allocate at once. A Go program built with cgo (the default when a C
// compiler is installed; pledgekit's Landlock dependency then links libpsx)
// has glibc's malloc whether or not it calls C itself.
//
// At initialisation the package sets the limit up front with
// mallopt(M_ARENA_MAX) to glibc's own default, eight arenas per CPU (CPUs
// this process may run on), so glibc never counts CPUs. It changes nothing
// else: a pledge still denies the program opening that file, or any other.
// It leaves the limit alone when the environment already configures it
// (MALLOC_ARENA_MAX, or arena_max in GLIBC_TUNABLES), and does nothing
// without cgo, on musl (which has no M_ARENA_MAX), off Linux, or when the
// program is built with the tag pledgekit_nomallopt.
package glibcmalloc
