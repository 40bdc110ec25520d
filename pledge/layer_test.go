package pledge

import (
	"math/rand"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/pledgekit/pledgekit/internal/filter"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// argVectors returns argument vectors worth trying for the rules of ps:
// all zero, one satisfying each rule, and random ones.
func argVectors(ps promises.Set, rng *rand.Rand) map[string][][6]uint64 {
	out := map[string][][6]uint64{}
	add := func(rs []promises.Rule) {
		for _, r := range rs {
			var a [6]uint64
			for _, c := range r.Args {
				a[c.Arg] = c.Value
			}
			out[r.Syscall] = append(out[r.Syscall], a)
			b := a
			b[rng.Intn(6)] |= 1 << (32 + rng.Intn(32)) // upper bits
			out[r.Syscall] = append(out[r.Syscall], b)
		}
	}
	add(promises.Baseline())
	for _, p := range promises.All() {
		if ps.Has(p) {
			add(promises.Rules(p))
		}
	}
	return out
}

// The layered program agrees with its definition, computed from the
// reference model of each part, for every native syscall number and for
// foreign calls, on both architectures.
func TestLayerAgreesWithReference(t *testing.T) {
	pairs := []struct{ prev, next string }{
		{"stdio rpath inet", "stdio"},
		{"stdio rpath wpath cpath", "stdio rpath"},
		{"stdio proc exec rpath prot_exec", "stdio exec rpath"},
		{"stdio inet unix dns", "stdio unix"},
		{"stdio tty proc flock", "stdio tty"},
		{"stdio", ""},
	}
	penalties := []uint32{filter.RetTrap, filter.RetKillProcess, filter.RetErrno | filter.EPERM, filter.RetLog}
	rng := rand.New(rand.NewSource(1))
	for _, arch := range syscalls.Arches() {
		tab, _ := syscalls.ByArch(arch)
		for _, pr := range pairs {
			prev, next := promises.MustParse(pr.prev), promises.MustParse(pr.next)
			sn := filter.Spec{Arch: arch, Promises: next, Deny: sentinelNext}
			sp := filter.Spec{Arch: arch, Promises: prev, Deny: sentinelPrev}
			pn, err := filter.Compile(sn)
			if err != nil {
				t.Fatal(err)
			}
			pp, err := filter.Compile(sp)
			if err != nil {
				t.Fatal(err)
			}
			vecs := argVectors(prev, rng)
			for _, pen := range penalties {
				raw, err := layer(pn.Raw, pp.Raw, pen)
				if err != nil {
					t.Fatal(err)
				}
				if err := filter.Check(raw); err != nil {
					t.Fatalf("%s %q over %q: kernel checker: %v", arch, pr.next, pr.prev, err)
				}
				prog := &filter.Program{Raw: raw}
				check := func(d filter.Data) {
					want := filter.Reference(sn, d)
					if want == sentinelNext {
						if filter.Reference(sp, d) == sentinelPrev {
							want = retAllow
						} else {
							want = pen
						}
					}
					got, _, err := filter.Run(prog, d)
					if err != nil || got != want {
						t.Fatalf("%s %q over %q, penalty %#x: nr %d args %#x arch %#x: got %#x (%v), want %#x",
							arch, pr.next, pr.prev, pen, d.Nr, d.Args, d.Arch, got, err, want)
					}
				}
				for nr := uint32(0); nr <= tab.Max()+1; nr++ {
					name, _ := tab.Name(nr)
					check(filter.Data{Nr: int32(nr), Arch: tab.AuditArch})
					for _, a := range vecs[name] {
						check(filter.Data{Nr: int32(nr), Arch: tab.AuditArch, Args: a})
					}
					check(filter.Data{Nr: int32(nr), Arch: tab.AuditArch, Args: [6]uint64{rng.Uint64(), rng.Uint64(), rng.Uint64()}})
				}
				check(filter.Data{Nr: 0, Arch: 0x40000003})                                  // i386
				check(filter.Data{Nr: 39 | int32(tab.X32SyscallBit), Arch: tab.AuditArch})   // x32 (amd64)
				check(filter.Data{Nr: -1, Arch: tab.AuditArch, Args: [6]uint64{^uint64(0)}}) // out of range
			}
		}
	}
}

func TestLayerRefusesAccumulatorReturns(t *testing.T) {
	retA := []bpf.RawInstruction{{Op: opRetA}}
	if _, err := layer(retA, retA, filter.RetTrap); err == nil {
		t.Fatal("want an error for RET A")
	}
}
