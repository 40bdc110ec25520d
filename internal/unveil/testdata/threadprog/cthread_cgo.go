//go:build cgo

package main

/*
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int req[2], resp[2];
static char *target;

// worker waits for a request, tries to open target, and answers with the
// errno (0 on success). It is a plain pthread the Go runtime knows nothing
// about.
static void *worker(void *arg) {
	char c;
	while (read(req[0], &c, 1) == 1) {
		int fd = open(target, O_RDONLY | O_CLOEXEC);
		int e = fd < 0 ? errno : 0;
		if (fd >= 0) close(fd);
		if (write(resp[1], &e, sizeof e) != sizeof e) break;
	}
	return NULL;
}

static int start_worker(const char *path) {
	pthread_t t;
	target = strdup(path);
	if (pipe(req) != 0 || pipe(resp) != 0) return errno;
	return pthread_create(&t, NULL, worker, NULL);
}

static int ask_worker(void) {
	char c = 1;
	int e = -1;
	if (write(req[1], &c, 1) != 1) return -1;
	if (read(resp[0], &e, sizeof e) != sizeof e) return -1;
	return e;
}
*/
import "C"

import (
	"syscall"
	"unsafe"
)

const cgo = true

func startCThread(path string) error {
	cs := C.CString(path)
	defer C.free(unsafe.Pointer(cs))
	if e := C.start_worker(cs); e != 0 {
		return syscall.Errno(e)
	}
	return nil
}

func askCThread() syscall.Errno { return syscall.Errno(C.ask_worker()) }
