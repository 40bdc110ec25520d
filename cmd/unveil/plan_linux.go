package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/elfdeps"
	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/pathres"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/promfacts"
	"github.com/pledgekit/pledgekit/internal/reportlink"
	uv "github.com/pledgekit/pledgekit/internal/unveil" // the library's unveil, without libpsx (docs/DESIGN.md)
	"github.com/pledgekit/pledgekit/internal/unveillink"
	"github.com/pledgekit/pledgekit/policy"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

type mode int

const (
	modeDirect     mode = iota // restrict self, exec the program
	modeSupervised             // stay as parent, answer denials, print them
	modeLearn                  // allow everything, record
)

type rlim struct {
	Res  int    `json:"res"`
	Name string `json:"name"`
	Cur  uint64 `json:"cur"`
	Max  uint64 `json:"max"`
}

// rawInsn is one classic BPF instruction, as the kernel reads it.
type rawInsn struct {
	Code   uint16 `json:"c"`
	Jt, Jf uint8
	K      uint32 `json:"k"`
}

// plan is everything the stage does before execve. It is built in the
// parent (which reads files and the promise table) and carried out by the
// process that execs (the same process in direct mode, a re-executed copy
// of unveil in supervised and learn modes).
type plan struct {
	Mode    mode      `json:"mode"`
	Program string    `json:"program"`
	Argv    []string  `json:"argv"`
	Env     []string  `json:"env"`
	Filter  bpfProg   `json:"filter"`
	Layers  []llLayer `json:"layers"`
	Rlimits []rlim    `json:"rlimits"`
	// ProcsSet: -P was given, so RLIMIT_NPROC may be below what the user
	// runs already (the default is above every task of the system).
	ProcsSet  bool  `json:"procsSet,omitempty"`
	NoFile    *rlim `json:"nofile"`
	Normalize bool  `json:"normalize"`
	Nice      bool  `json:"nice"`
	KeepCaps  bool  `json:"keep_caps"`
	UID       int   `json:"uid"`
	GID       int   `json:"gid"`
	SockFd    int   `json:"sock_fd"` // supervised: where the listener goes (-1 none)
	Landlock  bool  `json:"landlock"`
	Filtered  bool  `json:"filtered"`
	// Report is what the program runs under, as the parent knows it; the
	// process that enforces adds unveil's report of each layer, then
	// shows it (Show) and warns or refuses (Strict) as the command line
	// asks. Nil in learn mode.
	Report *report.Report `json:"report,omitempty"`
	Show   outputOpts     `json:"show"`
	// Moot: items of unveil's report that the seccomp filter settles,
	// by What, with the reason (the layer does not know the promises).
	Moot map[string]string `json:"moot,omitempty"`
	// Closes: the holes of unveil's layers that the filter closes
	// (promfacts.RefusesMPTCP: Landlock's TCP port rules do not see
	// MPTCP sockets), as package pledge closes them.
	Closes    []reportlink.Hole `json:"closes,omitempty"`
	inherited []int             // descriptors above 2 unveil inherited (-N passes them on)
	set       promises.Set
	prog      *elfdeps.Program
	rep       *report.Report
	loader    map[string]bool // files the loader and kernel need (resolved)
	chain     map[string]bool // files the kernel may execute without the exec promise
	// execNext: the files of the #! chain that a later execve runs (after
	// a #!/usr/bin/env line, env executes the interpreter), resolved, in
	// order. Without the exec promise the supervisor lets each run once,
	// in this order, and refuses every other execve.
	execNext  []string
	paths     *pathres.Cache // resolves the paths of the plan (planning only)
	elfInterp bool           // the kernel loads an ELF interpreter (PT_INTERP) for the program
	veil      *llLayer       // the user's veil (nil if none)
	readLayer *llLayer       // the no-rpath read restriction (nil if none)
	libcData  []string       // data files the C library reads by itself (locales, gconv)
	unixEmu   bool           // supervised: AF_UNIX stream sockets are emulated (unixsock_linux.go)
	kill      bool
	trace     bool
	quiet     bool
	// forPid compiles Filter for the pid of the process that applies the
	// plan (the filter's "self": stdio signals itself); spawnStage calls
	// it once the stage exists.
	forPid func(pid int) error
}

// outputOpts say what the enforcing process prints before it executes
// the program.
type outputOpts struct {
	Report bool `json:"report"` // --report
	JSON   bool `json:"json"`   // --report --json
	Strict bool `json:"strict"` // --strict: refuse to run when degraded
	Quiet  bool `json:"quiet"`  // -q: no warning
}

// Linux constants used in rules.
const (
	protRead     = 0x1
	protWrite    = 0x2
	protExec     = 0x4
	mapAnonymous = 0x20
	sysSendmsg   = "sendmsg"
)

// rulesFor returns the rules the filter for set has on arch, without the
// syscalls named in drop (engine.Rules).
func rulesFor(set promises.Set, arch string, drop ...string) []promises.Rule {
	return engine.Rules(set, arch, drop...)
}

