// Command threadprog checks, in a program of its own, that an unveil
// reaches every thread: Go threads, and in cgo builds a C pthread started
// before the commit. The unveil tests build it with CGO_ENABLED=0 and =1.
//
// Usage: threadprog ALLOWED_DIR FORBIDDEN_FILE
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/unveil"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: threadprog ALLOWED_DIR FORBIDDEN_FILE")
		os.Exit(2)
	}
	dir, forbidden := os.Args[1], os.Args[2]
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "FAIL: "+format+"\n", args...)
		os.Exit(1)
	}
	if err := startCThread(forbidden); err != nil {
		fail("C thread: %v", err)
	}
	if e := askCThread(); e != 0 {
		fail("C thread cannot read %s before the unveil: %v", forbidden, e)
	}
	if err := unveil.Unveil(dir, "r"); err != nil {
		fail("Unveil: %v", err)
	}
	rep, err := unveil.Block()
	if err != nil || !rep.Landlock {
		fail("UnveilBlock: %v\n%v", err, rep)
	}
	if _, err := os.ReadFile(filepath.Join(dir, "f")); err != nil {
		fail("read in the unveiled dir: %v", err)
	}
	if _, err := os.ReadFile(forbidden); !errors.Is(err, syscall.EACCES) {
		fail("Go: read %s: want EACCES, got %v", forbidden, err)
	}
	if cgo && probe.Get().LandlockABI < 8 && !strings.Contains(rep.String(), "go-landlock issue 39") {
		fail("cgo build: the report does not list the /proc/PID/task grant:\n%s", rep)
	}
	if e := askCThread(); cgo && e != syscall.EACCES {
		fail("C pthread started before the unveil: read %s: want EACCES, got %v", forbidden, e)
	}
	fmt.Printf("OK cgo=%v probe.Cgo=%v\n", cgo, probe.Get().Cgo)
}
