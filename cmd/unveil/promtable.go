package main

// The promise table the command reads: package promises.

import (
	"github.com/pledgekit/pledgekit/promises"
)

type impliedPath = promises.ImpliedPath

func c32(arg uint8, mask, val uint64) promises.Cond {
	return promises.Cond{Arg: arg, Width: promises.W32, Mask: mask, Value: val}
}

const (
	oAccmode = 3
	oCreat   = 0o100
	oTrunc   = 0o1000
	oTmpfile = 0o20000000
)

func promBaseline() []promises.Rule                { return promises.Baseline() }
func promRules(p promises.Promise) []promises.Rule { return promises.Rules(p) }
func promImplied(p promises.Promise) []impliedPath { return promises.ImpliedPaths(p) }