// strippedEnv are the variables the program never gets, inherited or
// set with --env: LD_PRELOAD and LD_AUDIT make the dynamic loader load
// libraries into the program that its ELF file does not name (the veil
// would not have them, or would, and they would run inside the sandbox
// with the program's rights); _PLEDGE is how Cosmopolitan's pledge.com
// talks to its own preloaded library; stageEnv and sideEnv are unveil's own. (pledge.com
// removes LD_PRELOAD and _PLEDGE.) LD_LIBRARY_PATH is kept: the veil is
// computed with it, so the libraries it selects are the ones unveiled.
var strippedEnv = []string{"LD_PRELOAD", "LD_AUDIT", "_PLEDGE", stageEnv, sideEnv}

func envStripped(kv string) bool {
	name, _, _ := strings.Cut(kv, "=")
	for _, s := range strippedEnv {
		if name == s {
			return true
		}
	}
	return false
}

// targetEnv builds the program's environment.
func targetEnv(c *config) []string {
	var env []string
	if !c.clearEnv {
		for _, kv := range os.Environ() {
			if !envStripped(kv) {
				env = append(env, kv)
			}
		}
	}
	set := func(name, val string) {
		for i, kv := range env {
			if strings.HasPrefix(kv, name+"=") {
				env[i] = name + "=" + val
				return
			}
		}
		env = append(env, name+"="+val)
	}
	for _, e := range c.env {
		if envStripped(e) {
			continue
		}
		if name, val, ok := strings.Cut(e, "="); ok {
			set(name, val)
		} else if v, ok := os.LookupEnv(e); ok {
			set(e, v)
		}
	}
	return env
}

func envGet(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// resolveProgram finds argv[0] as execvp would, and reads what it needs.
// Its look-ups of paths go through pc and stay there for the plan.
func resolveProgram(pc *pathres.Cache, name string, env []string, execOnly bool) (string, *elfdeps.Program, error) {
	pathEnv, ok := envGet(env, "PATH")
	if !ok {
		pathEnv = elfdeps.DefaultPath
	}
	full := elfdeps.LookPath(name, pathEnv)
	if full == "" {
		if strings.Contains(name, "/") {
			return "", nil, fail(exitNotFound, "%s: no such file", name)
		}
		return "", nil, fail(exitNotFound, "%s: command not found on PATH (%s)", name, pathEnv)
	}
	full, _ = filepath.Abs(full)
	if err := unix.Access(full, unix.X_OK); err != nil {
		return "", nil, fail(exitCannotExec, "%s: cannot execute: %v", full, err)
	}
	ld, _ := envGet(env, "LD_LIBRARY_PATH")
	p, err := elfdeps.Resolve(full, elfdeps.Options{LibraryPath: ld, PathEnv: pathEnv, ExecOnly: execOnly, Paths: pc})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil, fail(exitNotFound, "%s: %v", full, err)
		}
		return "", nil, fail(exitCannotExec, "%s: cannot execute: %v", full, err)
	}
	return full, p, nil
}

// laterExecs returns the files of chain that are executed by an execve
// of their own, resolved: the kernel runs a script's #! interpreters
// within the first execve, up to the first file that is not a script;
// what follows it in the chain (the interpreter a #!/usr/bin/env line
// names) is executed by that file.
func laterExecs(pc *pathres.Cache, chain []string) []string {
	if len(chain) < 2 {
		return nil // nothing follows the program (no need to read it again)
	}
	for i, f := range chain {
		if !isScript(f) {
			var out []string
			for _, g := range chain[i+1:] {
				if rp, err := pc.Clean(g); err == nil {
					out = append(out, rp)
				}
			}
			return out
		}
	}
	return nil
}

// isScript reports whether path starts with "#!". It reads with plain
// system calls: an os.File would start the runtime's network poller
// (epoll, an eventfd) for one read of two bytes.
func isScript(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var b [2]byte
	n, _ := unix.Pread(fd, b[:], 0)
	return n == 2 && string(b[:]) == "#!"
}

// parseID reads -u (group false) or -g (group true): a number, or a name
// looked up in /etc/passwd or /etc/group. For a user it also returns the
// primary group its /etc/passwd entry names (-1 if it has none). An empty
// string gives -1, -1.
func parseID(s string, group bool) (id, primary int, err error) {
	if s == "" {
		return -1, -1, nil
	}
	file, what := "/etc/passwd", "user"
	if group {
		file, what = "/etc/group", "group"
	}
	id = -1
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		if n == math.MaxUint32 {
			return -1, -1, fmt.Errorf("%d is not a valid %s id", n, what)
		}
		id = int(n)
	}
	b, rerr := os.ReadFile(file)
	if rerr != nil && id < 0 {
		return -1, -1, rerr
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		n, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		if (id < 0 && f[0] == s) || (id >= 0 && n == id) {
			primary = -1
			if !group && len(f) > 3 {
				if g, err := strconv.Atoi(f[3]); err == nil && g >= 0 {
					primary = g
				}
			}
			return n, primary, nil
		}
	}
	if id >= 0 {
		return id, -1, nil // a number with no entry is fine
	}
	return -1, -1, fmt.Errorf("no such %s %q in %s", what, s, file)
}

