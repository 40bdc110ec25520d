package filter

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

func TestCompileErrors(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want error
	}{
		{Spec{Arch: "riscv64"}, ErrArch},
		{Spec{Arch: ""}, ErrArch},
		{Spec{Arch: "amd64", Deny: RetAllow}, ErrDeny},
		{Spec{Arch: "amd64", Deny: RetErrno}, ErrDeny},
		{Spec{Arch: "amd64", Deny: RetErrno | 4096}, ErrDeny},
		{Spec{Arch: "amd64", Deny: 0x12340000}, ErrDeny},
		{Spec{Arch: "amd64", Deny: RetLog | 1}, ErrDeny},
		{Spec{Arch: "amd64", Extra: []promises.Rule{{Syscall: "read", Args: []promises.Cond{{Arg: 6, Width: promises.W32}}}}}, ErrRule},
		{Spec{Arch: "amd64", Extra: []promises.Rule{{Syscall: "read", Args: []promises.Cond{{Arg: 0}}}}}, ErrRule},
		{Spec{Arch: "amd64", Extra: []promises.Rule{{Syscall: "read", Action: promises.Errno}}}, ErrRule},
		{Spec{Arch: "amd64", Extra: []promises.Rule{{Syscall: "read", Action: promises.Errno, Errno: 5000}}}, ErrRule},
		{Spec{Arch: "amd64", Extra: []promises.Rule{{Syscall: "read", Action: 7}}}, ErrRule},
		{Spec{Arch: "amd64", Extra: []promises.Rule{{}}}, ErrRule},
		{Spec{Arch: "amd64", Extra: []promises.Rule{{Syscall: "kill", Args: []promises.Cond{{Arg: 0, Width: promises.W64, Self: true}}}}}, ErrRule},
		{Spec{Arch: "amd64", Extra: []promises.Rule{{Syscall: "kill", Args: []promises.Cond{{Arg: 0, Width: promises.W32, Value: 1, Self: true}}}}}, ErrRule},
	} {
		p, err := Compile(c.spec)
		if !errors.Is(err, c.want) {
			t.Errorf("Compile(%+v) = %v, %v; want %v", c.spec, p, err, c.want)
		}
	}
}

func TestDenyNormalization(t *testing.T) {
	for _, c := range []struct{ deny, wantDeny, wantForeign uint32 }{
		{0, RetKillProcess, RetKillProcess},
		{RetKillProcess, RetKillProcess, RetKillProcess},
		{RetErrno | EPERM, RetErrno | EPERM, RetErrno | EPERM},
		{RetErrno | ENOSYS, RetErrno | ENOSYS, RetErrno | ENOSYS},
		{RetTrap, RetTrap, RetTrap},
		{RetLog, RetLog, RetKillProcess},
		{RetUserNotif, RetUserNotif, RetKillProcess},
		{RetTrace | 3, RetTrace | 3, RetKillProcess},
	} {
		p, err := Compile(Spec{Arch: "amd64", Deny: c.deny})
		if err != nil {
			t.Fatal(err)
		}
		if p.Deny != c.wantDeny || p.Foreign != c.wantForeign {
			t.Errorf("deny %#x: got Deny %#x Foreign %#x, want %#x %#x", c.deny, p.Deny, p.Foreign, c.wantDeny, c.wantForeign)
		}
		if got := Reference(Spec{Arch: "amd64", Deny: c.deny}, Data{Nr: 1, Arch: 0x40000003}); got != c.wantForeign {
			t.Errorf("deny %#x: Reference for i386 = %#x, want %#x", c.deny, got, c.wantForeign)
		}
	}
}

// TestProgramShape checks the fixed prologue: the arch is loaded and
// compared first, a foreign arch returns at once, then the number is loaded.
func TestProgramShape(t *testing.T) {
	for _, arch := range arches {
		tab := table(t, arch)
		p := compileCached(t, arch, promises.MustParse("stdio"), RetErrno|EPERM)
		r := p.Raw
		if r[0] != ri(opLdAbsW, 0, 0, offArch) || r[1].Op != opJEQK || r[1].K != tab.AuditArch ||
			r[2] != ri(opRetK, 0, 0, p.Foreign) || r[1].Jf != 0 || r[1].Jt != 1 || r[3] != ri(opLdAbsW, 0, 0, offNr) {
			t.Errorf("%s: unexpected prologue:\n%s", arch, Disassemble(p)[:200])
		}
		for i, ins := range r {
			if ins.Op == opRetK && ins.K == RetKillThread {
				t.Errorf("%s: KILL_THREAD at %d", arch, i)
			}
		}
	}
}

