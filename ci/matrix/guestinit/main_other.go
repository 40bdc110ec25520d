//go:build !linux

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "guestinit: only runs on Linux")
	os.Exit(2)
}
