//go:build !cgo

package main

import (
	"runtime"

	"golang.org/x/sys/unix"
)

var release = make(chan struct{})
var earlyMode = make(chan int)

func seccompMode() int {
	m, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	if err != nil {
		return -1
	}
	return m
}

func startEarly() error {
	started := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(started)
		<-release
		earlyMode <- seccompMode()
	}()
	<-started
	return nil
}

func finishEarly() int {
	close(release)
	return <-earlyMode
}

func spawnLate() int {
	m := make(chan int)
	go func() {
		runtime.LockOSThread() // exits with the goroutine: a fresh thread next time
		m <- seccompMode()
	}()
	return <-m
}
