//go:build !linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
)

// The downloader's privilege separation and sandbox are built on Linux
// (seccomp, Landlock, /proc/self/exe); elsewhere it only explains that.

var errLinuxOnly = fmt.Errorf("the pledgekit downloader example runs on Linux only (this is %s): %w", runtime.GOOS, errors.ErrUnsupported)

func fetchMain() int  { fmt.Fprintln(os.Stderr, errLinuxOnly); return exitChildFatal }
func verifyMain() int { fmt.Fprintln(os.Stderr, errLinuxOnly); return exitChildFatal }

func isTerminal(io.Writer) bool { return false }

// Run reports that this platform is not supported.
func Run(ctx context.Context, opts Options) (*Result, error) {
	return &Result{Error: errLinuxOnly.Error()}, errLinuxOnly
}

func runDemo(ctx context.Context, opts Options, attack, jsonOut bool, stdout, stderr io.Writer, sig *atomic.Int32) int {
	fmt.Fprintln(stderr, errLinuxOnly)
	return exitFailed
}
