//go:build linux

package unveil

import (
	"github.com/pledgekit/pledgekit/internal/allthreads"
	"github.com/pledgekit/pledgekit/internal/engine"
)

// Whole-process layers below Landlock ABI 8 restrict every thread through
// libpsx, which a cgo program needs (internal/allthreads).
func init() { engine.SetAllThreads(allthreads.Call) }
