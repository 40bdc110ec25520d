//go:build cgo

package main

/*
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

static int fds[2];
static int early_mode = -1;
static pthread_t early_thread;

static void *early(void *arg) {
	char c;
	if (read(fds[0], &c, 1) == 1)
		early_mode = prctl(PR_GET_SECCOMP);
	return NULL;
}

static int start_early(void) {
	if (pipe(fds) != 0)
		return -1;
	return pthread_create(&early_thread, NULL, early, NULL);
}

static int finish_early(void) {
	char c = 'x';
	if (write(fds[1], &c, 1) != 1)
		return -2;
	pthread_join(early_thread, NULL);
	return early_mode;
}

static void *late(void *arg) {
	*(int *)arg = prctl(PR_GET_SECCOMP);
	return NULL;
}

static int spawn_late(void) {
	pthread_t t;
	int mode = -1;
	int e = pthread_create(&t, NULL, late, &mode);
	if (e != 0)
		return -100 - e;
	pthread_join(t, NULL);
	return mode;
}
*/
import "C"

import "fmt"

func startEarly() error {
	if e := C.start_early(); e != 0 {
		return fmt.Errorf("start_early: %d", e)
	}
	return nil
}

func finishEarly() int { return int(C.finish_early()) }
func spawnLate() int   { return int(C.spawn_late()) }
