//go:build linux

package unveil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/pledgekit/pledgekit/internal/elfdeps"
	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/pathres"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/promfacts"
	"github.com/pledgekit/pledgekit/internal/reportlink"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

type fsGrant struct {
	path   string // resolved path
	rights uint64
	file   *os.File // O_PATH descriptor opened by prepare, or nil: opened at commit
}

type netGrant struct {
	access uint64 // one llaccess.Net* bit
	port   uint16
}

// plan is what Commit will tell the kernel, and the report items that
// say so. Building it touches the kernel only through stat(2).
type plan struct {
	handledFS, handledNet, scoped uint64
	fs                            []fsGrant
	net                           []netGrant
	items                         []report.Item
	errs                          []error
	paths                         *pathres.Cache // the commit's look-ups of paths
}

func (p *plan) add(layer report.Layer, what string, st report.Status, format string, args ...any) {
	p.items = append(p.items, report.Item{Layer: layer, What: what, Status: st, Reason: fmt.Sprintf(format, args...)})
}

// entry is one path rule with what stat(2) found.
type entry struct {
	pathRule
	from     string // "" for the caller's rules; "implied by <promise>" otherwise
	real     string // symlinks resolved; for a missing path, its resolved parent + name
	exists   bool
	isDir    bool
	mode     fs.FileMode
	dangling bool  // a symlink to a missing target
	err      error // stat error other than "does not exist"
}

func (e *entry) what() string {
	s := fmt.Sprintf("%s %q", e.path, e.perm.String())
	if e.from != "" {
		s += " (" + e.from + ")"
	}
	return s
}

// resolve looks r's path up through c (one commit's cache: each path
// component is looked up once).
func resolve(c *pathres.Cache, r pathRule) entry {
	e := entry{pathRule: r, real: r.path}
	fi, err := c.Stat(r.path)
	switch {
	case err == nil:
		e.exists, e.isDir, e.mode = true, fi.IsDir(), fi.Mode()
		if real, err := c.EvalSymlinks(r.path); err == nil {
			e.real = real
		}
	case errors.Is(err, fs.ErrNotExist):
		if dir, err := c.EvalSymlinks(filepath.Dir(r.path)); err == nil {
			e.real = filepath.Join(dir, filepath.Base(r.path))
		}
		if fi, err := c.Lstat(r.path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			e.dangling = true
		}
	default:
		e.err = err
	}
	return e
}