// minAddressSpace is the floor of the default -M. RLIMIT_AS counts address
// space, not memory: Go's runtime, JVMs and V8 reserve far more than they
// touch (a Go program maps ~1 GiB on amd64 before it allocates much, a JVM
// reserves its class space and heap up front), so the limit pledge.com
// uses, total RAM, makes them fail to start on a small machine.
const minAddressSpace = 4 << 30

// defaultAddressSpace is the default -M: total RAM plus swap (what the
// machine can actually back), and never below minAddressSpace.
func defaultAddressSpace() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return minAddressSpace
	}
	return max((uint64(si.Totalram)+uint64(si.Totalswap))*uint64(si.Unit), minAddressSpace)
}

func defaultProcs() uint64 {
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) != nil {
		return uint64(runtime.NumCPU()) * 100
	}
	return uint64(runtime.NumCPU()) + uint64(si.Procs)
}

// buildPlan turns the command line into a plan. It reads the program, the
// policy files and the kernel's abilities; it changes nothing.
func buildPlan(c *config, m mode) (*plan, error) {
	pr := probe.Get()
	arch := runtime.GOARCH
	rep := &report.Report{Arch: arch, Kernel: pr.Kernel, LandlockABI: pr.LandlockABI}
	p := &plan{Mode: m, UID: -1, GID: -1, SockFd: -1, rep: rep, kill: c.kill, trace: c.trace, quiet: c.quiet,
		Normalize: !c.noNormalize, Nice: c.nice, KeepCaps: c.keepCaps, paths: pathres.New()}
	if c.noNormalize {
		p.inherited = inheritedFds()
	}
	if len(c.argv) == 0 {
		return nil, fail(exitUsage, "no program given; see unveil --help")
	}

	// -v permissions: a bad one is an error, as pledge.com's unveil
	// refuses it, before anything else is looked at.
	for _, u := range c.unveils {
		if !validPerm(u.Perm) {
			return nil, fail(exitPath, "-v %s:%s: permission %q is not made of the letters rwxc (a path that contains ':' is written with its permissions first: r:PATH)", u.Perm, u.Path, u.Perm)
		}
	}

	// Policy files.
	var pol *policy.Resolved
	if len(c.policies) > 0 {
		var err error
		pol, err = policy.Load(c.policies...)
		if err != nil {
			return nil, fail(exitPolicy, "%v", err)
		}
	}

	// Promises.
	pstr := strings.Join(c.promises, " ")
	if !c.promisesSet {
		pstr = "stdio rpath"
		if pol != nil && pol.HasPromises {
			pstr = pol.Promises
		}
	} else if pol != nil && pol.HasPromises {
		pstr = strings.TrimSpace(pstr + " " + pol.Promises)
	}
	set, err := promises.Parse(pstr)
	if err != nil {
		return nil, fail(exitPromises, "%v", err)
	}
	if m == modeLearn {
		set = promises.Of(promises.Stdio)
	}
	if c.kill && set.Has(promises.Error) {
		// As the library refuses PenaltyKill with "error".
		return nil, fail(exitUsage, `-k kills the program on a denied call, but the "error" promise makes denied calls fail with ENOSYS; drop one of them`)
	}
	p.set = set

	// Environment and program.
	p.Env = targetEnv(c)
	// The libraries matter only to a layer that restricts reading: the
	// veil, the read emulation of a program without rpath, and learning.
	// Otherwise only what the kernel executes is needed (the program
	// chain and the ELF interpreter).
	veiled := !c.noUnveil
	execOnly := m != modeLearn && set.Has(promises.Rpath) && !veiled
	full, prog, err := resolveProgram(p.paths, c.argv[0], p.Env, execOnly)
	if err != nil {
		return nil, err
	}
	p.Program, p.prog = full, prog
	p.Argv = append([]string(nil), c.argv...)
	dynamic := false
	p.loader, p.chain = map[string]bool{}, map[string]bool{}
	for _, f := range prog.Files {
		p.loader[f.Path] = true
		if f.Exec {
			p.chain[f.Path] = true
		}
	}
	for _, f := range prog.Files {
		if !f.Exec || f.Why == "ELF interpreter" {
			dynamic = true
		}
		p.elfInterp = p.elfInterp || f.Exec && f.Why == "ELF interpreter"
	}
	p.execNext = laterExecs(p.paths, prog.Chain)
	if prog.Kind == elfdeps.Script {
		// The interpreter reads the script.
		p.loader[prog.Real] = true
	}
	if !execOnly {
		p.libcData = libcData(p.paths, prog)
	}
	for _, d := range p.libcData {
		p.loader[d] = true
	}
	for _, name := range prog.Missing {
		rep.Add(report.LayerLandlockFS, "library "+name, report.Dropped, "the loader will not find it; the program may fail to start")
	}

	// Identity and limits.
	var primary int
	if p.UID, primary, err = parseID(c.uid, false); err != nil {
		return nil, fail(exitUsage, "-u %s: %v", c.uid, err)
	}
	if p.GID, _, err = parseID(c.gid, true); err != nil {
		return nil, fail(exitUsage, "-g %s: %v", c.gid, err)
	}
	if p.UID >= 0 && p.GID < 0 {
		// The user's own group, never the caller's (root's group would
		// stay with the program otherwise).
		if primary < 0 {
			return nil, fail(exitUsage, "-u %s: no /etc/passwd entry names its group; add -g GID", c.uid)
		}
		p.GID = primary
	}
	if err := p.limits(c); err != nil {
		return nil, err
	}
	if m == modeLearn {
		return p, p.learnFilter(arch)
	}

	// Landlock layers.
	if err := p.layers(c, pol, pr, dynamic); err != nil {
		return nil, err
	}
	// Seccomp filter.
	if err := p.compile(c, arch, pr, dynamic); err != nil {
		return nil, err
	}
	p.unixEmu = m == modeSupervised && unixEmulated(set, arch)
	datagrams := promises.UnixDatagramsByPath.In(set, arch)
	if p.Filtered && datagrams && (pr.LandlockABI < 9 || p.veil == nil || p.veil.HandledFS&llaccess.FSResolveUnix == 0) {
		why := "" // this kernel's Landlock cannot
		if pr.LandlockABI >= 9 {
			why = "-V: no veil restricts it (a layer of port rules alone does not)"
		}
		rep.Items = append(rep.Items, promfacts.UnixDatagramsItem(pr.LandlockABI, why))
	}
	if p.Filtered {
		// The filter enforces (errno, kill, or the supervisor's refusal).
		if promfacts.RefusesMPTCP(set, arch, true) {
			p.Closes = append(p.Closes, reportlink.MPTCP)
		}
		p.Moot = map[string]string{}
		if !set.Has(promises.Unix) && !datagrams {
			p.Moot["unix sockets by path"] = "left to the filter: without the unix promise (and without inet, dns, route or sendfd) it refuses unix sockets"
		}
		if !promfacts.Truncates(set, arch) {
			p.Moot["truncate"] = fmt.Sprintf("left to the filter: the promises %q refuse truncate(2), O_TRUNC and opening files for writing", set.String())
		}
	}
	return p, nil
}

