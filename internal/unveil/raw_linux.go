//go:build linux

package unveil

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/report"
)

func rightsString(rights uint64) string { return llaccess.String(llaccess.FS, rights) }

// rawEntry is an AllowFS rule with what stat(2) found.
type rawEntry struct {
	rawRule
	real  string // symlinks resolved
	isDir bool
}

// planRaw adds the AllowFS and HandleFS rules to p.
func (r *Ruleset) planRaw(p *plan, res *probe.Result, need func(Protection) bool, unavailable func(Protection) string, opt planOptions) {
	if r.rawHandled == 0 {
		return
	}
	if bad := r.rawHandled &^ KnownFSRights; bad != 0 {
		p.errs = append(p.errs, fmt.Errorf("unveil: HandleFS: unknown Landlock filesystem rights %#x (known: %#x)", bad, KnownFSRights))
		return
	}
	if !need(Paths) {
		p.add(report.LayerLandlockFS, "handled "+rightsString(r.rawHandled), report.Dropped, "%s; no path is restricted", unavailable(Paths))
		for _, rr := range r.raw {
			p.add(report.LayerLandlockFS, rr.path+" "+rightsString(rr.rights), report.Dropped, "not enforced: Landlock unavailable")
		}
		return
	}
	have := res.FSRights()
	if missing := r.rawHandled &^ have; missing != 0 {
		for _, f := range llaccess.Features() {
			var bits uint64
			for _, rt := range f.Rights {
				if rt.Kind == llaccess.FS {
					bits |= rt.Bit
				}
			}
			prot := protectionNamed(f.Name)
			if m := missing & bits; m != 0 && !need(prot) {
				p.add(report.LayerLandlockFS, "handled "+rightsString(m), report.Dropped, "%s; not restricted", unavailable(prot))
			}
		}
	}
	handled := r.rawHandled & have
	p.handledFS |= handled

	var dirs []rawEntry
	for _, rr := range r.raw {
		what := rr.path + " " + rightsString(rr.rights)
		fi, err := p.paths.Stat(rr.path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			p.add(report.LayerLandlockFS, what, report.Dropped, "does not exist: Landlock can only name existing files, so nothing is granted for it")
			continue
		case err != nil:
			p.errs = append(p.errs, fmt.Errorf("unveil: rule for %s: %w", rr.path, err))
			continue
		}
		e := rawEntry{rawRule: rr, real: rr.path, isDir: fi.IsDir()}
		if real, err := p.paths.EvalSymlinks(rr.path); err == nil {
			e.real = real
		}
		rights := rr.rights & handled
		var notes []string
		st := report.Enforced
		if !e.isDir && rights&^llaccess.FileRights() != 0 {
			st = report.Partial
			notes = append(notes, fmt.Sprintf("not a directory: %s left out (rights of directories)", rightsString(rights&^llaccess.FileRights())))
			rights &= llaccess.FileRights()
		}
		if lost := rr.rights &^ have; lost != 0 {
			notes = append(notes, fmt.Sprintf("%s not handled by this kernel", rightsString(lost)))
		}
		if e.real != e.path {
			notes = append(notes, "symlink: grants its target "+e.real)
		}
		if rights == 0 {
			p.add(report.LayerLandlockFS, what, report.Dropped, "%s", strings.Join(append(notes, "no Landlock right left to grant"), "; "))
			continue
		}
		reason := "file"
		if e.isDir {
			reason = "directory"
			dirs = append(dirs, e)
		}
		if len(notes) > 0 {
			reason += "; " + strings.Join(notes, "; ")
		}
		p.add(report.LayerLandlockFS, what, st, "%s", reason)
		p.fs = append(p.fs, fsGrant{path: e.path, rights: rights})
	}

	// Unveil rules beneath a directory an AllowFS rule grants rights get
	// those rights too.
	for _, pr := range r.paths {
		u := r.resolve(p.paths, pr)
		for _, d := range dirs {
			if !beneath(u.real, d.real) {
				continue
			}
			if u.perm == 0 {
				p.errs = append(p.errs, fmt.Errorf("unveil: cannot hide %s (permissions \"\"): %w: Landlock rules only add access and the rule for %s grants %s there; hide a path only where no rule above it grants anything",
					u.path, ErrNotExpressible, d.path, rightsString(d.rights&handled)))
				continue
			}
			note := fmt.Sprintf("also gets %s from the rule for %s (Landlock rules add up)", rightsString(d.rights&handled), d.path)
			i := slices.IndexFunc(p.items, func(it report.Item) bool { return it.Layer == report.LayerLandlockFS && it.What == u.what() })
			if i < 0 {
				p.add(report.LayerLandlockFS, u.what(), report.Partial, "%s", note)
				continue
			}
			if p.items[i].Status == report.Enforced {
				p.items[i].Status = report.Partial
			}
			p.items[i].Reason += "; " + note
		}
	}

	p.libpsxTask(res, opt)
}
