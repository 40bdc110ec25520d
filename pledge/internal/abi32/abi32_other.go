//go:build !amd64

package abi32

const supported = false

// Int80 is only implemented on amd64; elsewhere it panics.
func Int80(nr, a1, a2, a3 uintptr) uintptr { panic("abi32: int 0x80 exists only on amd64") }
