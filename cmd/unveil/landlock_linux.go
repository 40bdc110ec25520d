package main

// Landlock rulesets for the executed program, in layers (every layer must
// allow an access): the plan describes them as data (it travels to the
// stage as JSON, and the supervisor reads it to explain denials); the
// unveil package enforces each one, on the thread that then calls execve.

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/pathres"
	uv "github.com/pledgekit/pledgekit/internal/unveil" // the library's unveil, without libpsx (docs/DESIGN.md)
	"github.com/pledgekit/pledgekit/internal/unveillink"
	"github.com/pledgekit/pledgekit/report"
)

// createRights are the rights the library's c grants (checked on the
// directory in which a file is made or removed).
var createRights = uv.PermCreate.FSRights(fs.ModeDir)

// rightsPerm names rights in unveil letters, for messages: the fewest
// letters, in the order rwxc, whose rights (the library's table) cover
// them.
func rightsPerm(rights uint64) string {
	var b strings.Builder
	left := rights &^ llaccess.FSIoctlDev
	for _, p := range []uv.Perm{uv.PermRead, uv.PermWrite, uv.PermExec, uv.PermCreate} {
		if r := p.FSRights(fs.ModeDir); r&left != 0 {
			b.WriteString(p.String())
			left &^= r
		}
	}
	return b.String()
}

// pathRule allows Access beneath Path (Path itself if it is a file). An
// Unveil rule is unveil's: the stage passes Perm to unveil.Ruleset.Unveil,
// which decides the rights (Access is what it will grant here, for
// explaining denials); other rules (a policy's raw access, the promises
// layer) go to AllowFS as they are.
type pathRule struct {
	Path   string `json:"path"`
	Access uint64 `json:"access"`
	Why    string `json:"why,omitempty"`
	Unveil bool   `json:"unveil,omitempty"`
	Perm   string `json:"perm,omitempty"`
}

type portRule struct {
	Port   uint16 `json:"port"`
	Access uint64 `json:"access"`
}

// llLayer is one Landlock ruleset.
type llLayer struct {
	Name       string     `json:"name"`
	HandledFS  uint64     `json:"handled_fs"`
	HandledNet uint64     `json:"handled_net"`
	Scoped     uint64     `json:"scoped"`
	Paths      []pathRule `json:"paths,omitempty"`
	Ports      []portRule `json:"ports,omitempty"`
}

func (l *llLayer) addPath(path string, access uint64, why string) {
	for i := range l.Paths {
		if l.Paths[i].Path == path && !l.Paths[i].Unveil {
			l.Paths[i].Access |= access
			return
		}
	}
	l.Paths = append(l.Paths, pathRule{Path: path, Access: access, Why: why})
}

// unveil adds an unveil rule: path with OpenBSD permission letters (valid
// ones: the caller checked), merged with an earlier rule for the same path.
func (l *llLayer) unveil(pc *pathres.Cache, path, perm, why string) {
	p, _ := uv.ParsePerm(perm)
	for i := range l.Paths {
		if r := &l.Paths[i]; r.Path == path && r.Unveil {
			old, _ := uv.ParsePerm(r.Perm)
			p |= old
			r.Perm, r.Access = p.String(), permAccess(pc, path, p)
			return
		}
	}
	l.Paths = append(l.Paths, pathRule{Path: path, Access: permAccess(pc, path, p), Why: why, Unveil: true, Perm: p.String()})
}

// grant adds a rule (for AllowFS) with the rights unveil's table gives
// the letters perm on path; nothing if path does not exist.
func (l *llLayer) grant(pc *pathres.Cache, path, perm, why string) {
	p, _ := uv.ParsePerm(perm)
	if acc := permAccess(pc, path, p); acc != 0 {
		l.addPath(path, acc, why)
	}
}

// dirPermRights is what unveil grants beneath a directory for the letters
// perm (valid ones).
func dirPermRights(perm string) uint64 {
	p, _ := uv.ParsePerm(perm)
	return p.FSRights(fs.ModeDir)
}

// permAccess is what unveil grants for p on path (nothing if it does not
// exist).
func permAccess(pc *pathres.Cache, path string, p uv.Perm) uint64 {
	fi, err := pc.Stat(path)
	if err != nil {
		return 0
	}
	return p.FSRights(fi.Mode())
}

func (l *llLayer) sort() {
	sort.Slice(l.Paths, func(i, j int) bool { return l.Paths[i].Path < l.Paths[j].Path })
	sort.Slice(l.Ports, func(i, j int) bool { return l.Ports[i].Port < l.Ports[j].Port })
}

// allows reports whether the layer lets path (absolute, resolved) be
// accessed with all of the rights in need. Used by the supervisor to
// explain and pre-judge accesses; the kernel is the enforcer.
func (l *llLayer) allows(path string, need uint64) bool {
	need &= l.HandledFS
	if need == 0 {
		return true
	}
	var got uint64
	for _, r := range l.Paths {
		if path == r.Path || strings.HasPrefix(path, strings.TrimSuffix(r.Path, "/")+"/") {
			got |= r.Access
		}
	}
	return need&^got == 0
}

