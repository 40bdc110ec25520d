//go:build linux

package unveil

import (
	"strings"
	"sync/atomic"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/report"
)

// What Landlock ABI 8 and 11 change in how a layer is enforced:
//
//   - ABI 8 (LANDLOCK_RESTRICT_SELF_TSYNC): the engine enforces a
//     whole-process layer with one landlock_restrict_self that the kernel
//     applies to every thread, so the process has one domain. Below, it
//     runs a psx round (the Go runtime's AllThreadsSyscall, or libpsx in
//     cgo builds, registered by internal/allthreads): every thread
//     restricts itself, into a domain of its own.
//   - ABI 11 (LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS): the same call sets
//     no_new_privs, and only when the layer is enforced, for Commit and
//     CommitThread alike.

func tsync(res *probe.Result) bool   { return res.LandlockTSync() }
func nnpFlag(res *probe.Result) bool { return res.LandlockRestrictNoNewPrivs() }

// mechanismItems says how the layer was enforced: on which threads,
// through which mechanism, and who set no_new_privs (nnpBefore: it was
// set before this commit).
func mechanismItems(p *plan, res *probe.Result, opt planOptions, nnpBefore bool) {
	nnp := "set by prctl(PR_SET_NO_NEW_PRIVS) before landlock_restrict_self"
	nnpFeature := ""
	switch {
	case nnpBefore:
		nnp = "already set before this layer"
	case nnpFlag(res):
		nnp = "set by landlock_restrict_self itself (LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS), only because the layer was enforced"
		nnpFeature = "restrict_nnp"
	}
	switch {
	case opt.thread:
		p.addFeature(report.LayerLandlock, "threads", report.Enforced, "",
			"the calling thread alone (CommitThread), one landlock_restrict_self; the process's other threads are not restricted")
		nnp += " on the calling thread"
	case tsync(res):
		p.addFeature(report.LayerLandlock, "threads", report.Enforced, "tsync",
			"every thread, by one landlock_restrict_self with LANDLOCK_RESTRICT_SELF_TSYNC: one domain for the process, no psx round")
		if !nnpBefore && !nnpFlag(res) {
			nnp += " on one thread; the kernel carries it to every thread with the layer"
		}
	default:
		p.addFeature(report.LayerLandlock, "threads", report.Enforced, "",
			"every thread, each through its own landlock_restrict_self in a psx round (Landlock ABI 8's TSYNC is missing): each thread gets a domain of its own")
		if !nnpBefore {
			nnp += " on every thread (psx)"
		}
	}
	p.addFeature(report.LayerNoNewPrivs, "no_new_privs", report.Enforced, nnpFeature, nnp)
}

func (p *plan) addFeature(layer report.Layer, what string, st report.Status, feature, reason string) {
	p.items = append(p.items, report.Item{Layer: layer, What: what, Status: st, Reason: reason, Feature: feature})
}

// unixSocketsInForce is set once a whole-process layer that handles
// LANDLOCK_ACCESS_FS_RESOLVE_UNIX is enforced.
var unixSocketsInForce atomic.Bool

// unixSocketsRestricted (unveillink.UnixSocketsRestricted) reports whether a Landlock layer this process
// committed for all its threads restricts connecting and sending to
// pathname unix sockets (Landlock ABI 9): from then on, for as long as
// the process lives, only sockets beneath a path unveiled with w are
// reachable, whatever a seccomp filter allows. Layers inherited from the
// parent process are not known here.
func unixSocketsRestricted() bool { return unixSocketsInForce.Load() }

// unixSocketsItem says that the layer restricts connecting and sending to
// pathname unix sockets (Landlock ABI 9): only sockets beneath a path
// unveiled with w are reachable.
func unixSocketsItem(p *plan, opt planOptions) {
	if p.handledFS&llaccess.FSResolveUnix != 0 {
		if !opt.thread {
			unixSocketsInForce.Store(true)
		}
		p.addFeature(report.LayerLandlockFS, "unix sockets by path", report.Enforced, "unix_sockets",
			"connect(2) and sendmsg(2) to a pathname unix socket (stream or datagram) need w on it or a directory above it (LANDLOCK_ACCESS_FS_RESOLVE_UNIX)")
	}
}

// nameFeatures names, on each item the layer enforces, the Landlock
// feature that enforces it.
func nameFeatures(items []report.Item) {
	for i := range items {
		it := &items[i]
		if it.Feature != "" || it.Status == report.Dropped || it.Status == report.NoEffect {
			continue
		}
		switch it.Layer {
		case report.LayerLandlockNet:
			it.Feature = "tcp"
			if strings.HasPrefix(it.What, "udp") {
				it.Feature = "udp"
			}
		case report.LayerLandlockScope:
			it.Feature = "scopes"
		case report.LayerLandlockFS:
			switch {
			case it.What == "truncate", strings.HasPrefix(it.What, "rename/link"), strings.HasPrefix(it.What, "unix sockets by path"):
				// what this layer leaves to others, not a feature in force
			default:
				it.Feature = "paths"
			}
		}
	}
}
