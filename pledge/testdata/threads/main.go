// Command threads checks that threads created before and after a pledge
// are filtered, with and without cgo. With cgo the threads are C pthreads,
// which glibc creates with clone3: the filter answers ENOSYS and glibc
// falls back to clone. It prints "early <mode>" and "late <mode>", the
// seccomp mode (2: filtered) each thread reads with prctl(PR_GET_SECCOMP).
package main

import (
	"fmt"
	"os"

	"github.com/pledgekit/pledgekit/pledge"
)

func main() {
	if err := startEarly(); err != nil {
		fmt.Fprintln(os.Stderr, "early thread:", err)
		os.Exit(1)
	}
	if err := pledge.Pledge("stdio", ""); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("early", finishEarly())
	fmt.Println("late", spawnLate())
}
