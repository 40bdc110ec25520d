package pledge

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Classic BPF opcodes the splice looks at.
const (
	opRetK = 0x06 // BPF_RET | BPF_K
	opRetA = 0x16 // BPF_RET | BPF_A
	opJA   = 0x05 // BPF_JMP | BPF_JA
)

// Sentinel deny actions used only to find a compiled program's deny
// returns when splicing (ERRNO values no rule uses).
const (
	sentinelNext = 0x00050000 | 4094 // SECCOMP_RET_ERRNO | 4094
	sentinelPrev = 0x00050000 | 4093 // SECCOMP_RET_ERRNO | 4093
)

// retAllow is SECCOMP_RET_ALLOW.
const retAllow = 0x7fff0000

// layer builds the program of a filter stacked over earlier ones.
//
// next is the program of the new promises and prev the program of the
// promises of the newest earlier filter that enforces, each compiled with
// its sentinel as deny action. The result
//   - returns what next returns for every call next does not deny (allowed,
//     or an errno rule);
//   - returns penalty for a call next denies but prev does not: what this
//     narrowing removed;
//   - allows a call prev denies too, leaving it to the earlier filter, which
//     denies it with its own penalty.
//
// Without this, the strictest action of all filters would win for every
// call both deny, so a narrowing with PenaltyTrap would silence the
// messages the first filter's supervisor prints for everything else.
func layer(next, prev []bpf.RawInstruction, penalty uint32) ([]bpf.RawInstruction, error) {
	out := make([]bpf.RawInstruction, 0, len(next)+len(prev))
	for i, ins := range next {
		switch {
		case ins.Op == opRetA:
			return nil, fmt.Errorf("pledge: cannot splice a program that returns the accumulator (instruction %d)", i)
		case ins.Op == opRetK && ins.K == sentinelNext:
			ins = bpf.RawInstruction{Op: opJA, K: uint32(len(next) - i - 1)}
		}
		out = append(out, ins)
	}
	for j, ins := range prev {
		switch ins.Op {
		case opRetA:
			return nil, fmt.Errorf("pledge: cannot splice a program that returns the accumulator (instruction %d)", j)
		case opRetK:
			if ins.K == sentinelPrev {
				ins.K = retAllow
			} else {
				ins.K = penalty
			}
		}
		out = append(out, ins)
	}
	return out, nil
}
