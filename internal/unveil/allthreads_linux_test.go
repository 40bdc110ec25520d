//go:build linux

package unveil

// Whole-process commits below Landlock ABI 8 need libpsx in a cgo test
// binary (this one links cgo through package net), as in package unveil.
import _ "github.com/pledgekit/pledgekit/internal/allthreads"
