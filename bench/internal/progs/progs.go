//go:build linux

// Package progs builds the seccomp programs the benchmark compares and
// installs them.
package progs

import (
	"errors"
	"fmt"
	"runtime"

	seccomp "github.com/elastic/go-seccomp-bpf"
	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/bench/internal/bpfrun"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// Seccomp return values.
const (
	RetKillProcess = 0x80000000
	RetErrno       = 0x00050000
	RetAllow       = 0x7fff0000
	EPERM          = 1
)

// Rules returns the rules in force for the promise string on arch, in
// table order (baseline first, then each promise in pledgenames order),
// keeping those for arch whose Also is pledged and whose syscall exists.
func Rules(promiseString, arch string) ([]promises.Rule, error) {
	set, err := promises.Parse(promiseString)
	if err != nil {
		return nil, err
	}
	tab, err := syscalls.ByArch(arch)
	if err != nil {
		return nil, err
	}
	var out []promises.Rule
	add := func(rs []promises.Rule) {
		for _, r := range rs {
			if r.AppliesTo(arch) && r.AppliesWith(set) && tab.Has(r.Syscall) {
				out = append(out, r)
			}
		}
	}
	add(promises.Baseline())
	for _, p := range set.Promises() {
		add(promises.Rules(p))
	}
	return out, nil
}

// Names returns the distinct syscall names with an Allow rule, in the
// order of their first rule.
func Names(rules []promises.Rule) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rules {
		if r.Action == promises.Allow && !seen[r.Syscall] {
			seen[r.Syscall] = true
			out = append(out, r.Syscall)
		}
	}
	return out
}

// Ours is pledgekit's program for the promises, as pledge.Apply would
// install it first with PenaltyEPERM.
func Ours(promiseString string) ([]bpfrun.Insn, error) {
	sf, err := pledge.Program(promiseString, runtime.GOARCH, pledge.PenaltyEPERM)
	if err != nil {
		return nil, err
	}
	out := make([]bpfrun.Insn, len(sf))
	for i, f := range sf {
		out[i] = bpfrun.Insn{Op: f.Code, Jt: f.Jt, Jf: f.Jf, K: f.K}
	}
	return out, nil
}

// Linear is the allow-list as go-seccomp-bpf v1.6.0 compiles it: one
// Policy group with the same syscall names, unconditional, in table order,
// default action ERRNO(EPERM). It checks no arguments. Names go-seccomp-bpf
// does not know are dropped and returned.
func Linear(names []string) (prog []bpfrun.Insn, dropped []string, err error) {
	var keep []string
	for _, n := range names {
		p := seccomp.Policy{DefaultAction: seccomp.ActionErrno, Syscalls: []seccomp.SyscallGroup{{Names: []string{n}, Action: seccomp.ActionAllow}}}
		if _, err := p.Assemble(); err != nil {
			dropped = append(dropped, n)
			continue
		}
		keep = append(keep, n)
	}
	if len(keep) == 0 {
		return nil, dropped, errors.New("progs: go-seccomp-bpf knows none of the syscall names")
	}
	p := seccomp.Policy{DefaultAction: seccomp.ActionErrno, Syscalls: []seccomp.SyscallGroup{{Names: keep, Action: seccomp.ActionAllow}}}
	ins, err := p.Assemble()
	if err != nil {
		return nil, dropped, fmt.Errorf("progs: go-seccomp-bpf: %w", err)
	}
	raw, err := bpf.Assemble(ins)
	if err != nil {
		return nil, dropped, fmt.Errorf("progs: assembling go-seccomp-bpf's program: %w", err)
	}
	prog = make([]bpfrun.Insn, len(raw))
	for i, r := range raw {
		prog[i] = bpfrun.Insn{Op: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return prog, dropped, nil
}

// AuditArch is the AUDIT_ARCH_* value of this architecture.
func AuditArch() uint32 {
	t, err := syscalls.Native()
	if err != nil {
		return 0
	}
	return t.AuditArch
}

// Floor1 is the cheapest possible filter: allow everything, one
// instruction. The action cache answers every syscall.
func Floor1() []bpfrun.Insn {
	return []bpfrun.Insn{{Op: 0x06, K: RetAllow}}
}

// Floor2 is the cheapest filter that looks at an argument: check the
// architecture, load the first argument, allow. Because it loads an
// argument the action cache cannot answer any syscall, so every call runs
// it (4 instructions).
func Floor2() []bpfrun.Insn {
	return []bpfrun.Insn{
		{Op: 0x20, K: 4},                         // ld [4] arch
		{Op: 0x15, Jt: 1, Jf: 0, K: AuditArch()}, // jeq #arch
		{Op: 0x06, K: RetKillProcess},            // ret KILL_PROCESS
		{Op: 0x20, K: 16},                        // ld [16] arg0.lo
		{Op: 0x06, K: RetAllow},                  // ret ALLOW
	}
}
