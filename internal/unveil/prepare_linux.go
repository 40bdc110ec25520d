//go:build linux

package unveil

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/pathres"
	"github.com/pledgekit/pledgekit/internal/unveillink"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// errNotExamined is the reason a path added after prepare gets no rule.
var errNotExamined = errors.New("not examined: added after a pledge that forbids examining paths")

// prepared is what a commit needs from the filesystem, examined and opened
// before a pledge that forbids it (prepare): each path's stat(2) answer,
// by the path asked, and an O_PATH descriptor of each existing one, by
// its resolved path.
type prepared struct {
	entries map[string]entry
	files   map[string]*os.File
	interps []entry // ELF interpreters of the x rules (addInterpreters)
}

// resolve is resolve, or what prepare found when it ran.
func (r *Ruleset) resolve(c *pathres.Cache, pr pathRule) entry {
	if r.pre == nil {
		return resolve(c, pr)
	}
	e, ok := r.pre.entries[pr.path]
	if !ok {
		return entry{pathRule: pr, real: pr.path, err: errNotExamined}
	}
	e.pathRule = pr
	return e
}

// interpreters adds the interpreters prepare found, as addInterpreters.
func (pre *prepared) interpreters(entries []entry) []entry {
	for _, ie := range pre.interps {
		if !slices.ContainsFunc(entries, func(o entry) bool { return o.path == ie.path || o.real == ie.real }) {
			entries = append(entries, ie)
		}
	}
	return entries
}

// close releases the descriptors.
func (pre *prepared) close() {
	for _, f := range pre.files {
		f.Close()
	}
}

// prepare examines and opens now every path a commit of r may need: its
// rules, the paths implied by implied, the ELF interpreters of its x
// rules, and /proc/PID/task for libpsx.
func (r *Ruleset) prepare(implied promises.Set) {
	if r.pre != nil {
		r.pre.close()
	}
	pre := &prepared{entries: map[string]entry{}, files: map[string]*os.File{}}
	c := pathres.New()
	add := func(e entry) {
		pre.entries[e.path] = e
		if !e.exists {
			return
		}
		if _, ok := pre.files[e.real]; ok {
			return
		}
		if f, err := os.OpenFile(e.real, unix.O_PATH|unix.O_CLOEXEC, 0); err == nil {
			pre.files[e.real] = f
		}
	}
	var entries []entry
	for _, pr := range r.paths {
		e := resolve(c, pr)
		add(e)
		entries = append(entries, e)
	}
	for _, ip := range impliedPaths(implied) {
		if abs := filepath.Clean(ip.Path); filepath.IsAbs(abs) {
			add(resolve(c, pathRule{path: abs}))
		}
	}
	all := addInterpreters(c, entries, func(string, string, ...any) {})
	pre.interps = all[len(entries):]
	for _, e := range pre.interps {
		add(e)
	}
	task := fmt.Sprintf("/proc/%d/task", os.Getpid())
	add(resolve(c, pathRule{path: task}))
	r.pre = pre
}

// release closes what prepare opened, after the commit.
func (r *Ruleset) release() {
	if r.pre != nil {
		r.pre.close()
		r.pre = nil
	}
}

// Package pledge reaches what it needs of this package through
// internal/unveillink (see there).
func init() {
	unveillink.CommitPending = commitPending
	unveillink.CommitPledged = func(rs any, ps promises.Set) (*report.Report, error) {
		return rs.(*Ruleset).commitPledged(ps)
	}
	unveillink.Prepare = prepare
	unveillink.UnixSocketsRestricted = unixSocketsRestricted
	unveillink.NarrowToDNS = narrowToDNS
	unveillink.ShareLookups = func(rs any, c *pathres.Cache) { rs.(*Ruleset).lookups = c }
}