func (p *plan) limits(c *config) error {
	size := func(flag, v string, def uint64) (uint64, error) {
		if v == "" {
			return def, nil
		}
		n, err := parseSize(v)
		if err != nil {
			return 0, fail(exitUsage, "-%s: %v", flag, err)
		}
		return n, nil
	}
	mem, err := size("M", c.mem, defaultAddressSpace())
	if err != nil {
		return err
	}
	fsz, err := size("F", c.fsize, 256000000)
	if err != nil {
		return err
	}
	procs, err := size("P", c.procs, defaultProcs())
	if err != nil {
		return err
	}
	p.ProcsSet = c.procs != ""
	files, err := size("O", c.files, 64)
	if err != nil {
		return err
	}
	if c.cpu != "" {
		secs, err := size("C", c.cpu, 0)
		if err != nil {
			return err
		}
		p.Rlimits = append(p.Rlimits, rlim{Res: unix.RLIMIT_CPU, Name: "cpu", Cur: secs, Max: secs})
	}
	p.Rlimits = append(p.Rlimits,
		rlim{Res: unix.RLIMIT_AS, Name: "as", Cur: mem, Max: mem},
		rlim{Res: unix.RLIMIT_FSIZE, Name: "fsize", Cur: fsz, Max: fsz + fsz/2},
		rlim{Res: unix.RLIMIT_NPROC, Name: "nproc", Cur: procs, Max: procs})
	if files < 3 {
		return fail(exitUsage, "-O %d: a program needs at least 3 descriptors", files)
	}
	p.NoFile = &rlim{Res: unix.RLIMIT_NOFILE, Name: "nofile", Cur: files, Max: files}
	return nil
}

