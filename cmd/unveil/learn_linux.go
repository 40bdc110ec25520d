package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/safeprint"
	"github.com/pledgekit/pledgekit/internal/supervise"
	"github.com/pledgekit/pledgekit/promises"
)

// learn runs the program with every call allowed but observed (seccomp user
// notification, answered "continue": learning is not a security boundary)
// and prints the promises, unveils and ports that let the same run pass.
// The program's standard output goes to unveil's standard error, so that
// standard output holds only the suggestion.
func learn(c *config, stdout, stderr io.Writer) error {
	if len(c.argv) == 0 {
		return fail(exitUsage, "learn needs a program; see unveil --help")
	}
	p, err := buildPlan(c, modeLearn)
	if err != nil {
		return err
	}
	l := &learner{p: p, creds: newCredStat(p), arch: runtime.GOARCH, seen: map[string]bool{}, reads: map[string]bool{}, writes: map[string]bool{},
		creates: map[string]bool{}, execs: map[string]bool{}, connect: map[int]bool{}, bind: map[int]bool{},
		probed: map[string]bool{}, sockets: map[string]bool{}, recreate: map[string]bool{}}
	saved := os.Stdout
	os.Stdout = os.Stderr
	ws, err := spawnStage(p, l)
	os.Stdout = saved
	if err != nil {
		return fail(exitInternal, "%v", err)
	}
	set, unallowed := l.promises()
	v := l.unveils(set)
	var connect, bind []int
	for port := range l.connect {
		connect = append(connect, port)
	}
	for port := range l.bind {
		bind = append(bind, port)
	}
	sort.Ints(connect)
	sort.Ints(bind)
	for _, u := range unallowed {
		fmt.Fprintf(stderr, "unveil learn: no promise allows %s; the run will fail there\n", safeprint.String(u))
	}
	for _, f := range sortedKeys(l.recreate) {
		if !l.creates[parentDir(f)] {
			fmt.Fprintf(stderr, "unveil learn: %s existed and was opened to be created if missing: "+
				"w on it works while it exists; to let the program create it, unveil %s with rwc\n", safeprint.String(f), safeprint.String(parentDir(f)))
		}
	}
	if len(l.probed) > 0 && !set.Has(promises.Unix) {
		fmt.Fprintf(stderr, "unveil learn: no unix: the program only looked for sockets that do not exist (%s); "+
			"unveil answers that as the kernel does (under -q the socket call fails instead)\n", safeprint.String(strings.Join(sortedKeys(l.probed), ", ")))
	}
	if l.overflow {
		fmt.Fprintf(stderr, "unveil learn: the program touched more than %d paths; only the first are in the suggestion\n", maxLearnedPaths)
	}
	if ws.Signaled() || ws.ExitStatus() != 0 {
		fmt.Fprintf(stderr, "unveil learn: the program did not succeed (%v); the suggestion covers only what it did\n", waitText(ws))
	}
	if c.learnFormat == "policy" {
		fmt.Fprintf(stdout, "# unveil policy learned from: %s\n# use: unveil --policy FILE -- %s\n", shellJoin(c.argv), shellJoin(c.argv))
		fmt.Fprintf(stdout, "promises = %q\n", set.String())
		for _, u := range v {
			fmt.Fprintf(stdout, "\n[[unveil]]\npath = %q\nperm = %q\n", u.Path, u.Perm)
		}
		if len(connect)+len(bind) > 0 {
			fmt.Fprintf(stdout, "\n[net]\n")
			if len(connect) > 0 {
				fmt.Fprintf(stdout, "connect_tcp = %s\n", intList(connect))
			}
			if len(bind) > 0 {
				fmt.Fprintf(stdout, "bind_tcp = %s\n", intList(bind))
			}
		}
		return nil
	}
	args := []string{"unveil", "-p", set.String()}
	for _, u := range v {
		args = append(args, "-v", u.Perm+":"+u.Path)
	}
	for _, port := range connect {
		args = append(args, "--tcp-connect", strconv.Itoa(port))
	}
	for _, port := range bind {
		args = append(args, "--tcp-bind", strconv.Itoa(port))
	}
	args = append(args, "--")
	fmt.Fprintln(stdout, shellJoin(args)+" "+shellJoin(c.argv))
	return nil
}

