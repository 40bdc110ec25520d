// Package syscalls maps Linux system call names to numbers for every
// architecture pledgekit supports (amd64 and arm64), on any host.
//
// The numbers are generated from syscalls.txt, a compact transcription of
// the kernel's own syscall tables at a pinned release (see its header), into
// the packages linux_amd64 and linux_arm64. Those packages have no build
// constraints, so a filter for arm64 can be compiled and tested on amd64 and
// the other way round.
//
// Names are the kernel's: a syscall that does not exist on an architecture
// (open, stat, fork, dup2, pipe, epoll_wait on arm64; fstatat is called
// newfstatat on both) is simply absent from that architecture's table, and
// Number reports false for it. The 32-bit-only syscalls (the *_time64 family,
// fcntl64, ...) and the x32 ABI are not listed: pledgekit refuses them.
package syscalls

//go:generate go run ./internal/mksysnum -src syscalls.txt -out .

import (
	"errors"
	"fmt"
	"runtime"
	"sort"

	"github.com/pledgekit/pledgekit/syscalls/linux_amd64"
	"github.com/pledgekit/pledgekit/syscalls/linux_arm64"
)

// ErrUnknownArch is wrapped by the error ByArch returns for an architecture
// pledgekit has no table for.
var ErrUnknownArch = errors.New("unknown architecture")

// Table is the syscall table of one architecture. It is read-only and safe
// for concurrent use.
type Table struct {
	// Arch is the Go architecture name ("amd64", "arm64").
	Arch string
	// AuditArch is the AUDIT_ARCH_* value seccomp reports for native calls.
	AuditArch uint32
	// X32SyscallBit is the bit every x32 syscall number carries on amd64
	// (x32 calls arrive with the same AuditArch), or 0 where there is no x32.
	X32SyscallBit uint32
	// Kernel is the Linux release the numbers were taken from ("v6.18").
	Kernel string

	numbers map[string]uint32
	names   map[uint32]string
	sorted  []string
}

func newTable(arch string, audit, x32 uint32, kernel string, numbers map[string]uint32) *Table {
	// Copy: the generated Numbers maps are exported variables, and a Table
	// must not change if a caller writes to them.
	t := &Table{Arch: arch, AuditArch: audit, X32SyscallBit: x32, Kernel: kernel,
		numbers: make(map[string]uint32, len(numbers)),
		names:   make(map[uint32]string, len(numbers)), sorted: make([]string, 0, len(numbers))}
	for n, nr := range numbers {
		t.numbers[n] = nr
		t.names[nr] = n
		t.sorted = append(t.sorted, n)
	}
	sort.Strings(t.sorted)
	return t
}

var tables = []*Table{
	newTable(linux_amd64.Arch, linux_amd64.AuditArch, linux_amd64.X32SyscallBit, linux_amd64.Kernel, linux_amd64.Numbers),
	newTable(linux_arm64.Arch, linux_arm64.AuditArch, 0, linux_arm64.Kernel, linux_arm64.Numbers),
}

// aliases maps other common spellings (uname -m, AUDIT names) to Go names.
var aliases = map[string]string{
	"amd64": "amd64", "x86_64": "amd64",
	"arm64": "arm64", "aarch64": "arm64",
}

// Number returns the number of the named syscall, or false if the
// architecture has no syscall of that name.
func (t *Table) Number(name string) (uint32, bool) {
	nr, ok := t.numbers[name]
	return nr, ok
}

// Name returns the name of the syscall with the given number, or false if the
// number is unassigned on this architecture.
func (t *Table) Name(nr uint32) (string, bool) {
	n, ok := t.names[nr]
	return n, ok
}

// Has reports whether the architecture has a syscall of that name.
func (t *Table) Has(name string) bool {
	_, ok := t.numbers[name]
	return ok
}

// Names returns every syscall name of the architecture, sorted. The slice
// is a copy the caller may modify.
func (t *Table) Names() []string {
	return append([]string(nil), t.sorted...)
}

// Len returns the number of syscalls in the table.
func (t *Table) Len() int { return len(t.numbers) }

// Max returns the highest syscall number in the table.
func (t *Table) Max() uint32 {
	var m uint32
	for nr := range t.names {
		m = max(m, nr)
	}
	return m
}

// ByArch returns the table for a Go architecture name ("amd64", "arm64")
// or its kernel spelling ("x86_64", "aarch64").
func ByArch(goarch string) (*Table, error) {
	if a, ok := aliases[goarch]; ok {
		for _, t := range tables {
			if t.Arch == a {
				return t, nil
			}
		}
	}
	return nil, fmt.Errorf("syscalls: no syscall table for %q (supported: %v): %w", goarch, Arches(), ErrUnknownArch)
}

// Native returns the table for the architecture this program was built for
// (runtime.GOARCH); it fails with ErrUnknownArch elsewhere (386, riscv64...).
func Native() (*Table, error) { return ByArch(runtime.GOARCH) }

// Arches returns the Go names of the supported architectures, sorted.
func Arches() []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.Arch
	}
	sort.Strings(out)
	return out
}
