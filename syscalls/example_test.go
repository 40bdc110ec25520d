package syscalls_test

import (
	"fmt"

	"github.com/pledgekit/pledgekit/syscalls"
)

func ExampleByArch() {
	arm, err := syscalls.ByArch("aarch64")
	if err != nil {
		panic(err)
	}
	nr, _ := arm.Number("newfstatat")
	_, hasOpen := arm.Number("open")
	fmt.Println(arm.Arch, nr, hasOpen)

	amd, _ := syscalls.ByArch("amd64")
	name, _ := amd.Name(257)
	fmt.Printf("%s %#x %#x\n", name, amd.AuditArch, amd.X32SyscallBit)
	// Output:
	// arm64 79 false
	// openat 0xc000003e 0x40000000
}
