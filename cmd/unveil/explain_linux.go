package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// explain prints, for each syscall (name, or number of the native or
// --arch architecture) and each architecture, the promises whose rules
// allow it and under which argument conditions.
func explain(w io.Writer, c *config) error {
	arches := syscalls.Arches()
	if c.explainArch != "" {
		if _, err := syscalls.ByArch(c.explainArch); err != nil {
			return fail(exitUsage, "--arch %s: %v", c.explainArch, err)
		}
		arches = []string{c.explainArch}
	}
	for _, word := range c.explainNames(c.argv) {
		for _, arch := range arches {
			tab, err := syscalls.ByArch(arch)
			if err != nil {
				return err
			}
			name := word
			if n, err := strconv.ParseUint(word, 0, 32); err == nil {
				s, ok := tab.Name(uint32(n))
				if !ok {
					fmt.Fprintf(w, "%s/%s: no such system call number\n", arch, word)
					continue
				}
				name = s
			}
			nr, ok := tab.Number(name)
			if !ok {
				fmt.Fprintf(w, "%s: %s does not exist on this architecture\n", arch, name)
				continue
			}
			fmt.Fprintf(w, "%s: %s (number %d)\n", arch, name, nr)
			found := false
			var all []promises.Rule
			show := func(owner string, rs []promises.Rule) {
				for _, r := range rs {
					if r.Syscall != name || !r.AppliesTo(arch) {
						continue
					}
					found = true
					all = append(all, r)
					cond := "always"
					if len(r.Args) > 0 {
						var cs []string
						for _, a := range r.Args {
							cs = append(cs, a.String())
						}
						cond = "when " + strings.Join(cs, " && ")
					}
					if r.Also != 0 {
						cond += " (together with " + r.Also.String() + ")"
					}
					verdict := "allows"
					if r.Action == promises.Errno {
						verdict = fmt.Sprintf("fails it with errno %d", r.Errno)
					}
					fmt.Fprintf(w, "  %-10s %s %s\n", owner, verdict, cond)
				}
			}
			show("(always)", promBaseline())
			for _, p := range promises.All() {
				show(p.String(), promRules(p))
			}
			if !found {
				fmt.Fprintf(w, "  no promise allows it\n")
			}
			if c.explainBPF && found {
				for i := range all {
					all[i].Also = 0
				}
				prog, err := engine.Compile(engine.FilterSpec{Arch: arch, Deny: engine.DenyEPERM, Extra: all})
				if err != nil {
					return err
				}
				fmt.Fprintln(w, engine.Disassemble(prog))
			}
		}
	}
	return nil
}