func waitText(ws interface {
	Signaled() bool
	ExitStatus() int
}) string {
	if ws.Signaled() {
		return "killed by a signal"
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}

func intList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// shellQuote quotes s for a POSIX shell. A string with characters that
// are not printable ASCII (the program chose the paths; they may hold
// terminal escape sequences) is written in bash's $'...' form with those
// bytes as \xHH, so nothing raw reaches the terminal.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	if safeprint.String(s) != s {
		var b strings.Builder
		b.WriteString("$'")
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c > 0x7e || c == '\'' || c == '\\' {
				fmt.Fprintf(&b, "\\x%02x", c)
			} else {
				b.WriteByte(c)
			}
		}
		return b.String() + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func shellJoin(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

type learnedCall struct {
	name string
	args [6]uint64
	text string
}

type learner struct {
	p     *plan
	creds *credStat
	arch  string
	mu    sync.Mutex
	seen  map[string]bool
	// calls need a promise; emulated are calls the supervisor answers
	// itself where the promises allow no connect, bind, listen or accept
	// (an AF_UNIX stream socket, a connect to a missing socket file: see
	// unixsock_linux.go). They need their promise only if the rest does
	// not leave that emulation on.
	calls, emulated               []learnedCall
	probed                        map[string]bool // missing socket files connected to
	recreate                      map[string]bool // existing regular files opened with O_CREAT
	reads, writes, creates, execs map[string]bool
	sockets                       map[string]bool // existing socket files connected to
	connect, bind                 map[int]bool
	// paths counts the paths recorded in the maps above; past
	// maxLearnedPaths the program's further paths are not recorded
	// (this process runs unconfined) and overflow says so.
	paths    int
	overflow bool
}

// maxLearnedPaths bounds the paths learn remembers.
const maxLearnedPaths = 1 << 16

// mark records path in m, within maxLearnedPaths.
func (l *learner) mark(m map[string]bool, path string) {
	if m[path] {
		return
	}
	if l.paths >= maxLearnedPaths {
		l.overflow = true
		return
	}
	l.paths++
	m[path] = true
}

// makeRights are the Landlock rights that create or remove a name.
const makeRights = llaccess.FSMakeReg | llaccess.FSMakeDir | llaccess.FSMakeSym | llaccess.FSMakeFifo | llaccess.FSMakeSock | llaccess.FSMakeChar | llaccess.FSMakeBlock

// creating reports the calls that create their (single) path argument
// and fail with EEXIST, before any permission check, when it exists. (A
// switch: a map literal is built at package initialisation, at every
// launch.)
func creating(name string) bool {
	switch name {
	case "open", "openat", "creat", "mkdir", "mkdirat", "mknod", "mknodat", "symlink", "symlinkat":
		return true
	}
	return false
}

func (l *learner) Handle(r *supervise.Request) {
	c, name := r.Call, r.Name
	l.mu.Lock()
	defer l.mu.Unlock()
	// Look at the paths before the call runs: whether a file existed
	// decides between creating it and merely opening it.
	type pathState struct {
		path             string // absolute, symlinks resolved, /proc/PID/ of the caller as /proc/self/
		existed, regular bool
	}
	var ps []pathState
	for _, p := range c.Paths {
		rp := l.resolve(c.Pid, p)
		fi, err := os.Stat(rp)
		ps = append(ps, pathState{l.procSelf(c.Pid, rp), err == nil, err == nil && fi.Mode().IsRegular()})
	}
	var execMissing unix.Errno
	if (name == "execve" || name == "execveat") && len(ps) == 1 {
		execMissing = l.creds.unreachable(c.Paths[0])
	}
	probe := l.creds.missingUnixPath(c)
	_ = r.Continue()

	readOnly := (name == "openat" && c.Args[2]&(oAccmode|oCreat|oTrunc|oTmpfile) == 0) ||
		(name == "open" && c.Args[1]&(oAccmode|oCreat|oTrunc|oTmpfile) == 0)
	skip, emulated := false, false
	switch {
	case (name == "open" || name == "openat") && len(ps) == 1:
		// The loader's own files and /dev/null need no promise.
		skip = (readOnly && l.p.loader[ps[0].path]) || ps[0].path == "/dev/null"
	case (name == "access" || name == "faccessat" || name == "faccessat2") && len(c.Paths) == 1:
		skip = loaderProbes[c.Paths[0]]
	case (name == "execve" || name == "execveat") && len(ps) == 1:
		// The program's own chain (a #!/usr/bin/env script's
		// interpreter) needs no exec promise, and a file that does not
		// exist only fails: the supervisor allows the one and answers
		// the other as the kernel would.
		skip = l.p.chain[ps[0].path] || execMissing != 0
	case isUnixStreamSocket(name, c.Args):
		emulated = true
	case probe:
		emulated = true
		l.mark(l.probed, c.UnixPath)
	}
	key := fmt.Sprint(name, c.Args)
	if !skip && !l.seen[key] && len(l.calls)+len(l.emulated) < 100000 {
		l.seen[key] = true
		lc := learnedCall{name: name, args: c.Args, text: c.Text}
		if emulated {
			l.emulated = append(l.emulated, lc)
		} else {
			l.calls = append(l.calls, lc)
		}
	}
	need := needRights(name, c.Args)
	for _, st := range ps {
		need := need
		if creating(name) && st.existed {
			// Nothing is created (the call opens the file, or fails
			// with EEXIST before any permission check).
			if need&llaccess.FSMakeReg != 0 && st.regular {
				l.mark(l.recreate, st.path)
			}
			need &^= makeRights
		}
		switch {
		case name == "execve" || name == "execveat":
			if st.existed && !l.p.chain[st.path] {
				l.mark(l.execs, st.path)
			}
		case need&(makeRights|llaccess.FSRemoveFile|llaccess.FSRemoveDir) != 0:
			l.mark(l.creates, parentDir(st.path))
		case need&(llaccess.FSWriteFile|llaccess.FSTruncate) != 0 && st.existed:
			l.mark(l.writes, st.path)
		case need&llaccess.FSReadFile != 0 && st.existed:
			l.mark(l.reads, st.path)
		}
	}
	if c.Family == unix.AF_UNIX && c.UnixPath != "" && !probe && (name == "connect" || name == "sendto") {
		if rp := l.resolve(c.Pid, c.UnixPath); rp != "" {
			l.mark(l.sockets, rp)
		}
	}
	if c.Port >= 0 && (c.Family == 2 || c.Family == 10) {
		switch name {
		case "connect":
			l.connect[c.Port] = true
		case "bind":
			if c.Port != 0 {
				l.bind[c.Port] = true
			}
		}
	}
}

// resolve makes a path of process pid absolute and resolves symlinks,
// reading /proc/self and /proc/thread-self as that process's (not
// unveil's).
func (l *learner) resolve(pid int, p string) string {
	for _, self := range []string{"/proc/self", "/proc/thread-self"} {
		if p == self || strings.HasPrefix(p, self+"/") {
			p = fmt.Sprintf("/proc/%d", pid) + p[len(self):]
		}
	}
	rp, _ := cleanAbs(p)
	return rp
}

// procSelf rewrites /proc/PID/ of the calling process (its thread id or
// its process id) to /proc/self/, as the program would name it.
func (l *learner) procSelf(tid int, p string) string {
	if !strings.HasPrefix(p, "/proc/") {
		return p
	}
	ids := []int{tid}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", tid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					ids = append(ids, n)
				}
			}
		}
	}
	for _, id := range ids {
		prefix := fmt.Sprintf("/proc/%d", id)
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return "/proc/self" + p[len(prefix):]
		}
	}
	return p
}

