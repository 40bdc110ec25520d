package promises_test

import (
	"errors"
	"fmt"

	"github.com/pledgekit/pledgekit/promises"
)

func Example() {
	set, err := promises.Parse("stdio rpath inet")
	if err != nil {
		panic(err)
	}
	const openat = "openat"
	var oRDONLY, oRDWR uint64 = 0, 2
	for _, flags := range []uint64{oRDONLY, oRDWR} {
		_, ok := promises.Decide(set, "amd64", openat, [6]uint64{2: flags})
		fmt.Printf("openat(flags=%d) allowed: %v, needs: %v\n", flags, ok,
			promises.Requirements("amd64", openat, [6]uint64{2: flags}))
	}
	fmt.Println("connect is allowed by:", promises.Allowing("arm64", "connect", [6]uint64{}))
	fmt.Println(promises.Describe(promises.Audio).Linux)
	// Output:
	// openat(flags=0) allowed: true, needs: [rpath]
	// openat(flags=2) allowed: false, needs: [rpath wpath]
	// connect is allowed by: [inet unix dns]
	// false
}

func ExampleParse() {
	_, err := promises.Parse("stdio\trpath")
	fmt.Println(errors.Is(err, promises.ErrUnknown))
	_, err = promises.Parse(" stdio")
	fmt.Println(errors.Is(err, promises.ErrEmptyWord))
	set, _ := promises.Parse("stdio  rpath ")
	fmt.Println(set)
	// Output:
	// true
	// true
	// stdio rpath
}

func ExampleDecide() {
	set := promises.MustParse("stdio")
	// clone3 keeps its flags in memory seccomp cannot read: ENOSYS, so
	// glibc falls back to clone, whose flags the table checks.
	r, ok := promises.Decide(set, "amd64", "clone3", [6]uint64{})
	fmt.Println(ok, r.Action == promises.Errno, r.Errno)
	// A thread (Go's runtime flags on amd64) is stdio; a process is proc.
	_, thread := promises.Decide(set, "amd64", "clone", [6]uint64{0xd0f00})
	_, process := promises.Decide(set, "amd64", "clone", [6]uint64{0x5111})
	fmt.Println(thread, process)
	// Output:
	// true true 38
	// true false
}

func ExampleImpliedPaths() {
	for _, p := range promises.ImpliedPaths(promises.DNS)[:2] {
		fmt.Println(p.Path, p.Perm)
	}
	// Output:
	// /etc/resolv.conf r
	// /etc/hosts r
}

func ExampleHoles() {
	// What a filter for "stdio inet" cannot hold to the letter.
	for _, h := range promises.Holes(promises.MustParse("stdio inet"), "amd64") {
		if abi := h.LandlockABI(); abi > 0 {
			fmt.Printf("%s: unveil closes it from Landlock ABI %d\n", h, abi)
		} else {
			fmt.Printf("%s: nothing closes it\n", h)
		}
	}
	fmt.Println(promises.StatByPath.In(promises.MustParse("stdio rpath"), "amd64"))
	// Output:
	// stat without rpath: nothing closes it
	// unix datagrams by path: unveil closes it from Landlock ABI 9
	// false
}

func ExampleSet_Rules() {
	// The rules in force under "stdio" for write(2).
	for r := range promises.MustParse("stdio").Rules("amd64") {
		if r.Syscall == "write" {
			fmt.Println(r)
		}
	}
	// Output:
	// write
}