// layers builds the Landlock rulesets: the user's veil (when any path is
// unveiled, as on OpenBSD the first unveil hides everything else), the
// exec restriction (without the exec promise only the program chain may be
// executed) and the read restriction (a dynamic program without rpath may
// read only what its loader needs and what its promises imply).
func (p *plan) layers(c *config, pol *policy.Resolved, pr *probe.Result, dynamic bool) error {
	abi := pr.LandlockABI
	fsAll := llaccess.Mask(llaccess.FS, abi)
	rep := p.rep
	var implied []impliedPath
	for _, pm := range p.set.Promises() {
		implied = append(implied, promImplied(pm)...)
	}

	var veil *llLayer
	unavailableSaid := false // the report already says why Landlock is missing
	var userPaths []unveilArg
	for _, u := range c.unveils {
		if u.Path == "" {
			return fail(exitPath, "-v %s:%s: empty path", u.Perm, u.Path)
		}
		userPaths = append(userPaths, u)
	}
	if pol != nil {
		for _, u := range pol.Unveils {
			userPaths = append(userPaths, unveilArg{Path: u.Path, Perm: u.Perm})
		}
	}
	if !c.noUnveil {
		// The veil, as pledge.com applies it: the program, its loader
		// files, what the promises imply and the -v paths are unveiled,
		// everything else is hidden, whether or not -v is given (-V
		// turns it off). The -v letters are unveil's: the stage passes
		// them to unveil.Ruleset.Unveil; the files unveil adds by itself
		// get the rights unveil's table gives their letters (grant).
		veil = &llLayer{Name: "veil", HandledFS: fsAll}
		for _, f := range p.prog.Files {
			perm := "r"
			if f.Exec {
				perm = "rx"
			}
			veil.grant(p.paths, f.Path, perm, f.Why)
		}
		if p.prog.Kind == elfdeps.Script {
			veil.grant(p.paths, p.prog.Real, "rx", "script")
		}
		for _, d := range p.libcData {
			veil.grant(p.paths, d, "r", "C library data")
		}
		for _, ip := range implied {
			if rp, err := p.paths.Clean(ip.Path); err == nil {
				if _, err := p.paths.Stat(rp); err == nil {
					veil.grant(p.paths, rp, ip.Perm, "implied by a promise")
				}
			}
		}
		for _, u := range userPaths {
			rp, err := cleanUnveil(p.paths, u.Path)
			if err != nil {
				return fail(exitPath, "-v %s: %v", u.Path, err)
			}
			perm := u.Perm
			if strings.Contains(perm, "x") && !p.set.Has(promises.Exec) {
				// As on OpenBSD, executing needs both the x permission and
				// the exec promise.
				rep.Add(report.LayerLandlockFS, "unveil "+u.Path+" x", report.NoEffect, "x needs the exec promise")
				perm = strings.ReplaceAll(perm, "x", "")
				if perm == "" {
					continue // x alone: nothing left to unveil
				}
			}
			if _, err := p.paths.Stat(rp); err != nil {
				// Skipped, as pledge.com does.
				rep.Add(report.LayerLandlockFS, "unveil "+u.Path, report.Dropped, "path does not exist (Landlock rules need an existing file)")
				continue
			}
			// Permissions "" are unveil's to judge and report.
			veil.unveil(p.paths, rp, perm, "-v")
		}
		if pol != nil {
			veil.HandledFS |= pol.HandledFS & fsAll
			for path, acc := range pol.Paths {
				veil.addPath(path, acc, "policy")
			}
		}
	}
	// Network ports: the flags, the policy's, and "dns" without "inet"
	// pinned to port 53 as on OpenBSD (unveillink.NarrowToDNS, what unveil.Ruleset.OnlyDNS does).
	netKinds := []struct {
		bit   uint64
		flag  []uint16
		what  string
		proto string
	}{
		{llaccess.NetConnectTCP, c.tcpConnect, "tcp connect", "tcp"},
		{llaccess.NetBindTCP, c.tcpBind, "tcp bind", "tcp"},
		{llaccess.NetConnectSendUDP, c.udpConnect, "udp connect/send", "udp"},
		{llaccess.NetBindUDP, c.udpBind, "udp bind", "udp"},
	}
	var handledNet uint64
	ports := map[uint64][]uint16{}
	if pol != nil {
		handledNet = pol.HandledNet
		for port, acc := range pol.Ports {
			for _, k := range netKinds {
				if acc&k.bit != 0 {
					ports[k.bit] = append(ports[k.bit], uint16(port))
				}
			}
		}
	}
	for _, k := range netKinds {
		if len(k.flag) > 0 {
			handledNet |= k.bit
			ports[k.bit] = append(ports[k.bit], k.flag...)
		}
	}
	have := llaccess.Mask(llaccess.Net, abi)
	dnsOnly := p.set.Has(promises.DNS) && !p.set.Has(promises.Inet)
	if dnsOnly {
		for _, k := range netKinds {
			if have&k.bit != 0 {
				ports[k.bit] = unveillink.NarrowToDNS(k.bit, handledNet&k.bit != 0, ports[k.bit])
				handledNet |= k.bit
			}
		}
		const what = "dns without inet: port 53 only"
		switch {
		case have&llaccess.NetConnectTCP == 0:
			rep.Add(report.LayerPromise, what, report.Dropped, fmt.Sprintf("not pinned: Landlock ABI %d has no network rules (needs %d); TCP and UDP reach any port", abi, uv.TCP.ABI()))
		case have&llaccess.NetConnectSendUDP == 0:
			rep.Add(report.LayerPromise, what, report.Partial, fmt.Sprintf("TCP pinned as on OpenBSD; UDP reaches any port: Landlock ABI %d cannot restrict UDP (needs %d)", abi, uv.UDP.ABI()))
		default:
			rep.Add(report.LayerPromise, what, report.Enforced, "TCP connects and UDP sends to port 53 only, no TCP bind, UDP binds to a kernel-chosen port only")
		}
	}
	var enforced []string
	for _, k := range netKinds {
		if handledNet&k.bit == 0 {
			continue
		}
		if have&k.bit == 0 {
			rep.Add(report.LayerLandlockNet, k.what+" port rules", report.Dropped, fmt.Sprintf("Landlock ABI %d cannot restrict %s (needs %d)", abi, strings.ToUpper(k.proto), map[string]int{"tcp": uv.TCP.ABI(), "udp": uv.UDP.ABI()}[k.proto]))
			handledNet &^= k.bit
			continue
		}
		if veil == nil {
			veil = &llLayer{Name: "net"}
		}
		for _, port := range ports[k.bit] {
			veil.Ports = append(veil.Ports, portRule{Port: port, Access: k.bit})
		}
		enforced = append(enforced, k.what)
	}
	if veil != nil {
		veil.HandledNet = handledNet
	}
	if len(enforced) > 0 {
		rep.Add(report.LayerLandlockNet, strings.Join(enforced, ", ")+" ports", report.Enforced, "")
		if have&llaccess.NetConnectSendUDP == 0 && p.set.Has(promises.Inet) {
			rep.Add(report.LayerLandlockNet, "udp ports", report.Partial, fmt.Sprintf("Landlock ABI %d cannot restrict UDP (needs %d); inet allows any UDP peer", abi, uv.UDP.ABI()))
		}
	}
	if pol != nil && pol.Scoped != 0 {
		if veil == nil {
			veil = &llLayer{Name: "scope"}
		}
		veil.Scoped = pol.Scoped & llaccess.Mask(llaccess.Scope, abi)
		if veil.Scoped != pol.Scoped {
			rep.Add(report.LayerLandlockScope, "scopes", report.Dropped, fmt.Sprintf("Landlock ABI %d lacks some requested scopes", abi))
		}
	}
	if veil != nil && veil.Name == "veil" && !c.noScope && abi > 0 {
		// What is not unveiled must not be reachable: under a veil, the
		// program may not connect to abstract unix sockets made outside
		// it, nor signal processes outside it unless it has proc (as
		// landrun does); --no-scope turns this off.
		want := llaccess.ScopeAbstractUnixSocket
		what := "scopes abstract_unix_socket (default under a veil)"
		if !p.set.Has(promises.Proc) {
			want |= llaccess.ScopeSignal
			what = "scopes signal+abstract_unix_socket (default under a veil)"
		}
		if got := want & llaccess.Mask(llaccess.Scope, abi); got != want {
			rep.Add(report.LayerLandlockScope, what, report.Dropped, fmt.Sprintf("needs Landlock ABI 6, this kernel has %d: the program can connect to abstract unix sockets and signal processes outside the veil (as far as its promises allow); --no-scope silences this", abi))
		} else {
			veil.Scoped |= want
		}
	}
	if veil != nil {
		veil.HandledFS &= fsAll
		veil.sort()
		if abi == 0 {
			rep.Add(report.LayerLandlockFS, "unveil", report.Dropped, "Landlock is unavailable: "+errText(pr.LandlockErr))
			veil, unavailableSaid = nil, true
		} else {
			rep.Add(report.LayerLandlockFS, "unveil", report.Enforced, "")
			p.Layers = append(p.Layers, *veil)
		}
	}
	p.veil = veil

	// Promise emulation: what seccomp cannot tell apart by arguments.
	if c.noUnveil {
		if !p.set.Has(promises.Exec) {
			if p.Mode == modeSupervised {
				rep.Add(report.LayerPromise, "exec (absent)", report.Enforced, execSupervised)
			} else {
				rep.Add(report.LayerPromise, "exec (absent)", report.Partial, "-V and no supervisor (-q, --exec): the program may execute other programs under the same sandbox (execve must stay allowed for the first exec)")
			}
		}
		if dynamic && !p.set.Has(promises.Rpath) {
			rep.Add(report.LayerPromise, "rpath (absent)", report.Partial, "-V: read-only opens stay allowed for the dynamic loader")
		}
		return nil
	}
	em := llLayer{Name: "promises"}
	if !p.set.Has(promises.Exec) {
		em.HandledFS |= llaccess.FSExecute
		for f := range p.chain {
			em.addPath(f, llaccess.FSExecute, "program")
		}
	}
	if dynamic && !p.set.Has(promises.Rpath) {
		em.HandledFS |= llaccess.FSReadFile | llaccess.FSReadDir
		for f := range p.loader {
			em.addPath(f, llaccess.FSReadFile|llaccess.FSReadDir, "loader")
		}
		for _, ip := range implied {
			if strings.Contains(ip.Perm, "r") {
				if rp, err := p.paths.Clean(ip.Path); err == nil {
					em.addPath(rp, llaccess.FSReadFile|llaccess.FSReadDir, "implied by a promise")
				}
			}
		}
	}
	em.HandledFS &= fsAll
	if em.HandledFS != 0 || (abi == 0 && (!p.set.Has(promises.Exec) || (dynamic && !p.set.Has(promises.Rpath)))) {
		if abi == 0 {
			// The cause is said once, on the veil's item (or here when
			// there is no veil): the one-line warning joins every item.
			why := "without Landlock"
			if !unavailableSaid {
				why = "Landlock is unavailable: " + errText(pr.LandlockErr)
			}
			rep.Add(report.LayerPromise, "exec/rpath emulation", report.Dropped, why+": the program may execute other programs and, if dynamic, open any file read-only")
		} else {
			em.sort()
			// A layer the veil already covers restricts nothing more (the
			// kernel intersects layers): it is left out, one ruleset less
			// to build and commit at every launch.
			kept := !p.veil.covers(&em)
			if kept {
				p.Layers = append(p.Layers, em)
			}
			if em.HandledFS&llaccess.FSExecute != 0 {
				switch {
				case p.Mode == modeSupervised:
					rep.Add(report.LayerPromise, "exec (absent)", report.Enforced, "Landlock: only the program and its interpreters can be executed; "+execSupervised)
				case p.elfInterp:
					rep.Add(report.LayerPromise, "exec (absent)", report.Partial, "no supervisor (-q, --exec): the program can run any program it can read through its ELF interpreter (execve of the interpreter with that program as argument), because Landlock must let the kernel execute the interpreter; run without -q so the supervisor refuses the execve")
				default:
					rep.Add(report.LayerPromise, "exec (absent)", report.Enforced, "Landlock: only the program and its interpreters can be executed")
				}
			}
			if em.HandledFS&llaccess.FSReadFile != 0 {
				rep.Add(report.LayerPromise, "rpath (absent)", report.Enforced, "Landlock: only the loader's files and the paths the promises imply can be read")
			}
			if em.HandledFS&llaccess.FSReadFile != 0 {
				// Only a layer that restricts reading answers the
				// supervisor's question "may the loader read this?"; the
				// exec-only layer of a static program allows every read
				// (it does not handle reading), and taking it for the
				// read restriction let a static program without rpath
				// open any file read-only in supervised mode.
				p.readLayer = p.veil // allows the same reads as the veil and em together
				if kept {
					p.readLayer = &p.Layers[len(p.Layers)-1]
				}
			}
		}
	}
	if (p.veil != nil && p.veil.HandledFS != 0) || p.readLayer != nil {
		// The files the program's ELF metadata made readable: the veil
		// and the read restriction allow them whatever was unveiled.
		for _, f := range p.prog.Files {
			rep.Add(report.LayerLandlockFS, "loader file "+elfdeps.Printable(f.Path), report.Enforced, "readable for the program's loader: "+f.Why)
		}
	}
	p.Landlock = len(p.Layers) > 0
	return nil
}

