// Command arenas makes glibc's malloc create new arenas after a pledge
// without rpath: several C threads, alive at the same time, each make their
// first allocation. Past 8 arenas (glibc's arena_test on 64-bit) glibc sizes
// its arena limit, which without M_ARENA_MAX means opening
// /sys/devices/system/cpu/online (a file system access "stdio" does not
// grant). It prints "ok" when every thread allocated.
//
// With the argument "open" it instead opens that file itself after the
// pledge, which must still be denied with or without the arena limit.
package main

/*
#include <pthread.h>
#include <stdlib.h>

#define NTHREADS 16
static pthread_barrier_t barrier;

static void *work(void *arg) {
	void *p = malloc(100);
	if (p == NULL) return (void *)1;
	pthread_barrier_wait(&barrier);
	free(p);
	return NULL;
}

static int run_threads(void) {
	pthread_t t[NTHREADS];
	if (pthread_barrier_init(&barrier, NULL, NTHREADS) != 0) return -1;
	for (int i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, work, NULL) != 0) return -2;
	int bad = 0;
	for (int i = 0; i < NTHREADS; i++) {
		void *r;
		pthread_join(t[i], &r);
		if (r != NULL) bad++;
	}
	return bad;
}
*/
import "C"

import (
	"fmt"
	"os"

	"github.com/pledgekit/pledgekit/pledge"
)

func main() {
	if err := pledge.Pledge("stdio", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(os.Args) > 1 && os.Args[1] == "open" {
		f, err := os.Open("/sys/devices/system/cpu/online")
		fmt.Println("open:", err)
		if err == nil {
			f.Close()
		}
		return
	}
	if r := C.run_threads(); r != 0 {
		fmt.Fprintln(os.Stderr, "threads:", r)
		os.Exit(1)
	}
	fmt.Println("ok")
}
