package abi32

const supported = true

// Int80 makes the i386 system call nr through int 0x80 and returns the
// kernel's raw return value (a negative errno on failure).
//
//go:noescape
func Int80(nr, a1, a2, a3 uintptr) uintptr