// execSupervised is the report's reason for exec (absent) under the
// supervisor.
const execSupervised = "the supervisor refuses every execve after the program's own (and its #! chain's)"

// libcData lists the data the C library reads on its own behalf (setlocale,
// iconv), resolved: a program's own promises never mention them.
func libcData(pc *pathres.Cache, prog *elfdeps.Program) []string {
	if prog.Libc != elfdeps.Glibc {
		return nil
	}
	cands := []string{"/usr/lib/locale", "/usr/share/locale", "/etc/locale.alias", "/usr/share/i18n/locales"}
	for _, f := range prog.Files {
		if strings.HasPrefix(filepath.Base(f.Path), "libc.so") {
			cands = append(cands, filepath.Join(filepath.Dir(f.Path), "gconv"))
		}
	}
	var out []string
	for _, c := range cands {
		if rp, err := pc.Clean(c); err == nil {
			if _, err := pc.Stat(rp); err == nil {
				out = append(out, rp)
			}
		}
	}
	return out
}

func errText(err error) string {
	if err == nil {
		return "unknown reason"
	}
	return err.Error()
}

// compile builds the seccomp filter for the program.
func (p *plan) compile(c *config, arch string, pr *probe.Result, dynamic bool) error {
	if !pr.Seccomp {
		p.rep.Add(report.LayerSeccomp, "promises "+p.set.String(), report.Dropped, "seccomp is unavailable: "+errText(pr.SeccompErr))
		return nil
	}
	spec, sockFd := p.filterSpec(c, arch, dynamic)
	p.SockFd = sockFd
	p.forPid = func(pid int) error {
		spec.Pid = pid
		prog, err := engine.Compile(spec)
		if err != nil {
			return fail(exitSandbox, "compiling the seccomp filter: %v", err)
		}
		p.setFilter(prog)
		return nil
	}
	// Direct mode applies the plan in this process; spawnStage compiles
	// again for the stage's pid.
	if err := p.forPid(os.Getpid()); err != nil {
		return err
	}
	p.rep.Add(report.LayerSeccomp, "promises "+p.set.String(), report.Enforced, "")
	if promises.StatByPath.In(p.set, arch) {
		p.rep.Add(report.LayerPromise, "stat without rpath", report.Partial, promises.StatByPath.Reason())
	}
	return nil
}

