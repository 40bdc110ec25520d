//go:build linux

package pledge_test

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
)

// Program compiles without installing, for any supported architecture.
func ExampleProgram() {
	prog, err := pledge.Program("stdio rpath", "arm64", pledge.PenaltyKill)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Every program starts by loading the architecture field (offset 4).
	fmt.Println(len(prog) > 10, prog[0].Code == 0x20 && prog[0].K == 4)
	// Output: true true
}

func TestProgram(t *testing.T) {
	deny := map[pledge.Penalty]uint32{
		pledge.PenaltyDefault: 0x7fc00000, // user notification (abort)
		pledge.PenaltyAbort:   0x7fc00000,
		pledge.PenaltyKill:    0x80000000,
		pledge.PenaltyTrap:    0x00030000,
		pledge.PenaltyEPERM:   0x00050000 | uint32(syscall.EPERM),
		pledge.PenaltyENOSYS:  0x00050000 | uint32(syscall.ENOSYS),
		pledge.PenaltyLog:     0x7ffc0000,
	}
	returns := func(prog []unix.SockFilter, k uint32) bool {
		for _, ins := range prog {
			if ins.Code == 0x06 && ins.K == k {
				return true
			}
		}
		return false
	}
	for _, arch := range []string{"amd64", "arm64"} {
		for p, k := range deny {
			prog, err := pledge.Program("stdio inet", arch, p)
			if err != nil || !returns(prog, k) {
				t.Fatalf("%s %v: want a program returning %#x, got %d instructions, %v", arch, p, k, len(prog), err)
			}
		}
		// "error" selects ENOSYS.
		prog, err := pledge.Program("stdio error", arch, pledge.PenaltyDefault)
		if err != nil || !returns(prog, deny[pledge.PenaltyENOSYS]) || returns(prog, deny[pledge.PenaltyAbort]) {
			t.Fatalf("%s: error promise: want ENOSYS, %v", arch, err)
		}
	}
	if _, err := pledge.Program("stdio bogus", "amd64", 0); !errors.Is(err, promises.ErrUnknown) || !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("unknown promise: %v", err)
	}
	if _, err := pledge.Program("stdio", "mips", 0); err == nil {
		t.Fatal("unknown arch compiled")
	}
	if _, err := pledge.Program("stdio error", "amd64", pledge.PenaltyKill); !errors.Is(err, pledge.ErrInvalid) {
		t.Fatalf("error promise with PenaltyKill: %v", err)
	}
	if _, err := pledge.Program("stdio", "amd64", 42); !errors.Is(err, pledge.ErrInvalid) {
		t.Fatalf("bad penalty: %v", err)
	}
}