// promises returns the smallest promise set (with stdio) that allows every
// recorded call, and the calls no promise allows. The emulated calls count
// only when that set switches their emulation off. getpw is added when
// the program read the user or group database (it grants no system call;
// it makes those files readable under a veil).
func (l *learner) promises() (promises.Set, []string) {
	best, unallowed := l.cover(l.calls)
	if len(l.emulated) > 0 && !unixEmulated(best, l.arch) {
		best, unallowed = l.cover(append(append([]learnedCall(nil), l.calls...), l.emulated...))
	}
	for _, ip := range promImplied(promises.Getpw) {
		if ip.Path != "/etc/nsswitch.conf" && l.reads[ip.Path] {
			best = best.With(promises.Getpw)
		}
	}
	return best, unallowed
}

// cover is the exact minimum: the smallest subset of the candidate
// promises (with stdio) that allows every call.
func (l *learner) cover(calls []learnedCall) (promises.Set, []string) {
	base := promises.Of(promises.Stdio)
	var todo []learnedCall
	var unallowed []string
	cands := promises.Set(0)
	for _, c := range calls {
		if ok, errno := supervise.Allows(base, l.arch, c.name, c.args); ok || errno != 0 {
			continue
		}
		alts := supervise.Needed(base, l.arch, c.name, c.args, 0)
		if len(alts) == 0 {
			unallowed = append(unallowed, c.text)
			continue
		}
		for _, a := range alts {
			cands |= a
		}
		todo = append(todo, c)
	}
	pool := cands.Promises()
	best := base | cands
	// Exact search over subsets of the candidates, smallest first.
	if len(pool) <= 16 {
		bestLen := best.Len()
		for mask := 0; mask < 1<<len(pool); mask++ {
			s := base
			for i, p := range pool {
				if mask&(1<<i) != 0 {
					s = s.With(p)
				}
			}
			if s.Len() >= bestLen {
				continue
			}
			ok := true
			for _, c := range todo {
				if a, _ := supervise.Allows(s, l.arch, c.name, c.args); !a {
					ok = false
					break
				}
			}
			if ok {
				best, bestLen = s, s.Len()
			}
		}
	}
	sort.Strings(unallowed)
	return best, unallowed
}

