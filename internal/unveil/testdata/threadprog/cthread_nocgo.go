//go:build !cgo

package main

import "syscall"

const cgo = false

func startCThread(string) error { return nil }
func askCThread() syscall.Errno { return 0 }
