//go:build linux

package unveil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

func TestRightsMapping(t *testing.T) {
	dirRights := func(p Perm) uint64 { return p.FSRights(fs.ModeDir) }
	fileRights := func(p Perm, m fs.FileMode) uint64 { return p.FSRights(m) }
	// Directories.
	if got := dirRights(PermRead); got != llaccess.FSReadFile|llaccess.FSReadDir|llaccess.FSIoctlDev {
		t.Errorf("r dir: %#x", got)
	}
	if got := dirRights(PermWrite); got != llaccess.FSWriteFile|llaccess.FSTruncate|llaccess.FSIoctlDev|llaccess.FSResolveUnix {
		t.Errorf("w dir: %#x", got)
	}
	if got := dirRights(PermExec); got != llaccess.FSExecute|llaccess.FSReadFile {
		t.Errorf("x dir: %#x", got)
	}
	c := dirRights(PermCreate)
	for _, b := range []uint64{
		unix.LANDLOCK_ACCESS_FS_MAKE_REG, unix.LANDLOCK_ACCESS_FS_MAKE_DIR, unix.LANDLOCK_ACCESS_FS_MAKE_SYM,
		unix.LANDLOCK_ACCESS_FS_MAKE_SOCK, unix.LANDLOCK_ACCESS_FS_MAKE_FIFO,
		unix.LANDLOCK_ACCESS_FS_REMOVE_FILE, unix.LANDLOCK_ACCESS_FS_REMOVE_DIR,
		unix.LANDLOCK_ACCESS_FS_REFER,
	} {
		if c&b == 0 {
			t.Errorf("c dir lacks %#x", b)
		}
	}
	// Device nodes: no letter grants them (Ruleset.AllowFS only).
	devices := uint64(unix.LANDLOCK_ACCESS_FS_MAKE_CHAR | unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK)
	if c&devices != 0 {
		t.Errorf("c grants device nodes: %#x", c&devices)
	}
	if c&(llaccess.FSReadFile|llaccess.FSWriteFile|llaccess.FSExecute) != 0 {
		t.Errorf("c grants more than create/remove: %#x", c)
	}
	// Every other right the newest known ABI has is granted by some letter.
	all := dirRights(PermRead | PermWrite | PermExec | PermCreate)
	if all != llaccess.Mask(llaccess.FS, probe.MaxKnownLandlockABI)&^devices {
		t.Errorf("rwxc on a dir = %#x, all rights = %#x", all, llaccess.Mask(llaccess.FS, probe.MaxKnownLandlockABI))
	}
	// Files take only file rights.
	fileOnly := uint64(llaccess.FSReadFile | llaccess.FSWriteFile | llaccess.FSTruncate | llaccess.FSExecute | llaccess.FSIoctlDev | llaccess.FSResolveUnix)
	for p := Perm(0); p < 16; p++ {
		for _, m := range []fs.FileMode{0, fs.ModeDevice | fs.ModeCharDevice, fs.ModeSocket, fs.ModeNamedPipe} {
			if got := fileRights(p, m); got&^fileOnly != 0 {
				t.Errorf("file %q mode %v: %#x has directory rights", p, m, got)
			}
		}
	}
	if fileRights(PermWrite, 0)&llaccess.FSIoctlDev != 0 || fileRights(PermWrite, fs.ModeDevice|fs.ModeCharDevice)&llaccess.FSIoctlDev == 0 {
		t.Error("ioctl only on devices")
	}
	if fileRights(PermCreate, 0) != 0 {
		t.Error("c on a file grants something")
	}
}

