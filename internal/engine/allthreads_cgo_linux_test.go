//go:build linux && cgo

package engine

import "github.com/pledgekit/pledgekit/internal/allthreads"

// A cgo test binary (the race detector's) cannot use the Go runtime's
// all-threads call: it registers libpsx's, as package unveil does. Without
// cgo the tests exercise the runtime's.
func init() { SetAllThreads(allthreads.Call) }