// filterSpec is the filter of the plan, for a program that is dynamically
// linked or not, with the descriptor the listener is handed over on
// (supervised), or -1; forPid sets the pid. It reads only the command
// line and the plan's promises, mode and limits. (Compiling it on a second thread while the
// program is looked at was tried twice: no gain on a loaded two-processor
// machine, where the hand-off costs what the overlap saves.)
func (p *plan) filterSpec(c *config, arch string, dynamic bool) (engine.FilterSpec, int) {
	var extra []promises.Rule
	var drop []string
	sockFd := -1
	if p.Mode == modeSupervised {
		// execve always reaches the supervisor: the first one is unveil's
		// own, later ones are judged (and Landlock-limited).
		drop = []string{"execve", "execveat"}
		if p.trace {
			// Path calls reach the supervisor too, so it can name a missing
			// unveil; it lets through what the promises allow, and the
			// kernel (Landlock) decides.
			drop = append(drop, traceDrop...)
		}
	} else {
		if !p.set.Has(promises.Exec) {
			// The first execve is unveil's own. Landlock (the promises
			// layer) limits what can be executed afterwards.
			extra = append(extra, promises.Rule{Syscall: "execve"})
		}
	}
	if dynamic && !p.set.Has(promises.ProtExec) {
		// The loader maps libraries executable from files; anonymous
		// executable memory (W^X) stays forbidden.
		extra = append(extra, promises.Rule{Syscall: "mmap", Args: []promises.Cond{
			c32(2, ^uint64(protRead|protExec), 0), c32(3, mapAnonymous, 0)}})
	}
	if dynamic && !p.set.Has(promises.Rpath) && p.Mode == modeDirect {
		// The loader opens its files read-only; Landlock (the promises
		// layer) limits which.
		ro := []promises.Cond{c32(2, oAccmode|oCreat|oTrunc|oTmpfile, 0)}
		extra = append(extra, promises.Rule{Syscall: "openat", Args: ro},
			promises.Rule{Syscall: "open", Args: []promises.Cond{c32(1, oAccmode|oCreat|oTrunc|oTmpfile, 0)}})
		// glibc's loader asks access("/etc/ld.so.preload") at every
		// start: the call fails with EPERM, as the supervisor answers it,
		// instead of -k killing every dynamic program before main. Only
		// rpath allows the access family, so no allowed call turns into
		// an error; EPERM tells nothing about the file.
		for _, name := range []string{"access", "faccessat", "faccessat2"} {
			extra = append(extra, promises.Rule{Syscall: name, Action: promises.Errno, Errno: uint16(unix.EPERM)})
		}
	}
	deny := engine.DenyEPERM
	switch {
	case p.Mode == modeSupervised:
		deny = engine.DenyNotify
		// The stage hands the listener over this descriptor; it is above
		// the descriptor limit the program gets, so the program can never
		// hold a descriptor with this number.
		sockFd = p.listenerFd()
		extra = append(extra, promises.Rule{Syscall: sysSendmsg, Args: []promises.Cond{c32(0, 0, uint64(sockFd))}})
	case c.kill:
		deny = engine.DenyKill
	case p.set.Has(promises.Error):
		deny = engine.DenyENOSYS
	}
	return engine.FilterSpec{Arch: arch, Promises: p.set, Drop: drop, Deny: deny, Extra: extra}, sockFd
}