func TestSkipped(t *testing.T) {
	p, err := Compile(Spec{Arch: "arm64", Extra: []promises.Rule{{Syscall: "open"}, {Syscall: "no_such_call"}, {Syscall: "open"}, {Syscall: "openat"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(p.Skipped, "open") || !slices.Contains(p.Skipped, "no_such_call") || slices.Contains(p.Skipped, "openat") {
		t.Errorf("Skipped = %v", p.Skipped)
	}
	if !slices.IsSorted(p.Skipped) || len(slices.Compact(slices.Clone(p.Skipped))) != len(p.Skipped) {
		t.Errorf("Skipped not sorted and unique: %v", p.Skipped)
	}
}

// TestLongJumps builds programs far larger than 255 instructions (many
// conditional rules on one syscall and on many syscalls), so that branches
// need trampolines, and checks they agree with Reference.
func TestLongJumps(t *testing.T) {
	var extra []promises.Rule
	// One huge body: 200 rules with two 64-bit conditions each and mixed
	// actions.
	for i := range 200 {
		r := promises.Rule{Syscall: "ioctl", Args: []promises.Cond{
			{Arg: 1, Width: promises.W64, Value: uint64(i) * 0x100000001},
			{Arg: 2, Width: promises.W32, Mask: 0xff, Value: uint64(i % 7)},
		}}
		if i%5 == 0 {
			r.Action, r.Errno = promises.Errno, uint16(1+i%30)
		}
		extra = append(extra, r)
	}
	// Many conditional syscalls, so that the tree's halves are long.
	tab := table(t, "amd64")
	for _, n := range tab.Names()[:120] {
		extra = append(extra, promises.Rule{Syscall: n, Args: []promises.Cond{{Arg: 0, Width: promises.W32, Value: 3}, {Arg: 1, Width: promises.W64, Value: 4}}})
	}
	for _, arch := range arches {
		s := Spec{Arch: arch, Promises: promises.MustParse("stdio rpath inet"), Deny: RetErrno | EPERM, Extra: extra}
		p, err := Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		checkProgram(t, p)
		tramps := 0
		for _, ins := range p.Raw {
			if ins.Op == opJA {
				tramps++
			}
		}
		if p.Stats().Len < 1000 || tramps == 0 {
			t.Fatalf("%s: %d instructions, %d ja: the test does not exercise long jumps", arch, p.Stats().Len, tramps)
		}
		vm := newVM(t, p)
		tab := table(t, arch)
		rng := newRand(3)
		for nr := uint32(0); nr <= tab.Max()+1; nr++ {
			name, _ := tab.Name(nr)
			for _, a := range vectors(specRules(s, name), rng) {
				agree(t, vm, p, s, Data{Nr: int32(nr), Arch: tab.AuditArch, Args: a})
			}
		}
		t.Logf("%s: %+v, %d ja", arch, p.Stats(), tramps)
	}
}

// TestAsmTrampolines drives the assembler directly: a jump whose two
// targets are both out of 8-bit reach, to a return (copied) and to a
// non-return (ja).
func TestAsmTrampolines(t *testing.T) {
	var a asm
	far1, far2 := a.newLabel(), a.newLabel()
	a.stmt(opLdAbsW, offNr)
	a.jump(opJEQK, 1, far1, far2)
	for range 300 {
		a.ret(RetErrno | 2)
	}
	a.bind(far1)
	a.ret(RetErrno | 3)
	for range 300 {
		a.ret(RetErrno | 4)
	}
	a.bind(far2)
	a.stmt(opLdAbsW, offArgs)
	a.ret(RetErrno | 5)
	raw, err := a.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(raw); err != nil {
		t.Fatal(err)
	}
	if raw[2] != ri(opRetK, 0, 0, RetErrno|3) || raw[3].Op != opJA {
		t.Errorf("trampolines: %v %v", raw[2], raw[3])
	}
	for nr, want := range map[int32]uint32{1: RetErrno | 3, 0: RetErrno | 5, 2: RetErrno | 5} {
		got, _, err := run(raw, Data{Nr: nr}, nil)
		if err != nil || got != want {
			t.Errorf("nr %d: %#x %v, want %#x", nr, got, err, want)
		}
	}
}

func TestDisassemble(t *testing.T) {
	p := compileCached(t, "amd64", promises.MustParse("stdio inet"), RetErrno|EPERM)
	d := Disassemble(p)
	if n := strings.Count(d, "\n"); n != len(p.Raw) {
		t.Errorf("%d lines for %d instructions", n, len(p.Raw))
	}
	for _, want := range []string{"   0: ld [4]", "AUDIT_ARCH_X86_64", "ld [0]", "; nr", "ERRNO(1 EPERM)", "ALLOW", "arg0.lo", "nr >= "} {
		if !strings.Contains(d, want) {
			t.Errorf("disassembly lacks %q:\n%s", want, d)
		}
	}
	if testing.Verbose() {
		fmt.Print(d)
	}
}

// TestArchAliases checks that kernel spellings of an architecture compile
// exactly like the Go names, arch-specific rules included.
func TestArchAliases(t *testing.T) {
	for alias, arch := range map[string]string{"x86_64": "amd64", "aarch64": "arm64"} {
		extra := []promises.Rule{{Syscall: "acct", Arch: arch}}
		a, err := Compile(Spec{Arch: alias, Promises: promises.MustParse("stdio proc"), Extra: extra})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Compile(Spec{Arch: arch, Promises: promises.MustParse("stdio proc"), Extra: extra})
		if err != nil {
			t.Fatal(err)
		}
		if a.Arch != arch || !slices.Equal(a.Raw, b.Raw) {
			t.Errorf("%s: Arch %q, program differs from %s's", alias, a.Arch, arch)
		}
		tab := table(t, arch)
		nr, _ := tab.Number("acct")
		if got := Reference(Spec{Arch: alias, Extra: extra}, Data{Nr: int32(nr), Arch: tab.AuditArch}); got != RetAllow {
			t.Errorf("%s: Reference(acct) = %s, want ALLOW", alias, ActionString(got))
		}
	}
}

// TestSelfPid: the rules about the caller's own pid (stdio's kill, tgkill
// and tkill of itself) are compiled for Spec.Pid and nothing else, on both
// arches, and agree with Reference for pids at the edges of pid_t; with
// Pid 0 (unknown) they are dropped, so only proc signals a pid.
func TestSelfPid(t *testing.T) {
	const sigterm = 15
	for _, arch := range arches {
		tab := table(t, arch)
		nr := func(name string) int32 {
			n, ok := tab.Number(name)
			if !ok {
				t.Fatalf("%s: no %s", arch, name)
			}
			return int32(n)
		}
		for _, set := range []promises.Set{promises.MustParse("stdio"), promises.MustParse("stdio proc"), 0} {
			for _, pid := range []int{0, 1, 4242, 1<<22 - 1, 1<<31 - 1} {
				s := Spec{Arch: arch, Promises: set, Deny: RetErrno | EPERM, Pid: pid}
				p, err := Compile(s)
				if err != nil {
					t.Fatal(err)
				}
				vm := newVM(t, p)
				other := uint64(pid + 1)
				for _, c := range []struct {
					sys  string
					args [6]uint64
					self bool // allowed under stdio exactly when pid is known
				}{
					{"kill", [6]uint64{uint64(pid), sigterm}, true},
					{"kill", [6]uint64{uint64(pid) | 1<<32, sigterm}, true},
					{"kill", [6]uint64{other, sigterm}, false},
					{"kill", [6]uint64{uint64(uint32(-pid)), sigterm}, false}, // its process group
					{"tgkill", [6]uint64{uint64(pid), 77, sigterm}, true},
					{"tgkill", [6]uint64{other, other, sigterm}, false},
					{"tkill", [6]uint64{uint64(pid), sigterm}, true},
					{"tkill", [6]uint64{other, sigterm}, false},
				} {
					d := Data{Nr: nr(c.sys), Arch: tab.AuditArch, Args: c.args}
					agree(t, vm, p, s, d)
					want := RetErrno | EPERM
					pgrp := c.sys == "kill" && uint32(c.args[0]) == 0 // kill(0): stdio's own process group
					if set.Has(promises.Proc) || (set.Has(promises.Stdio) && (c.self && pid > 0 || pgrp)) {
						want = RetAllow
					}
					if got, _, _ := Run(p, d); got != want {
						t.Errorf("%s %q pid %d: %s%v = %s, want %s", arch, set, pid, c.sys, c.args, ActionString(got), ActionString(want))
					}
				}
			}
		}
	}
}
