package filter

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pledgekit/pledgekit/promises"
)

// TestAgree runs every program in the VM and in Run, for every syscall
// number (and beyond the table, x32 numbers and foreign architectures) with
// representative arguments, and compares both with Reference.
func TestAgree(t *testing.T) {
	if testing.Short() {
		t.Logf("-short: sampling with seed %d (set PLEDGEKIT_AGREE_SEED to repeat)", shortSeed)
	}
	type cas struct {
		set  promises.Set
		deny uint32
	}
	var cases []cas
	for _, p := range promises.All() {
		cases = append(cases, cas{promises.Of(p), RetErrno | EPERM})
	}
	// Other deny actions change only the verdicts of denied and foreign
	// calls; the realistic sets are swept with each, the rest with EPERM.
	for _, s := range realisticSets() {
		for _, d := range []uint32{RetErrno | EPERM, RetKillProcess, RetLog, RetErrno | ENOSYS, RetTrap, RetUserNotif} {
			cases = append(cases, cas{s, d})
		}
	}
	for _, arch := range arches {
		tab := table(t, arch)
		maxNr := tab.Max()
		for _, c := range cases {
			s := Spec{Arch: arch, Promises: c.set, Deny: c.deny, Pid: testPid}
			p := compileCached(t, arch, c.set, c.deny)
			checkProgram(t, p)
			if c.set.Len() == 1 && len(promises.Rules(c.set.Promises()[0])) == 0 {
				// A promise without rules must compile to the empty set's
				// program, which is swept below.
				if e := compileCached(t, arch, 0, c.deny); !slices.Equal(p.Raw, e.Raw) {
					t.Errorf("%s: promise %q has no rules but changes the program", arch, c.set)
				}
				continue
			}
			vm := newVM(t, p)
			rng := rand.New(rand.NewPCG(uint64(c.set), uint64(c.deny)))
			// -short (the kernel matrix runs this under QEMU, 10-70x
			// slower; the full sweep runs in the host's go test): every
			// number the set has rules for, plus a different eighth of
			// the numbers without rules on each run (seeded from the
			// clock, logged to reproduce); x32, foreign architectures
			// and out-of-range numbers as in the full run.
			var pick *rand.Rand
			if testing.Short() {
				pick = rand.New(rand.NewPCG(shortSeed, uint64(c.set)^uint64(c.deny)))
			}
			for nr := uint32(0); nr <= maxNr+10; nr++ {
				name, _ := tab.Name(nr)
				if pick != nil && pick.IntN(8) != 0 && len(specRules(s, name)) == 0 {
					continue
				}
				vecs := [][6]uint64{{}, {rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()}}
				if c.deny == RetErrno|EPERM {
					vecs = vectors(specRules(s, name), rng)
				}
				for _, a := range vecs {
					agree(t, vm, p, s, Data{Nr: int32(nr), Arch: tab.AuditArch, Args: a, IP: rng.Uint64()})
				}
				// The same call as x32 (amd64) or with a foreign arch.
				if tab.X32SyscallBit != 0 {
					agree(t, vm, p, s, Data{Nr: int32(nr | tab.X32SyscallBit), Arch: tab.AuditArch, Args: vecs[len(vecs)/2]})
				}
				fa := foreignArches[rng.IntN(len(foreignArches))]
				agree(t, vm, p, s, Data{Nr: int32(nr), Arch: fa, Args: vecs[len(vecs)/2]})
			}
			for _, fa := range foreignArches {
				for _, nr := range []int32{0, 1, 4, 11, 59, 64, 172, 221, -1} {
					agree(t, vm, p, s, Data{Nr: nr, Arch: fa})
				}
			}
			for _, nr := range []uint32{0x3fffffff, 0x40000000, 0x40000001, 0x7fffffff, 0x80000000, 0xbfffffff, 0xc0000000, 0xc0000001, 0xffffffff, maxNr + 1000} {
				agree(t, vm, p, s, Data{Nr: int32(nr), Arch: tab.AuditArch})
			}
		}
	}
}

// shortSeed chooses TestAgree's -short sample: PLEDGEKIT_AGREE_SEED, or
// the clock, so that successive short runs cover different numbers.
var shortSeed = func() uint64 {
	if v, err := strconv.ParseUint(os.Getenv("PLEDGEKIT_AGREE_SEED"), 10, 64); err == nil {
		return v
	}
	return uint64(time.Now().UnixNano())
}()
