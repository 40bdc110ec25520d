//go:build linux

package progs

import (
	"runtime"
	"testing"

	"github.com/pledgekit/pledgekit/bench/internal/bpfrun"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

const set = "stdio rpath wpath cpath inet dns"

// TestOursAgreesWithDecide runs pledgekit's program in the benchmark's own
// interpreter for every syscall number and the rule vectors, and checks
// each verdict against promises.Decide: the interpreter and the program
// the benchmark measures are what the library means.
func TestOursAgreesWithDecide(t *testing.T) {
	prog, err := Ours(set)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := Rules(set, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := syscalls.Native()
	if err != nil {
		t.Skip(err)
	}
	s := promises.MustParse(set)
	n := 0
	check := func(name string, args [6]uint64) {
		nr, _ := tab.Number(name)
		ret, _, err := bpfrun.Run(prog, bpfrun.Data{Nr: int32(nr), Arch: tab.AuditArch, Args: args})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := uint32(RetErrno | EPERM)
		if r, ok := promises.Decide(s, runtime.GOARCH, name, args); ok {
			want = RetAllow
			if r.Action == promises.Errno {
				want = RetErrno | uint32(r.Errno)
			}
		}
		if ret != want {
			t.Errorf("%s%v: program says %#x, Decide %#x", name, args, ret, want)
		}
		n++
	}
	for _, name := range tab.Names() {
		check(name, [6]uint64{})
	}
	for _, r := range rules {
		var a [6]uint64
		for _, c := range r.Args {
			m := c.EffectiveMask()
			a[c.Arg] = a[c.Arg]&^m | c.Value&m
		}
		check(r.Syscall, a)
	}
	if n < 300 {
		t.Errorf("only %d inputs checked", n)
	}
}

func TestLinear(t *testing.T) {
	rules, err := Rules(set, runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	names := Names(rules)
	prog, dropped, err := Linear(names)
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) > len(names)/10 {
		t.Errorf("go-seccomp-bpf dropped %d of %d names: %v", len(dropped), len(names), dropped)
	}
	tab, err := syscalls.Native()
	if err != nil {
		t.Skip(err)
	}
	// Every kept name is allowed whatever the arguments (and cached by the
	// kernel); a name not in the list walks the whole chain to ERRNO.
	drop := map[string]bool{}
	for _, d := range dropped {
		drop[d] = true
	}
	for _, name := range names {
		if drop[name] {
			continue
		}
		nr, _ := tab.Number(name)
		if !bpfrun.ConstAllow(prog, tab.AuditArch, nr) {
			t.Errorf("%s is not a constant allow in the linear chain", name)
		}
	}
	nr, _ := tab.Number("setns")
	ret, steps, err := bpfrun.Run(prog, bpfrun.Data{Nr: int32(nr), Arch: tab.AuditArch})
	if err != nil || ret != RetErrno|EPERM || steps < len(names)-len(dropped) {
		t.Errorf("setns: %#x after %d steps (%v); want ERRNO(EPERM) after the whole chain", ret, steps, err)
	}
}

func TestFloors(t *testing.T) {
	tab, err := syscalls.Native()
	if err != nil {
		t.Skip(err)
	}
	if !bpfrun.ConstAllow(Floor1(), tab.AuditArch, 0) {
		t.Error("floor 1 is not cached")
	}
	if bpfrun.ConstAllow(Floor2(), tab.AuditArch, 0) {
		t.Error("floor 2 is cached; it must run for every call")
	}
	ret, steps, err := bpfrun.Run(Floor2(), bpfrun.Data{Nr: 39, Arch: tab.AuditArch})
	if err != nil || ret != RetAllow || steps != 4 {
		t.Errorf("floor 2: %#x after %d steps (%v); want ALLOW after 4", ret, steps, err)
	}
}

// BenchmarkProgram is what pledge.Apply pays to compile its filter (most of
// its cost): pledge.Program compiles the same way.
func BenchmarkProgram(b *testing.B) {
	for _, ps := range []string{"stdio", set} {
		b.Run(ps, func(b *testing.B) {
			for b.Loop() {
				if _, err := Ours(ps); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
