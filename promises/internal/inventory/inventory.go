// Package inventory measures which system calls a Go program really makes
// and checks them against the promise table. Its test builds the workload
// program (./workload) with CGO_ENABLED=0 and =1, runs it under
// strace -f -e raw=all, and asks promises.Decide about every call made
// after the workload's pledge-point marker, including those of the
// programs it exec's (seccomp filters survive execve). See README.md.
package inventory

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/pledgekit/pledgekit/promises"
)

// Call is one system call from a trace.
type Call struct {
	Line int
	PID  int
	Name string
	Args [6]uint64
	NArg int
}

func (c Call) String() string {
	parts := make([]string, c.NArg)
	for i := range parts {
		parts[i] = fmt.Sprintf("%#x", c.Args[i])
	}
	return fmt.Sprintf("%s(%s)", c.Name, strings.Join(parts, ", "))
}

// Marker is the pledge-point call the workload makes: getpriority(0x7a11, 0x1ed9e).
func isMarker(c Call) bool {
	return c.Name == "getpriority" && c.NArg >= 2 && c.Args[0] == 0x7a11 && c.Args[1] == 0x1ed9e
}

// Parse reads an `strace -f -qq -e raw=all` trace. Resumed halves, signal
// and exit lines are skipped (an interrupted call's arguments are on its
// "<unfinished ...>" line).
func Parse(r io.Reader) ([]Call, error) {
	var calls []Call
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		pidStr, rest, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("line %d: no pid: %q", n, line)
		}
		pid, err := strconv.Atoi(pidStr)
		if err != nil {
			return nil, fmt.Errorf("line %d: bad pid: %q", n, line)
		}
		rest = strings.TrimLeft(rest, " ")
		if strings.HasPrefix(rest, "<...") || strings.HasPrefix(rest, "---") || strings.HasPrefix(rest, "+++") {
			continue
		}
		open := strings.IndexByte(rest, '(')
		if open <= 0 {
			return nil, fmt.Errorf("line %d: no call: %q", n, line)
		}
		c := Call{Line: n, PID: pid, Name: rest[:open]}
		argText := rest[open+1:]
		if end := strings.IndexByte(argText, ')'); end >= 0 {
			argText = argText[:end]
		} else {
			argText = strings.TrimSuffix(strings.TrimSpace(argText), "<unfinished ...>")
		}
		argText = strings.TrimSpace(argText)
		if argText != "" {
			for i, a := range strings.Split(argText, ",") {
				if i >= len(c.Args) {
					break
				}
				v, err := strconv.ParseUint(strings.TrimSpace(a), 0, 64)
				if err != nil {
					return nil, fmt.Errorf("line %d: argument %d of %s not numeric (use -e raw=all): %q", n, i, c.Name, line)
				}
				c.Args[i] = v
				c.NArg = i + 1
			}
		}
		calls = append(calls, c)
	}
	return calls, sc.Err()
}

// Result is the outcome of checking one trace.
type Result struct {
	Marked   bool              // whether the pledge-point marker was found
	Checked  int               // calls after the marker
	Denied   []Call            // calls Decide denies
	ByName   map[string]int    // calls after the marker, by name
	Deciders map[string]string // name -> promises allowing one of its calls
	Errnos   map[string]uint16 // name -> errno an Errno rule answered
}

// Check decides every call after the marker under set s on arch.
func Check(calls []Call, s promises.Set, arch string) Result {
	res := Result{ByName: map[string]int{}, Deciders: map[string]string{}, Errnos: map[string]uint16{}}
	for _, c := range calls {
		if !res.Marked {
			res.Marked = isMarker(c)
			continue
		}
		res.Checked++
		res.ByName[c.Name]++
		r, ok := promises.Decide(s, arch, c.Name, c.Args)
		if !ok {
			res.Denied = append(res.Denied, c)
			continue
		}
		if r.Action == promises.Errno {
			res.Errnos[c.Name] = r.Errno
			continue
		}
		var names []string
		for _, p := range promises.Allowing(arch, c.Name, c.Args) {
			if s.Has(p) {
				names = append(names, p.String())
			}
		}
		if len(names) == 0 {
			names = []string{"(baseline)"}
		}
		who := strings.Join(names, "+")
		if old := res.Deciders[c.Name]; old == "" {
			res.Deciders[c.Name] = who
		} else if !slices.Contains(strings.Split(old, " | "), who) {
			res.Deciders[c.Name] = old + " | " + who
		}
	}
	return res
}

// Table formats the per-syscall inventory.
func (r Result) Table() string {
	names := make([]string, 0, len(r.ByName))
	for n := range r.ByName {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		how := r.Deciders[n]
		if e, ok := r.Errnos[n]; ok {
			how = fmt.Sprintf("errno %d", e)
		}
		fmt.Fprintf(&b, "%-22s %6d  %s\n", n, r.ByName[n], how)
	}
	return b.String()
}
