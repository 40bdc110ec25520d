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
//
// The tables are static data laid out by the linker: importing this package
// (or the generated ones) runs no initialisation code and allocates nothing,
// and no Table is built at run time. Name is an array index; Number
// hashes the name into a small bucket of equal-length names (see
// internal/systab), which is faster than a map for these few hundred names.
package syscalls

//go:generate go run ./internal/mksysnum -src syscalls.txt -out .

import (
	"fmt"
	"runtime"

	"github.com/pledgekit/pledgekit/syscalls/linux_amd64"
	"github.com/pledgekit/pledgekit/syscalls/linux_arm64"
)

// ErrUnknownArch is wrapped by the error ByArch returns for an architecture
// pledgekit has no table for.
var ErrUnknownArch error = constError("unknown architecture")

// constError is an error made from a constant, so that ErrUnknownArch is
// static data rather than an errors.New call at start-up.
type constError string

func (e constError) Error() string { return string(e) }

// Table is the syscall table of one architecture. It is read-only and safe
// for concurrent use; tables are static, so ByArch always returns the same
// *Table for an architecture.
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

	// The generated package's lookups: its table is unexported, so no
	// caller can change what a Table answers.
	number func(string) (uint32, bool)
	name   func(uint32) (string, bool)
	names  func() []string
	count  int
	max    uint32
}

// tables is sorted by Arch. Every field is a constant or a function, so the
// compiler lays the array out statically (no init code).
var tables = [...]Table{
	{
		Arch: linux_amd64.Arch, AuditArch: linux_amd64.AuditArch, X32SyscallBit: linux_amd64.X32SyscallBit,
		Kernel: linux_amd64.Kernel, number: linux_amd64.Number, name: linux_amd64.Name,
		names: linux_amd64.Names, count: linux_amd64.Count, max: linux_amd64.MaxNr,
	},
	{
		Arch: linux_arm64.Arch, AuditArch: linux_arm64.AuditArch,
		Kernel: linux_arm64.Kernel, number: linux_arm64.Number, name: linux_arm64.Name,
		names: linux_arm64.Names, count: linux_arm64.Count, max: linux_arm64.MaxNr,
	},
}

// canonical maps other common spellings (uname -m, AUDIT names) to Go names.
func canonical(arch string) string {
	switch arch {
	case "amd64", "x86_64":
		return "amd64"
	case "arm64", "aarch64":
		return "arm64"
	}
	return ""
}

// Number returns the number of the named syscall, or false if the
// architecture has no syscall of that name.
func (t *Table) Number(name string) (uint32, bool) { return t.number(name) }

// Name returns the name of the syscall with the given number, or false if the
// number is unassigned on this architecture.
func (t *Table) Name(nr uint32) (string, bool) { return t.name(nr) }

// Has reports whether the architecture has a syscall of that name.
func (t *Table) Has(name string) bool {
	_, ok := t.number(name)
	return ok
}

// Names returns every syscall name of the architecture, sorted. The slice
// is a copy the caller may modify.
func (t *Table) Names() []string { return t.names() }

// Len returns the number of syscalls in the table.
func (t *Table) Len() int { return t.count }

// Max returns the highest syscall number in the table.
func (t *Table) Max() uint32 { return t.max }

// ByArch returns the table for a Go architecture name ("amd64", "arm64")
// or its kernel spelling ("x86_64", "aarch64").
func ByArch(goarch string) (*Table, error) {
	if a := canonical(goarch); a != "" {
		for i := range tables {
			if tables[i].Arch == a {
				return &tables[i], nil
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
	for i := range tables {
		out[i] = tables[i].Arch
	}
	return out
}