// plan is checked without the kernel: a fake probe result per ABI.
func TestPlanPerABI(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	build := func() *Ruleset {
		r := New().ConnectTCP(443).BindTCP().BindUDP(0).Scope(ScopeSignal)
		if err := r.Unveil(dir, "rwc"); err != nil {
			t.Fatal(err)
		}
		if err := r.Unveil(file, "r"); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for abi := 0; abi <= probe.MaxKnownLandlockABI; abi++ {
		res := &probe.Result{LandlockABI: abi, LandlockErr: errors.New("none")}
		p := build().plan(res, planOptions{})
		if len(p.errs) != 0 {
			t.Fatalf("ABI %d: errors %v", abi, p.errs)
		}
		if p.handledFS != llaccess.Mask(llaccess.FS, abi) {
			t.Errorf("ABI %d: handled fs %#x", abi, p.handledFS)
		}
		for _, g := range p.fs {
			if g.rights&^p.handledFS != 0 || g.rights == 0 {
				t.Errorf("ABI %d: grant %#x outside handled %#x", abi, g.rights, p.handledFS)
			}
		}
		if p.handledNet&^llaccess.Mask(llaccess.Net, abi) != 0 || p.scoped&^llaccess.Mask(llaccess.Scope, abi) != 0 {
			t.Errorf("ABI %d: net %#x scopes %#x beyond the ABI", abi, p.handledNet, p.scoped)
		}
		wantTCP := abi >= 4
		if (p.handledNet&unix.LANDLOCK_ACCESS_NET_CONNECT_TCP != 0) != wantTCP {
			t.Errorf("ABI %d: tcp connect handled=%v", abi, !wantTCP)
		}
		if (p.handledNet&unix.LANDLOCK_ACCESS_NET_BIND_UDP != 0) != (abi >= 10) {
			t.Errorf("ABI %d: udp", abi)
		}
		if (p.scoped != 0) != (abi >= 6) {
			t.Errorf("ABI %d: scopes %#x", abi, p.scoped)
		}
		status := func(prefix string) report.Status {
			for _, it := range p.items {
				if strings.HasPrefix(it.What, prefix) {
					return it.Status
				}
			}
			return ""
		}
		// A dropped protection is always in the report.
		if abi < 4 && status("tcp connect") != report.Dropped {
			t.Errorf("ABI %d: tcp not reported dropped", abi)
		}
		if abi < 10 && status("udp bind") != report.Dropped {
			t.Errorf("ABI %d: udp not reported dropped", abi)
		}
		if abi < 6 && status("scopes") != report.Dropped {
			t.Errorf("ABI %d: scopes not reported dropped", abi)
		}
		if (abi == 6 || abi == 7) && status("scopes") != report.Partial || abi >= 8 && status("scopes") != report.Enforced {
			t.Errorf("ABI %d: scopes %s (per-thread domains before ABI 8)", abi, status("scopes"))
		}
		if abi >= 1 && abi < 3 && status("truncate") != report.Dropped {
			t.Errorf("ABI %d: truncate not reported", abi)
		}
		if abi == 1 && status("rename/link") != report.Partial {
			t.Errorf("ABI 1: refer not reported")
		}
		if abi == 0 && (status("paths") != report.Dropped || p.handledFS != 0 || len(p.fs) != 0) {
			t.Errorf("ABI 0: paths not dropped")
		}
		if abi > 0 && len(p.fs) != 2 {
			t.Errorf("ABI %d: %d grants", abi, len(p.fs))
		}
		// Required and missing: an error per protection.
		rq := build().Require()
		p = rq.plan(res, planOptions{})
		var missing []Protection
		for pr := Paths; pr < numProtections; pr++ {
			fsDetail := pr == Refer || pr == Truncate || pr == IoctlDev || pr == UnixSockets
			if abi < pr.ABI() && !(abi == 0 && fsDetail) { // without Landlock, "paths" covers the details
				missing = append(missing, pr)
			}
		}
		var got []Protection
		for _, e := range p.errs {
			var ue *UnavailableError
			if !errors.As(e, &ue) || !errors.Is(e, ErrLandlockUnavailable) {
				t.Fatalf("ABI %d: %v", abi, e)
			}
			got = append(got, ue.Protection)
		}
		if !slices.Equal(sorted(got), sorted(missing)) {
			t.Errorf("ABI %d: required errors for %v, want %v", abi, got, missing)
		}
	}
}

func TestPlanImplied(t *testing.T) {
	res := &probe.Result{LandlockABI: 7}
	r := New()
	if err := r.Unveil(t.TempDir(), "r"); err != nil {
		t.Fatal(err)
	}
	if err := r.Unveil("/dev/null", "r"); err != nil { // user rule wins over the implied "rw"
		t.Fatal(err)
	}
	r.Implied(promises.Of(promises.Stdio, promises.DNS))
	p := r.plan(res, planOptions{})
	seen := map[string]report.Item{}
	var userNull, impliedNull bool
	for _, it := range p.items {
		path := strings.Fields(it.What)[0]
		if path == "/dev/null" {
			userNull = userNull || it.Status == report.Enforced && !strings.Contains(it.What, "implied")
			impliedNull = impliedNull || it.Status == report.NoEffect && strings.Contains(it.Reason, "unveiled explicitly")
		}
		seen[path] = it
	}
	if !userNull || !impliedNull {
		t.Errorf("/dev/null: the user's rule must win and the implied one be listed as not added: %+v", p.items)
	}
	for _, pr := range []promises.Promise{promises.Stdio, promises.DNS} {
		for _, ip := range promises.ImpliedPaths(pr) {
			it, ok := seen[ip.Path]
			if !ok {
				t.Errorf("implied %s not in the report", ip.Path)
				continue
			}
			if ip.Path == "/dev/null" {
				continue
			}
			if _, err := os.Stat(ip.Path); err != nil && it.Status != report.NoEffect {
				t.Errorf("missing implied %s: %+v", ip.Path, it)
			}
		}
	}
	if _, ok := seen["/etc/ssl/certs"]; ok {
		t.Error("inet path added without inet")
	}
	// Implied paths alone never start a filesystem restriction.
	r = New().Implied(promises.Of(promises.Stdio))
	if p := r.plan(res, planOptions{}); p.handledFS != 0 || len(p.items) != 0 {
		t.Errorf("implied paths without unveils: %+v", p)
	}
}

func TestPlanUnixSocketsItem(t *testing.T) {
	res := &probe.Result{LandlockABI: 7}
	mk := func() *Ruleset {
		r := New()
		if err := r.Unveil(t.TempDir(), "r"); err != nil {
			t.Fatal(err)
		}
		return r
	}
	has := func(p *plan) bool {
		for _, it := range p.items {
			if it.What == "unix sockets by path" {
				return true
			}
		}
		return false
	}
	if !has(mk().plan(res, planOptions{})) {
		t.Error("promises unknown: the unix socket gap must be reported")
	}
	if !has(mk().plan(res, planOptions{promises: promises.MustParse("stdio unix"), promisesKnown: true})) {
		t.Error("with unix: must be reported")
	}
	if has(mk().plan(res, planOptions{promises: promises.MustParse("stdio rpath"), promisesKnown: true})) {
		t.Error("without unix the pledge filter denies unix sockets: not a Landlock item")
	}
	if has(mk().plan(&probe.Result{LandlockABI: 9}, planOptions{})) {
		t.Error("ABI 9 restricts unix sockets")
	}
}

func sorted(ps []Protection) []Protection {
	out := slices.Clone(ps)
	slices.Sort(out)
	return out
}

// A layer committed with a pledge whose promises refuse every way to
// truncate leaves truncation to the pledge (opens then stop their
// Landlock path walk at the rule); with promises that can truncate, or
// promises unknown, the layer handles it.
func TestPlanTruncateLeftToPledge(t *testing.T) {
	res := &probe.Result{LandlockABI: 7}
	dir := t.TempDir()
	handles := func(opt planOptions) (bool, bool) {
		r := New()
		if err := r.Unveil(dir, "rw"); err != nil {
			t.Fatal(err)
		}
		p := r.plan(res, opt)
		item := false
		for _, it := range p.items {
			item = item || it.What == "truncate"
		}
		granted := len(p.fs) == 1 && p.fs[0].rights&llaccess.FSTruncate != 0
		return p.handledFS&llaccess.FSTruncate != 0 && granted, item
	}
	for _, tc := range []struct {
		opt     planOptions
		handled bool
	}{
		{planOptions{}, true},
		{planOptions{promises: promises.MustParse("stdio rpath"), promisesKnown: true}, false},
		{planOptions{promises: promises.MustParse("stdio rpath inet dns unix"), promisesKnown: true}, false},
		{planOptions{promises: promises.MustParse("stdio rpath wpath"), promisesKnown: true}, true},
		{planOptions{promises: promises.MustParse("stdio wpath"), promisesKnown: true}, true},
		// cpath creates (O_CREAT without write access): no truncation.
		{planOptions{promises: promises.MustParse("stdio rpath cpath"), promisesKnown: true}, false},
	} {
		handled, item := handles(tc.opt)
		if handled != tc.handled || item == handled {
			t.Errorf("promises %q (known %v): truncate handled %v (report item %v), want handled %v", tc.opt.promises, tc.opt.promisesKnown, handled, item, tc.handled)
		}
	}
}

// Below Landlock ABI 3 nothing in the layer restricts truncation: with
// promises that cannot truncate the report leaves it to the pledge (a gap
// the pledge's filter closes), otherwise it is not restricted (dropped).
func TestPlanTruncateBeforeABI3(t *testing.T) {
	res := &probe.Result{LandlockABI: 2}
	for _, tc := range []struct {
		ps     string
		known  bool
		status report.Status
	}{
		{"stdio rpath", true, report.Partial},
		{"stdio rpath wpath", true, report.Dropped},
		{"", false, report.Dropped},
	} {
		r := New()
		if err := r.Unveil(t.TempDir(), "rw"); err != nil {
			t.Fatal(err)
		}
		opt := planOptions{promisesKnown: tc.known}
		if tc.known {
			opt.promises = promises.MustParse(tc.ps)
		}
		var got []report.Status
		for _, it := range r.plan(res, opt).items {
			if it.What == "truncate" {
				got = append(got, it.Status)
			}
		}
		if len(got) != 1 || got[0] != tc.status {
			t.Errorf("ABI 2, promises %q (known %v): truncate items %v, want one %v", tc.ps, tc.known, got, tc.status)
		}
	}
}

// A veil's default scopes on every ABI: both from 6 (abstract only with
// "proc" promised), reported dropped below, none after Unscope, none for
// a ruleset without Unveil rules, none for Ruleset.Commit.
func TestPlanDefaultScopes(t *testing.T) {
	dir := t.TempDir()
	for abi := 0; abi <= probe.MaxKnownLandlockABI; abi++ {
		res := &probe.Result{LandlockABI: abi, LandlockErr: errors.New("none")}
		for _, c := range []struct {
			name string
			r    func() *Ruleset
			opt  planOptions
			want uint64 // scoped, from ABI 6
		}{
			{"veil", func() *Ruleset { return New() }, planOptions{veil: true}, unix.LANDLOCK_SCOPE_SIGNAL | unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET},
			{"proc", func() *Ruleset { return New() }, planOptions{veil: true, declared: true, promises: promises.Of(promises.Stdio, promises.Proc)}, unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET},
			{"unscoped", func() *Ruleset { return New().Unscope(ScopeSignal, ScopeAbstractUnix) }, planOptions{veil: true}, 0},
			{"unscoped signal", func() *Ruleset { return New().Unscope(ScopeSignal) }, planOptions{veil: true}, unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET},
			{"Commit", func() *Ruleset { return New() }, planOptions{}, 0},
		} {
			r := c.r()
			if err := r.Unveil(dir, "r"); err != nil {
				t.Fatal(err)
			}
			p := r.plan(res, c.opt)
			want := c.want
			if abi < 6 {
				want = 0
			}
			var it report.Item
			for _, i := range p.items {
				if strings.HasPrefix(i.What, "scopes ") {
					it = i
				}
			}
			switch {
			case len(p.errs) != 0:
				t.Errorf("ABI %d %s: errors %v", abi, c.name, p.errs)
			case p.scoped != want:
				t.Errorf("ABI %d %s: scoped %#x, want %#x", abi, c.name, p.scoped, want)
			case c.want == 0 && it.What != "":
				t.Errorf("ABI %d %s: item %+v for no scope", abi, c.name, it)
			case c.want != 0 && (abi < 6) != (it.Status == report.Dropped):
				t.Errorf("ABI %d %s: item %+v", abi, c.name, it)
			}
		}
		// No Unveil rules, no veil: no default scopes.
		if p := New().ConnectTCP(443).plan(res, planOptions{veil: true}); p.scoped != 0 {
			t.Errorf("ABI %d: scopes %#x without a veil", abi, p.scoped)
		}
	}
}
