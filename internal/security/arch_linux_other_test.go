//go:build !amd64

package security

import "testing"

// The architecture attempts exist only on amd64 (arch_linux_amd64_test.go);
// these stubs say so in the kernel matrix's arm64 logs.

func TestInt80(t *testing.T) {
	t.Skip("i386 calls through int 0x80 exist only on amd64 (arm64's 32-bit compat ABI is refused by the same architecture check; not reachable from a 64-bit Go binary)")
}

func TestX32Syscalls(t *testing.T) { t.Skip("the x32 ABI exists only on amd64") }

func TestUprobeSyscalls(t *testing.T) {
	t.Skip("the uretprobe and uprobe syscalls exist only on amd64")
}
