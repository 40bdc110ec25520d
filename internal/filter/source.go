package filter

import "github.com/pledgekit/pledgekit/promises"

// TEMPORARY SHIM (remove when promises.Rules, promises.Baseline and
// promises.Decide land): the rule source the compiler and Reference read.
var (
	baselineRules = func() []promises.Rule { return nil }
	promiseRules  = func(p promises.Promise) []promises.Rule { return nil }
	decide        = shimDecide
)

// shimDecide is the documented semantics of promises.Decide: the rules of
// the baseline and of every pledged promise that apply on arch and whose
// Also is pledged; Errno rules before Allow rules; first match wins.
func shimDecide(s promises.Set, arch, name string, args [6]uint64) (promises.Rule, bool) {
	var rs []promises.Rule
	add := func(in []promises.Rule) {
		for _, r := range in {
			if r.Syscall == name && r.AppliesTo(arch) && r.AppliesWith(s) {
				rs = append(rs, r)
			}
		}
	}
	add(baselineRules())
	for _, p := range s.Promises() {
		add(promiseRules(p))
	}
	for _, kind := range []promises.Action{promises.Errno, promises.Allow} {
		for _, r := range rs {
			if r.Action == kind && r.Match(args) {
				return r, true
			}
		}
	}
	return promises.Rule{}, false
}
