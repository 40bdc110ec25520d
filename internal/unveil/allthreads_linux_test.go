//go:build linux

package unveil

import (
	"github.com/pledgekit/pledgekit/internal/allthreads"
	"github.com/pledgekit/pledgekit/internal/engine"
)

// Whole-process commits below Landlock ABI 8 need libpsx in a cgo test
// binary (this one links cgo through package net), as package unveil
// registers it.
func init() { engine.SetAllThreads(allthreads.Call) }
