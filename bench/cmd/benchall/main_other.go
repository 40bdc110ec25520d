//go:build !linux

// Command benchall runs pledgekit's performance benchmarks; they need Linux
// (seccomp and Landlock).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "benchall: the benchmarks need Linux (seccomp, Landlock)")
	os.Exit(1)
}