// covers reports whether the layer l, enforced alone, allows nothing that
// l and em enforced together refuse, so that em adds no restriction and
// need not be committed: l handles every right em handles, and wherever
// l grants one of those rights em grants it too (on the same path or a
// directory above it; the kernel allows an access only if every layer
// does, so then l and em together allow exactly what l allows). em must
// restrict files only. An unveil rule of l that grants executing is not
// judged (unveil adds the ELF interpreter of such a file itself): l does
// not cover em then. A nil l covers nothing.
func (l *llLayer) covers(em *llLayer) bool {
	if l == nil || em.HandledNet != 0 || em.Scoped != 0 || em.HandledFS&^l.HandledFS != 0 {
		return false
	}
	for _, r := range l.Paths {
		acc := r.Access & l.HandledFS & em.HandledFS
		if acc == 0 {
			continue
		}
		if r.Unveil && acc&llaccess.FSExecute != 0 || !em.allows(r.Path, acc) {
			return false
		}
	}
	return true
}

// ruleset turns the layer into an unveil.Ruleset with exactly the
// layer's handled rights, rules and scopes. A rule's rights are cut to
// the handled ones (a right the layer does not handle is not restricted,
// so granting it would change nothing). Require: whatever this kernel
// cannot enforce fails the commit instead of being dropped (the plan only
// asks for what the probe verified).
func (l *llLayer) ruleset() (*uv.Ruleset, error) {
	// Required: what the plan verified (paths, network rules). The rest
	// (rights of later ABIs within a letter, scopes) is dropped and
	// reported by unveil where the kernel lacks it.
	rs := uv.New().Require(uv.Paths, uv.TCP, uv.UDP).HandleFS(l.HandledFS)
	for _, r := range l.Paths {
		var err error
		if r.Unveil {
			err = rs.Unveil(r.Path, r.Perm)
		} else {
			err = rs.AllowFS(r.Path, r.Access&l.HandledFS)
		}
		if err != nil {
			return nil, err
		}
	}
	net := []struct {
		bit   uint64
		allow func(...uint16) *uv.Ruleset
	}{
		{llaccess.NetConnectTCP, rs.ConnectTCP},
		{llaccess.NetBindTCP, rs.BindTCP},
		{llaccess.NetBindUDP, rs.BindUDP},
		{llaccess.NetConnectSendUDP, rs.ConnectUDP},
	}
	known := uint64(0)
	for _, n := range net {
		known |= n.bit
		if l.HandledNet&n.bit == 0 {
			continue
		}
		var ports []uint16
		for _, p := range l.Ports {
			if p.Access&n.bit != 0 {
				ports = append(ports, p.Port)
			}
		}
		n.allow(ports...) // no ports: every port is denied
	}
	if bad := l.HandledNet &^ known; bad != 0 {
		return nil, fmt.Errorf("unknown Landlock network rights %#x", bad)
	}
	if l.Scoped&llaccess.ScopeSignal != 0 {
		rs.Scope(uv.ScopeSignal)
	}
	if l.Scoped&llaccess.ScopeAbstractUnixSocket != 0 {
		rs.Scope(uv.ScopeAbstractUnix)
	}
	if bad := l.Scoped &^ (llaccess.ScopeSignal | llaccess.ScopeAbstractUnixSocket); bad != 0 {
		return nil, fmt.Errorf("unknown Landlock scopes %#x", bad)
	}
	return rs, nil
}

// restrict enforces the layer on the calling thread alone, which then
// calls execve (unveil.Ruleset.CommitThread: it also sets no_new_privs on
// the thread and keeps the goroutine locked to it). The commit looks the
// paths up through pc, the cache the plan was made with, when this
// process made it (nil: afresh).
func (l *llLayer) restrict(pc *pathres.Cache) (*report.Report, error) {
	rs, err := l.ruleset()
	var rep *report.Report
	if err == nil && pc != nil {
		unveillink.ShareLookups(rs, pc)
	}
	if err == nil {
		rep, err = rs.CommitThread()
	}
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", l.Name, err)
	}
	return rep, nil
}

// cleanAbs makes p absolute and clean, resolving symlinks when it exists
// (Landlock rules attach to the file the path names).
func cleanAbs(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	return abs, nil
}

// cleanUnveil is cleanAbs for a path the user unveils, except that
// /proc/self and /proc/thread-self are kept as they are: they must name
// the process that enforces the rules and becomes the program, which
// opens the path itself (resolved here they would name unveil's own
// process, whose files the program can never reach).
func cleanUnveil(pc *pathres.Cache, p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	for _, self := range []string{"/proc/self", "/proc/thread-self"} {
		if abs == self || strings.HasPrefix(abs, self+"/") {
			return abs, nil
		}
	}
	return pc.Clean(abs)
}
