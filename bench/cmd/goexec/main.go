// Command goexec only execs its arguments: the floor for the launch cost
// of any wrapper written in Go (runtime start-up plus one execve).
//
//	goexec /bin/true
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goexec PROGRAM [ARG...]")
		os.Exit(64)
	}
	path, err := exec.LookPath(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "goexec:", err)
		os.Exit(127)
	}
	err = syscall.Exec(path, os.Args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, "goexec:", err)
	os.Exit(126)
}