// beneath reports whether path is dir or lies beneath it.
func beneath(path, dir string) bool {
	if dir == "/" {
		return true
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// planOptions carry what the caller of commit knows.
type planOptions struct {
	// promises pledged with this commit, when known (commitPending);
	// used to word the unix-socket item. promisesKnown: a filter that
	// enforces them follows at once, so the layer may leave things to it.
	promises      promises.Set
	promisesKnown bool
	// declared: promises are the ones pledged with this commit, enforced
	// or not (they decide the default signal scope).
	declared bool
	// veil: the commit of the OpenBSD-style functions or of a pledge,
	// which scopes by default (defaultScopes); a Ruleset committed by its
	// caller has the scopes asked with Scope, no others.
	veil bool
	// thread: the layer is for the calling thread alone (CommitThread).
	thread bool
}

func (r *Ruleset) plan(res *probe.Result, opt planOptions) *plan {
	p := &plan{paths: r.lookups}
	if p.paths == nil {
		p.paths = pathres.New()
	}
	abi := res.LandlockABI
	reported := map[Protection]bool{}
	need := func(pr Protection) bool {
		// A protection is missing when the verified ABI predates it.
		if abi >= pr.ABI() {
			return true
		}
		if r.required(pr) && !reported[pr] {
			reported[pr] = true
			var reason error
			if abi == 0 {
				reason = res.LandlockErr
			}
			p.errs = append(p.errs, &UnavailableError{Protection: pr, HaveABI: abi, Reason: reason})
		}
		return false
	}
	unavailable := func(pr Protection) string {
		if abi == 0 {
			return fmt.Sprintf("Landlock unavailable: %v", res.LandlockErr)
		}
		return fmt.Sprintf("needs Landlock ABI %d, this kernel has %d", pr.ABI(), abi)
	}

	r.planPaths(p, res, need, unavailable, opt)
	r.planRaw(p, res, need, unavailable, opt)
	r.planNet(p, res, need, unavailable)
	r.planScopes(p, abi, need, unavailable, opt)
	return p
}

// defaultScopes are the scopes a veil gets (Unveil rules committed by
// UnveilBlock, by a pledge, or as pledge.Options.Unveil) unless
// Ruleset.Unscope opts out: what is not unveiled must not be reachable
// through an abstract unix socket (X11, D-Bus) or a signal to an outside
// process. Signals stay open when the promises pledged with the commit
// include "proc", which allows signalling other processes.
func (r *Ruleset) defaultScopes(opt planOptions) Scope {
	if !opt.veil || len(r.paths) == 0 {
		return 0
	}
	s := ScopeAbstractUnix | ScopeSignal
	if opt.declared && opt.promises.Has(promises.Proc) {
		s &^= ScopeSignal
	}
	return s &^ r.unscoped
}

// planScopes adds the scopes asked with Scope and those a veil gets by
// default. A default scope the kernel lacks is reported, never an error:
// Require names only what the caller asked for.
func (r *Ruleset) planScopes(p *plan, abi int, need func(Protection) bool, unavailable func(Protection) string, opt planOptions) {
	defaults := r.defaultScopes(opt) &^ r.scopes
	scopes := r.scopes | defaults
	if scopes == 0 {
		return
	}
	what := "scopes " + scopes.String()
	var note string
	if defaults != 0 {
		note = fmt.Sprintf("; %s by default under a veil (opt out with Ruleset.Unscope)", defaults)
		if opt.declared && opt.promises.Has(promises.Proc) && r.scopes&ScopeSignal == 0 {
			note += "; signals not scoped: the promises include \"proc\""
		}
	}
	available := abi >= Scopes.ABI()
	if r.scopes != 0 {
		available = need(Scopes)
	}
	if !available {
		p.add(report.LayerLandlockScope, what, report.Dropped, "%s; not restricted%s", unavailable(Scopes), note)
		return
	}
	p.scoped |= scopes.landlock()
	switch {
	case opt.thread:
		p.add(report.LayerLandlockScope, what, report.Enforced,
			"denied towards processes outside this sandbox: the calling thread and what it starts or executes afterwards; the process's other threads are outside%s", note)
	case abi < 8:
		// Without LANDLOCK_RESTRICT_SELF_TSYNC every thread calls
		// landlock_restrict_self itself and gets a domain of its own, with
		// the same rules; scopes compare domains.
		p.add(report.LayerLandlockScope, what, report.Partial,
			"denied towards processes outside this sandbox; below Landlock ABI 8 each thread has a domain of its own, so a signal to a process this program started, or a connection to an abstract socket it created, can be refused when another thread started or created it; keep such pairs on one thread (runtime.LockOSThread)%s", note)
	default:
		p.add(report.LayerLandlockScope, what, report.Enforced, "denied towards processes outside this sandbox%s", note)
	}
}

func (r *Ruleset) planPaths(p *plan, res *probe.Result, need func(Protection) bool, unavailable func(Protection) string, opt planOptions) {
	if len(r.paths) == 0 {
		return
	}
	entries := make([]entry, 0, len(r.paths))
	for _, pr := range r.paths {
		entries = append(entries, r.resolve(p.paths, pr))
	}
	// Implied paths that add nothing are listed after the rules.
	var skipped []report.Item
	skip := func(what, format string, args ...any) {
		skipped = append(skipped, report.Item{Layer: report.LayerLandlockFS, What: what, Status: report.NoEffect, Reason: fmt.Sprintf(format, args...)})
	}
	defer func() { p.items = append(p.items, skipped...) }()
	if r.hasImplied {
		for _, ip := range impliedPaths(r.implied) {
			from := "implied by " + ip.Promise.String()
			abs := filepath.Clean(ip.Path)
			perm, err := ParsePerm(ip.Perm)
			if err != nil || !filepath.IsAbs(abs) {
				p.add(report.LayerLandlockFS, fmt.Sprintf("%s %q (%s)", ip.Path, ip.Perm, from), report.Dropped, "bad implied path entry: %v", err)
				continue
			}
			if i := slices.IndexFunc(entries, func(e entry) bool { return e.path == abs }); i >= 0 {
				if entries[i].from == "" {
					skip(fmt.Sprintf("%s %q (%s)", abs, ip.Perm, from), "not added: unveiled explicitly as %q", entries[i].perm.String())
				} else {
					entries[i].perm |= perm // two promises imply the same path
				}
				continue
			}
			e := r.resolve(p.paths, pathRule{path: abs, perm: perm})
			e.from = from
			if !e.exists {
				skip(e.what(), "does not exist here; not added")
				continue
			}
			entries = append(entries, e)
		}
	}

	if r.pre != nil {
		entries = r.pre.interpreters(entries)
	} else {
		entries = addInterpreters(p.paths, entries, skip)
	}

	if !need(Paths) {
		p.add(report.LayerLandlockFS, "paths", report.Dropped, "%s; no path is restricted", unavailable(Paths))
		for i := range entries {
			p.add(report.LayerLandlockFS, entries[i].what(), report.Dropped, "not enforced: Landlock unavailable")
		}
		return
	}
	p.handledFS = res.FSRights()
	// Truncation left to the pledge is a hole of this layer, which the
	// pledge's filter closes once it is installed (reportlink.Truncate).
	leftToPledge := opt.promisesKnown && !promfacts.Truncates(opt.promises, runtime.GOARCH)
	if leftToPledge && p.handledFS&llaccess.FSTruncate != 0 {
		// Every open also asks Landlock for truncate, as an optional
		// right; a rule that does not grant it (r) makes the kernel walk
		// from the file up to the root on every open, instead of
		// stopping at the rule. The filter that follows refuses every way
		// to truncate, so the layer need not handle it.
		p.handledFS &^= llaccess.FSTruncate
		p.add(report.LayerLandlockFS, "truncate", report.Partial,
			"left to the pledge, whose promises (%q) refuse truncate(2), O_TRUNC and opening files for writing; Landlock does not check it, so opens stop their path walk at the rule that grants them", opt.promises.String())
		reportlink.Mark(&p.items[len(p.items)-1], reportlink.Truncate)
	}

	anyCreate := false
	for i := range entries {
		e := &entries[i]
		// Landlock grants the union of every rule on the way to a file;
		// OpenBSD applies only the nearest unveil. Find what the
		// directories above add.
		var above Perm
		var aboveFrom []string
		for j := range entries {
			o := &entries[j]
			if i == j || !o.exists || !o.isDir || !beneath(e.real, o.real) {
				continue
			}
			if o.perm&^e.perm != 0 {
				above |= o.perm
				aboveFrom = append(aboveFrom, o.what())
			}
		}
		widened := above&^e.perm != 0
		if e.perm == 0 {
			if widened {
				p.errs = append(p.errs, fmt.Errorf("unveil: cannot hide %s (permissions \"\"): %w: Landlock rules only add access and %s grants %q there; hide a path only where no unveiled directory above it has permissions",
					e.path, ErrNotExpressible, strings.Join(aboveFrom, ", "), above.String()))
				continue
			}
			p.add(report.LayerLandlockFS, e.what(), report.Enforced, "hidden: no rule, so no access (Landlock answers EACCES, not ENOENT)")
			continue
		}
		if e.err != nil {
			p.add(report.LayerLandlockFS, e.what(), report.Dropped, "cannot be used, nothing granted: %v", e.err)
			continue
		}
		if !e.exists {
			reason := "does not exist: Landlock can only name existing files, so nothing is granted for it; unveil its directory to create it"
			if e.dangling {
				reason = "symlink to a missing target: nothing is granted for it"
			}
			if widened {
				reason += fmt.Sprintf("; if created, it gets %q from %s", (above | e.perm).String(), strings.Join(aboveFrom, ", "))
			}
			p.add(report.LayerLandlockFS, e.what(), report.Dropped, "%s", reason)
			continue
		}
		var notes []string
		st := report.Enforced
		var rights uint64
		rights = e.perm.FSRights(e.mode)
		if e.isDir {
			anyCreate = anyCreate || e.perm&PermCreate != 0
		} else {
			if e.perm&PermCreate != 0 {
				st = report.Partial
				notes = append(notes, "c dropped: creating and removing are rights of the directory under Landlock; unveil the directory with c")
			}
		}
		if e.perm&PermExec != 0 {
			// Every x rule says so; without r it grants more than asked.
			if e.perm&PermRead == 0 {
				st = report.Partial
			}
			notes = append(notes, "x also allows reading files: Linux's execve opens the binary for reading and Landlock checks that")
		}
		if e.real != e.path {
			notes = append(notes, "symlink: grants its target "+e.real)
		}
		if widened {
			st = report.Partial
			notes = append(notes, fmt.Sprintf("effective permissions %q: Landlock adds %s (OpenBSD would apply only %q here)",
				(above|e.perm).String(), strings.Join(aboveFrom, ", "), e.perm.String()))
		}
		rights &= p.handledFS
		if rights == 0 {
			p.add(report.LayerLandlockFS, e.what(), report.Dropped, "%s", strings.Join(append(notes, "no Landlock right left to grant"), "; "))
			continue
		}
		kind := "file"
		if e.isDir {
			kind = "directory"
		}
		reason := kind
		if len(notes) > 0 {
			reason += "; " + strings.Join(notes, "; ")
		}
		p.add(report.LayerLandlockFS, e.what(), st, "%s", reason)
		p.fs = append(p.fs, fsGrant{path: e.real, rights: rights})
	}

	// What this ABI cannot do, once for the layer.
	if anyCreate && !need(Refer) {
		p.add(report.LayerLandlockFS, "rename/link across directories", report.Partial,
			"%s: every rename or hard link across directories fails with EXDEV, even with c on both sides", unavailable(Refer))
	}
	switch {
	case need(Truncate):
	case leftToPledge:
		p.add(report.LayerLandlockFS, "truncate", report.Partial,
			"left to the pledge, whose promises (%q) refuse truncate(2), O_TRUNC and opening files for writing (%s)", opt.promises.String(), unavailable(Truncate))
		reportlink.Mark(&p.items[len(p.items)-1], reportlink.Truncate)
	default:
		p.add(report.LayerLandlockFS, "truncate", report.Dropped,
			"%s: truncate(2) and O_TRUNC are not restricted; w is not needed to truncate a file", unavailable(Truncate))
	}
	need(IoctlDev) // ioctl follows r/w from ABI 5; below, opening the device is what counts
	if !opt.promisesKnown || opt.promises.Has(promises.Unix) {
		if !need(UnixSockets) {
			p.add(report.LayerLandlockFS, "unix sockets by path", report.Partial,
				"%s: connect(2) and sendmsg(2) to pathname unix sockets are not restricted by path (a pledge without \"unix\" denies unix sockets)", unavailable(UnixSockets))
		}
	} else {
		need(UnixSockets)
	}
	p.libpsxTask(res, opt)
}

// addInterpreters adds, with x, the ELF interpreter (PT_INTERP) of every
// dynamically linked program unveiled with x: the kernel executes it too,
// and without it executing the program fails with EACCES where OpenBSD
// runs it. Only what the kernel itself executes is taken (internal/elfdeps
// in exec-only mode, which refuses a PT_INTERP that is not an executable
// ELF file of the program's machine): a program's header cannot make an
// arbitrary file readable. An interpreter unveiled explicitly
// keeps its own permissions.
func addInterpreters(c *pathres.Cache, entries []entry, skip func(what, format string, args ...any)) []entry {
	n := len(entries)
	for i := 0; i < n; i++ {
		e := entries[i]
		if e.perm&PermExec == 0 || !e.exists || e.isDir || !e.mode.IsRegular() {
			continue
		}
		prog, err := elfdeps.Resolve(e.real, elfdeps.Options{ExecOnly: true})
		if err != nil {
			// elfdeps reads the headers as the kernel does and refuses an
			// interpreter that is not an executable ELF file: nothing is
			// added, and the report says why.
			skip(fmt.Sprintf("ELF interpreter of %s %q", e.path, "x"), "not added: %v", err)
			continue
		}
		if prog.Kind != elfdeps.Dynamic {
			continue
		}
		for _, f := range prog.Files {
			if f.Why != "ELF interpreter" {
				continue
			}
			from := "ELF interpreter of " + e.path
			if j := slices.IndexFunc(entries, func(o entry) bool { return o.path == f.Path || o.real == f.Path }); j >= 0 {
				if entries[j].from == "" && entries[j].perm&PermExec == 0 {
					skip(fmt.Sprintf("%s %q (%s)", f.Path, "x", from), "not added: unveiled explicitly as %q", entries[j].perm.String())
				}
				continue
			}
			ie := resolve(c, pathRule{path: f.Path, perm: PermExec})
			ie.from = from
			if ie.exists {
				entries = append(entries, ie)
			}
		}
	}
	return entries
}

// libpsxTask grants listing /proc/PID/task in cgo builds below ABI 8:
// libpsx, which go-landlock uses to restrict every thread there, lists it
// right after restricting (go-landlock issue 39). Once per layer.
func (p *plan) libpsxTask(res *probe.Result, opt planOptions) {
	task := fmt.Sprintf("/proc/%d/task", os.Getpid())
	if opt.thread || !res.Cgo || res.LandlockABI >= 8 || p.handledFS&llaccess.FSReadDir == 0 ||
		slices.ContainsFunc(p.fs, func(g fsGrant) bool { return g.path == task }) {
		return
	}
	p.add(report.LayerLandlockFS, task+" (list only)", report.Enforced,
		"granted in cgo builds so libpsx can find the threads to restrict (go-landlock issue 39)")
	p.fs = append(p.fs, fsGrant{path: task, rights: llaccess.FSReadDir})
}

func (r *Ruleset) planNet(p *plan, res *probe.Result, need func(Protection) bool, unavailable func(Protection) string) {
	kinds := []struct {
		set  *portSet
		prot Protection
		bit  uint64
		what string
	}{
		{&r.connectTCP, TCP, llaccess.NetConnectTCP, "tcp connect"},
		{&r.bindTCP, TCP, llaccess.NetBindTCP, "tcp bind"},
		{&r.bindUDP, UDP, llaccess.NetBindUDP, "udp bind"},
		{&r.sendUDP, UDP, llaccess.NetConnectSendUDP, "udp connect/send"},
	}
	for _, k := range kinds {
		if !k.set.on {
			continue
		}
		ports := "no port"
		if len(k.set.ports) > 0 {
			ps := make([]string, len(k.set.ports))
			for i, port := range k.set.ports {
				ps[i] = fmt.Sprint(port)
			}
			ports = "ports " + strings.Join(ps, ",")
		}
		what := k.what + " " + ports
		if !need(k.prot) || res.NetRights()&k.bit == 0 {
			p.add(report.LayerLandlockNet, what, report.Dropped, "%s; not restricted", unavailable(k.prot))
			continue
		}
		p.handledNet |= k.bit
		for _, port := range k.set.ports {
			p.net = append(p.net, netGrant{access: k.bit, port: port})
		}
		if k.prot == TCP && probe.MPTCP() {
			// The reason says what is open, Detail how to close it: a
			// filter that closes it drops Detail (reportlink.Mark).
			p.add(report.LayerLandlockNet, what, report.Partial,
				"only %s allowed for TCP, but Landlock does not see MPTCP sockets (IPPROTO_MPTCP)", ports)
			it := &p.items[len(p.items)-1]
			it.Detail = "net.Listen uses MPTCP by default since Go 1.24; to close this, pledge (its filter answers MPTCP sockets with an error, so Go falls back to TCP), run with GODEBUG=multipathtcp=0, or set net.mptcp.enabled=0"
			reportlink.Mark(it, reportlink.MPTCP)
			continue
		}
		p.add(report.LayerLandlockNet, what, report.Enforced, "only %s allowed", ports)
	}
}
