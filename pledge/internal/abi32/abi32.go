// Package abi32 makes 32-bit system calls (int 0x80) from a 64-bit amd64
// process, for the tests that check a filter refuses them.
package abi32

// Supported reports whether Int80 exists on this architecture.
const Supported = supported
