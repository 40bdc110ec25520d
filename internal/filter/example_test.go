package filter_test

import (
	"fmt"

	"github.com/pledgekit/pledgekit/internal/filter"
	"github.com/pledgekit/pledgekit/promises"
)

// Compile a small policy for arm64 (on any host) and ask it about a few
// calls, as the kernel would.
func ExampleCompile() {
	p, err := filter.Compile(filter.Spec{
		Arch:  "arm64",
		Deny:  filter.RetErrno | filter.EPERM,
		Extra: []promises.Rule{{Syscall: "getppid"}, {Syscall: "socket", Args: []promises.Cond{{Arg: 0, Width: promises.W32, Value: 1}}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	const auditArchAArch64 = 0xc00000b7
	for _, c := range []struct {
		what string
		d    filter.Data
	}{
		{"getppid()", filter.Data{Nr: 173, Arch: auditArchAArch64}},
		{"socket(AF_UNIX)", filter.Data{Nr: 198, Arch: auditArchAArch64, Args: [6]uint64{1}}},
		{"socket(AF_UNIX|1<<32)", filter.Data{Nr: 198, Arch: auditArchAArch64, Args: [6]uint64{1 | 1<<32}}},
		{"socket(AF_NETLINK|1<<32)", filter.Data{Nr: 198, Arch: auditArchAArch64, Args: [6]uint64{16 | 1<<32}}},
		{"getppid() as x86_64", filter.Data{Nr: 173, Arch: 0xc000003e}},
	} {
		ret, _, _ := filter.Run(p, c.d)
		fmt.Printf("%-26s %s\n", c.what, filter.ActionString(ret))
	}
	// Output:
	// getppid()                  ALLOW
	// socket(AF_UNIX)            ALLOW
	// socket(AF_UNIX|1<<32)      ALLOW
	// socket(AF_NETLINK|1<<32)   ERRNO(1 EPERM)
	// getppid() as x86_64        ERRNO(1 EPERM)
}
