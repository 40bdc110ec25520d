package unveil

import "github.com/pledgekit/pledgekit/promises"

// impliedPath is one path a promise implies (promises.ImpliedPaths), with
// the promise that implies it, for the report.
type impliedPath struct {
	Path    string
	Perm    string
	Promise promises.Promise
}

// impliedPaths returns the paths every promise of ps implies, in promise
// order. The same path may appear for two promises; the plan merges them.
func impliedPaths(ps promises.Set) []impliedPath {
	var out []impliedPath
	for _, p := range ps.Promises() {
		for _, ip := range promises.ImpliedPaths(p) {
			out = append(out, impliedPath{Path: ip.Path, Perm: ip.Perm, Promise: p})
		}
	}
	return out
}
