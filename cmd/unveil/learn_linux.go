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

	"github.com/pledgekit/pledgekit/internal/notify"
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
	l := &learner{p: p, arch: runtime.GOARCH, seen: map[string]bool{}, reads: map[string]bool{}, writes: map[string]bool{},
		creates: map[string]bool{}, execs: map[string]bool{}, connect: map[int]bool{}, bind: map[int]bool{}}
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
		fmt.Fprintf(stderr, "unveil learn: no promise allows %s; the run will fail there\n", u)
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

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
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
	p                             *plan
	arch                          string
	mu                            sync.Mutex
	seen                          map[string]bool
	calls                         []learnedCall
	reads, writes, creates, execs map[string]bool
	connect, bind                 map[int]bool
	mainPid                       int
}

func (l *learner) handle(ln *notify.Listener, n *notify.Notif, name string) {
	c := decode(n, name)
	ln.Continue(n.ID)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mainPid == 0 {
		l.mainPid = c.pid
	}
	var paths []string
	for _, p := range c.paths {
		paths = append(paths, l.procSelf(p))
	}
	readOnly := (name == "openat" && n.Args[2]&(oAccmode|oCreat|oTrunc|oTmpfile) == 0) ||
		(name == "open" && n.Args[1]&(oAccmode|oCreat|oTrunc|oTmpfile) == 0)
	skip := false
	if (name == "open" || name == "openat") && len(paths) == 1 {
		rp, _ := cleanAbs(paths[0])
		// The loader's own files and /dev/null need no promise.
		skip = (readOnly && l.p.loader[rp]) || rp == "/dev/null"
	}
	if (name == "access" || name == "faccessat") && len(paths) == 1 && loaderProbes[paths[0]] {
		skip = true
	}
	key := fmt.Sprint(name, n.Args)
	if !skip && !l.seen[key] && len(l.calls) < 100000 {
		l.seen[key] = true
		l.calls = append(l.calls, learnedCall{name: name, args: n.Args, text: c.text})
	}
	need := needRights(name, n.Args)
	for _, p := range paths {
		rp, _ := cleanAbs(p)
		_, statErr := os.Stat(rp)
		switch {
		case name == "execve" || name == "execveat":
			if statErr == nil {
				l.execs[rp] = true
			}
		case need&(llMakeReg|llMakeDir|llRemoveFile|llRemoveDir|llMakeFifo) != 0:
			l.creates[parentDir(rp)] = true
		case need&(llWriteFile|llTruncate) != 0 && statErr == nil:
			l.writes[rp] = true
		case need&llReadFile != 0 && statErr == nil:
			l.reads[rp] = true
		}
	}
	if c.port >= 0 && (c.fam == 2 || c.fam == 10) {
		switch name {
		case "connect":
			l.connect[c.port] = true
		case "bind":
			if c.port != 0 {
				l.bind[c.port] = true
			}
		}
	}
}

// procSelf rewrites /proc/PID/ of the program to /proc/self/.
func (l *learner) procSelf(p string) string {
	prefix := fmt.Sprintf("/proc/%d/", l.mainPid)
	if strings.HasPrefix(p, prefix) {
		return "/proc/self/" + p[len(prefix):]
	}
	return p
}

// promises returns the smallest promise set (with stdio) that allows every
// recorded call, and the calls no promise allows.
func (l *learner) promises() (promises.Set, []string) {
	base := promises.Of(promises.Stdio)
	var todo []learnedCall
	var unallowed []string
	cands := promises.Set(0)
	for _, c := range l.calls {
		if ok, errno := setAllows(base, l.arch, c.name, c.args); ok || errno != 0 {
			continue
		}
		alts := allowingPromises(base, l.arch, c.name, c.args)
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
				if a, _ := setAllows(s, l.arch, c.name, c.args); !a {
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
		auto.addPath(f, permRights("rx"), "")
	}
	for _, pm := range set.Promises() {
		for _, ip := range promImplied(pm) {
			if rp, err := cleanAbs(ip.Path); err == nil {
				auto.addPath(rp, permRights(ip.Perm), "")
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
		if !auto.allows(f, permRights("w")) {
			addPerm(f, "rw")
		}
	}
	for f := range l.execs {
		if !l.p.chain[f] {
			addPerm(f, "rx")
		}
	}
	var reads []string
	for f := range l.reads {
		if !auto.allows(f, llReadFile) {
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
			if other != path && strings.HasPrefix(path, strings.TrimSuffix(other, "/")+"/") && permRights(perm)&^permRights(operm) == 0 {
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
