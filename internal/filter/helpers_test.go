package filter

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

var arches = []string{"amd64", "arm64"}

// Audit arch values of calls that must never reach the allow-list.
var foreignArches = []uint32{
	0x40000003, // AUDIT_ARCH_I386 (int 0x80 on amd64)
	0x40000028, // AUDIT_ARCH_ARM (compat on arm64)
	0xc000003e, // AUDIT_ARCH_X86_64
	0xc00000b7, // AUDIT_ARCH_AARCH64
	0x00000000,
	0xffffffff,
	0x4000003e, // x86_64 without __AUDIT_ARCH_64BIT
}

func table(t testing.TB, arch string) *syscalls.Table {
	t.Helper()
	tab, err := syscalls.ByArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// realisticSets are the promise sets the brief names, plus every promise.
func realisticSets() []promises.Set {
	all := promises.Set(0)
	for _, p := range promises.All() {
		all = all.With(p)
	}
	return []promises.Set{
		0,
		promises.MustParse("stdio"),
		promises.MustParse("stdio rpath"),
		promises.MustParse("stdio rpath wpath cpath inet dns"),
		promises.MustParse("stdio inet unix proc exec"),
		promises.MustParse("stdio rpath inet dns"),
		all,
	}
}

func allPromises() promises.Set {
	var s promises.Set
	for _, p := range promises.All() {
		s = s.With(p)
	}
	return s
}

// specRules returns the applicable rules of s for the named syscall, read
// from the promise table directly (not through the compiler).
func specRules(s Spec, name string) []promises.Rule {
	return specRuleMap(s)[name]
}

var ruleMaps sync.Map // cacheKey -> map[string][]promises.Rule, for specs without Extra

func specRuleMap(s Spec) map[string][]promises.Rule {
	k := cacheKey{arch: s.Arch, set: s.Promises, pid: s.Pid}
	if s.Extra == nil {
		if m, ok := ruleMaps.Load(k); ok {
			return m.(map[string][]promises.Rule)
		}
	}
	m := map[string][]promises.Rule{}
	add := func(rs []promises.Rule) {
	rules:
		for _, r := range rs {
			if !r.AppliesTo(s.Arch) || !r.AppliesWith(s.Promises) {
				continue
			}
			// Conditions on the caller's pid, bound as Compile binds them.
			r.Args = slices.Clone(r.Args)
			for i, c := range r.Args {
				var ok bool
				if r.Args[i], ok = c.For(s.Pid); !ok {
					continue rules
				}
			}
			m[r.Syscall] = append(m[r.Syscall], r)
		}
	}
	add(promises.Baseline())
	for _, p := range s.Promises.Promises() {
		add(promises.Rules(p))
	}
	add(s.Extra)
	if s.Extra == nil {
		ruleMaps.Store(k, m)
	}
	return m
}

// vectors returns representative argument vectors for a syscall with the
// given rules: zeros; for each rule a vector satisfying it, the same with
// the high half of every argument set, and the same with one condition
// broken; and a few random ones.
func vectors(rs []promises.Rule, rng *rand.Rand) [][6]uint64 {
	out := [][6]uint64{{}}
	for _, r := range rs {
		var a [6]uint64
		for _, c := range r.Args {
			m := c.EffectiveMask()
			a[c.Arg] = a[c.Arg]&^m | c.Value&m
		}
		out = append(out, a)
		hi := a
		for i := range hi {
			hi[i] |= 0xffffffff00000000
		}
		out = append(out, hi)
		for _, c := range r.Args {
			m := c.EffectiveMask()
			if m == 0 {
				continue
			}
			b := a
			bit := m & -m // lowest bit the condition looks at
			b[c.Arg] ^= bit
			out = append(out, b)
			// Also flip a random bit that the condition examines.
			bits := []uint64{}
			for i := range 64 {
				if m&(1<<i) != 0 {
					bits = append(bits, 1<<i)
				}
			}
			b = a
			b[c.Arg] ^= bits[rng.IntN(len(bits))]
			out = append(out, b)
		}
	}
	for range 2 {
		var a [6]uint64
		for i := range a {
			switch rng.IntN(3) {
			case 0:
				a[i] = rng.Uint64()
			case 1:
				a[i] = uint64(rng.Uint32())
			default:
				a[i] = uint64(rng.IntN(16))
			}
		}
		out = append(out, a)
	}
	return out
}

// progCache compiles each spec once per test binary run (specs without
// Extra rules only).
var progCache sync.Map

type cacheKey struct {
	arch string
	set  promises.Set
	deny uint32
	pid  int
}

// testPid is the pid the tests' programs are built for (Spec.Pid).
const testPid = 4242

// compileCached compiles for testPid.
func compileCached(t testing.TB, arch string, set promises.Set, deny uint32) *Program {
	t.Helper()
	k := cacheKey{arch, set, deny, testPid}
	if p, ok := progCache.Load(k); ok {
		return p.(*Program)
	}
	p, err := Compile(Spec{Arch: arch, Promises: set, Deny: deny, Pid: testPid})
	if err != nil {
		t.Fatalf("Compile(%s, %q, %#x): %v", arch, set, deny, err)
	}
	progCache.Store(k, p)
	return p
}

// agree runs p on d in the VM and in Run and compares both with Reference.
func agree(t testing.TB, vm *bpf.VM, p *Program, s Spec, d Data) {
	t.Helper()
	want := Reference(s, d)
	got, _, err := Run(p, d)
	if err != nil {
		t.Fatalf("Run(%s, %q, %+v): %v", s.Arch, s.Promises, d, err)
	}
	v, err := vm.Run(d.VMInput())
	if err != nil {
		t.Fatalf("VM(%s, %q, %+v): %v", s.Arch, s.Promises, d, err)
	}
	if got != want || uint32(v) != want {
		t.Fatalf("%s %q deny %s: %s: Reference %s, Run %s, VM %s", s.Arch, s.Promises, ActionString(s.Deny),
			describe(s.Arch, d), ActionString(want), ActionString(got), ActionString(uint32(v)))
	}
}

func describe(arch string, d Data) string {
	name := fmt.Sprint(d.Nr)
	if tab, err := syscalls.ByArch(arch); err == nil && d.Arch == tab.AuditArch {
		if n, ok := tab.Name(uint32(d.Nr)); ok {
			name = n
		}
	}
	return fmt.Sprintf("%s(arch %#x, args %#x)", name, d.Arch, d.Args)
}

func newVM(t testing.TB, p *Program) *bpf.VM {
	t.Helper()
	insns, err := p.Insns()
	if err != nil {
		t.Fatalf("Insns: %v", err)
	}
	vm, err := bpf.NewVM(insns)
	if err != nil {
		t.Fatalf("bpf.NewVM: %v", err)
	}
	return vm
}

// checkProgram asserts the invariants every compiled program must have.
func checkProgram(t testing.TB, p *Program) {
	t.Helper()
	if err := Check(p.Raw); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if err := ValidReturns(p.Raw); err != nil {
		t.Fatalf("ValidReturns: %v", err)
	}
	insns, err := p.Insns()
	if err != nil {
		t.Fatalf("Insns: %v", err)
	}
	back, err := bpf.Assemble(insns)
	if err != nil || !slices.Equal(back, p.Raw) {
		t.Fatalf("Insns do not assemble to Raw: %v", err)
	}
	if p.Stats().Len != len(p.Raw) || len(p.Raw) > MaxInsns {
		t.Fatalf("Stats.Len %d, len(Raw) %d", p.Stats().Len, len(p.Raw))
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }
