package promises

import "sort"

func cloneRules(rs []Rule) []Rule {
	if len(rs) == 0 {
		return nil
	}
	out := make([]Rule, len(rs))
	for i, r := range rs {
		out[i] = r
		out[i].Args = append([]Cond(nil), r.Args...)
	}
	return out
}

// Rules returns the rules p grants, in table order. Rules of one promise
// whose Also names other promises apply only when those are pledged too.
// It returns nil for promises that grant no system calls on Linux
// (Describe(p).Linux is false, or the promise works through ImpliedPaths
// or the penalty only). The slice is a copy the caller may modify.
func Rules(p Promise) []Rule {
	if p >= numPromises {
		return nil
	}
	return cloneRules(table[p])
}

// Baseline returns the rules in force under every promise set, the empty
// one included: exit, exit_group and rt_sigreturn are allowed, and clone3,
// openat2 and MPTCP sockets are answered with an errno so runtimes fall
// back to calls the table can check. The slice is a copy.
func Baseline() []Rule { return cloneRules(baseline) }

// Decide is the reference semantics of a pledge: what happens to syscall
// (by kernel name) with args on arch under promise set s. The candidate
// rules are Baseline() and the rules of each promise in s, in pledgenames
// order, keeping those that apply to arch and whose Also is within s. Among
// the candidates for syscall, the first matching Errno rule wins; failing
// that, the first matching Allow rule. ok is false when no rule matches:
// the call is denied and the caller's penalty applies.
//
// Decide does not know which syscalls exist on arch; a compiler resolves
// names with package syscalls and skips those an arch lacks. It does not
// know the caller's pid either: rules about the caller itself (Cond.Self,
// such as stdio's kill(getpid(), sig)) never match; DecideFor takes the pid.
func Decide(s Set, arch, syscall string, args [6]uint64) (r Rule, ok bool) {
	return DecideFor(s, 0, arch, syscall, args)
}

// DecideFor is Decide in the process whose pid is pid, the one the filter
// is built for: Self conditions compare with pid (0 means unknown: they
// never hold).
func DecideFor(s Set, pid int, arch, syscall string, args [6]uint64) (r Rule, ok bool) {
	var allow *Rule
	try := func(rs []Rule) (Rule, bool) {
		for i := range rs {
			c := &rs[i]
			if c.Syscall != syscall || !c.AppliesTo(arch) || !c.AppliesWith(s) || !c.MatchFor(args, pid) {
				continue
			}
			if c.Action == Errno {
				return *c, true
			}
			if allow == nil {
				allow = c
			}
		}
		return Rule{}, false
	}
	if r, ok := try(baseline); ok {
		return cloneRules([]Rule{r})[0], true
	}
	for _, p := range s.Promises() {
		if r, ok := try(table[p]); ok {
			return cloneRules([]Rule{r})[0], true
		}
	}
	if allow != nil {
		return cloneRules([]Rule{*allow})[0], true
	}
	return Rule{}, false
}

// Allowing answers the reverse question, for violation messages, docs and
// the CLI: every promise (in pledgenames order) one of whose Allow rules for
// arch matches syscall with args, ignoring the rules' Also. It is empty when
// no promise would allow the call. See Requirements for what else a rule
// with Also needs.
func Allowing(arch, syscall string, args [6]uint64) []Promise {
	var out []Promise
	for p := Promise(0); p < numPromises; p++ {
		for _, r := range table[p] {
			if r.Action == Allow && r.Syscall == syscall && r.AppliesTo(arch) && r.Match(args) {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// Requirements returns the distinct minimal promise sets that would allow
// syscall with args on arch: for each matching Allow rule, its owner plus
// its Also. A set is left out if a smaller one in the result is a subset of
// it. The order follows the owners' pledgenames order. For example an
// openat with O_CREAT|O_RDWR yields one set, "rpath wpath cpath".
func Requirements(arch, syscall string, args [6]uint64) []Set {
	var sets []Set
	for p := Promise(0); p < numPromises; p++ {
		for _, r := range table[p] {
			if r.Action == Allow && r.Syscall == syscall && r.AppliesTo(arch) && r.Match(args) {
				sets = append(sets, r.Also.With(p))
			}
		}
	}
	var out []Set
	for i, s := range sets {
		minimal := true
		for j, t := range sets {
			if i != j && t.SubsetOf(s) && (t != s || j < i) {
				minimal = false
				break
			}
		}
		if minimal {
			out = append(out, s)
		}
	}
	return out
}

// Syscalls returns the names of the syscalls p's rules mention, on any
// arch, sorted and without duplicates. Names absent on an architecture are
// included; package syscalls tells which exist where.
func Syscalls(p Promise) []string {
	if p >= numPromises {
		return nil
	}
	return syscallNames(table[p])
}

func syscallNames(rs []Rule) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rs {
		if !seen[r.Syscall] {
			seen[r.Syscall] = true
			out = append(out, r.Syscall)
		}
	}
	sort.Strings(out)
	return out
}