// denyErrno is the errno of a call the promises refuse: ENOSYS under the
// "error" promise (as on OpenBSD, and the library's PenaltyENOSYS), EPERM
// otherwise.
func (p *plan) denyErrno() unix.Errno {
	if p.set.Has(promises.Error) {
		return unix.ENOSYS
	}
	return unix.EPERM
}

// listenerFd is the descriptor the stage hands the seccomp listener over
// on, the one descriptor the filter lets sendmsg use: above the
// descriptor limit the program gets (it can never open or dup a
// descriptor with this number) and above every descriptor it inherits
// under -N (which it holds at their own numbers, possibly above the
// limit). The descriptor is closed at exec.
func (p *plan) listenerFd() int {
	fd := int(p.NoFile.Max)
	for _, i := range p.inherited {
		fd = max(fd, i)
	}
	return fd + 1
}

// learnFilter: stdio passes, everything else is shown to the supervisor.
func (p *plan) learnFilter(arch string) error {
	extra := []promises.Rule{{Syscall: "mmap", Args: []promises.Cond{
		c32(2, ^uint64(protRead|protExec), 0), c32(3, mapAnonymous, 0)}}}
	p.SockFd = p.listenerFd()
	extra = append(extra, promises.Rule{Syscall: sysSendmsg, Args: []promises.Cond{c32(0, 0, uint64(p.SockFd))}})
	p.forPid = func(pid int) error {
		prog, err := engine.Compile(engine.FilterSpec{Arch: arch, Promises: promises.Of(promises.Stdio), Drop: []string{"execve", "execveat"}, Deny: engine.DenyNotify, Extra: extra, Pid: pid})
		if err != nil {
			return fail(exitSandbox, "compiling the learning filter: %v", err)
		}
		p.setFilter(prog)
		return nil
	}
	return p.forPid(os.Getpid())
}

// setFilter makes prog the plan's filter.
func (p *plan) setFilter(prog *engine.Program) {
	p.Filter = slices.Grow(p.Filter[:0], len(prog.Raw))
	for _, r := range prog.Raw {
		p.Filter = append(p.Filter, rawInsn{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K})
	}
	p.Filtered = true
}

// traceDrop are the path calls --trace shows to the supervisor.
var traceDrop = []string{"open", "openat", "creat", "mkdir", "mkdirat", "unlink", "unlinkat", "rmdir", "rename",
	"renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "truncate", "mknod", "mknodat"}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