// unveils collapses the recorded paths into -v rules, leaving out what
// unveil grants by itself (the program, its libraries, the files the
// promises imply).
func (l *learner) unveils(set promises.Set) []unveilArg {
	auto := &llLayer{HandledFS: ^uint64(0)}
	for f := range l.p.loader {
		auto.unveil(nil, f, "rx", "")
	}
	for _, pm := range set.Promises() {
		for _, ip := range promImplied(pm) {
			if rp, err := cleanAbs(ip.Path); err == nil {
				auto.unveil(nil, rp, ip.Perm, "")
			}
		}
	}
	perms := map[string]string{}
	addPerm := func(path, perm string) {
		for _, c := range perm {
			if !strings.ContainsRune(perms[path], c) {
				perms[path] += string(c)
			}
		}
	}
	for d := range l.creates {
		addPerm(d, "rwc")
	}
	for f := range l.writes {
		if !auto.allows(f, llaccess.FSWriteFile) {
			addPerm(f, "rw")
		}
	}
	for f := range l.execs {
		if !l.p.chain[f] {
			addPerm(f, "rx")
		}
	}
	for f := range l.sockets {
		// Connecting to a socket file needs w (Landlock RESOLVE_UNIX).
		addPerm(f, "w")
	}
	var reads []string
	for f := range l.reads {
		if !auto.allows(f, llaccess.FSReadFile) {
			reads = append(reads, f)
		}
	}
	for _, d := range collapse(reads) {
		addPerm(d, "r")
	}
	// Drop rules inside a directory that already grants as much.
	var out []unveilArg
	for path, perm := range perms {
		covered := false
		for other, operm := range perms {
			if other != path && strings.HasPrefix(path, strings.TrimSuffix(other, "/")+"/") && dirPermRights(perm)&^dirPermRights(operm) == 0 {
				covered = true
			}
		}
		if !covered {
			out = append(out, unveilArg{Path: path, Perm: canonPerm(perm)})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	if len(out) == 0 {
		// Turn the veil on anyway: nothing beyond what unveil adds.
		out = append(out, unveilArg{Path: l.p.Program, Perm: "r"})
	}
	return out
}

func canonPerm(p string) string {
	var b strings.Builder
	for _, c := range "rwxc" {
		if strings.ContainsRune(p, c) {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func depth(p string) int { return strings.Count(strings.TrimSuffix(p, "/"), "/") }

// broad reports a directory too wide to grant as a whole.
func broad(d string) bool {
	if depth(d) <= 1 {
		return true
	}
	switch filepath.Dir(d) {
	case "/usr", "/home", "/var", "/usr/local":
		return depth(d) <= 2
	}
	return false
}

// collapse turns read files into directories where a directory holds three
// or more of them, then merges sibling directories into their parent, never
// into a directory that is too broad (/, /usr, /usr/lib, /home/USER, ...).
func collapse(files []string) []string {
	set := map[string]bool{}
	for _, f := range files {
		set[f] = true
	}
	for round := 0; round < 8; round++ {
		byDir := map[string][]string{}
		for f := range set {
			byDir[filepath.Dir(f)] = append(byDir[filepath.Dir(f)], f)
		}
		changed := false
		for d, members := range byDir {
			min := 3
			if round > 0 {
				min = 2
			}
			if len(members) >= min && !broad(d) {
				for _, m := range members {
					delete(set, m)
				}
				set[d] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	// Remove entries inside another entry.
	var out []string
	for f := range set {
		inside := false
		for g := range set {
			if g != f && strings.HasPrefix(f, g+"/") {
				inside = true
			}
		}
		if !inside {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}
