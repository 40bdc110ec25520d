//go:build cgo

package main

// With cgo the runtime starts threads with glibc's pthread_create (clone3,
// falling back to clone on ENOSYS) and runs glibc code in the process.
import _ "runtime/cgo"
