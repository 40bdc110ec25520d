//go:build !linux

// Command unveil needs Linux (seccomp and Landlock).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "unveil: this command needs Linux (seccomp-bpf and Landlock)")
	os.Exit(125)
}
