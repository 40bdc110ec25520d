//go:build linux

package unveil_test

import (
	"log"
	"os"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/unveil"
)

// Landlock rights directly, as a Landlock Config path_beneath rule: only
// the files beneath /usr/bin and /usr/lib may be executed; reading and
// writing are left to other layers. Not run as a test: it would restrict
// the test process.
func ExampleRuleset_AllowFS() {
	r := unveil.New().HandleFS(unix.LANDLOCK_ACCESS_FS_EXECUTE)
	for _, dir := range []string{"/usr/bin", "/usr/lib"} {
		if err := r.AllowFS(dir, unix.LANDLOCK_ACCESS_FS_EXECUTE); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := r.Commit(); err != nil {
		log.Fatal(err)
	}
}

// Restrict only the thread that executes a program next, as a launcher
// does. Not run as a test.
func ExampleRuleset_CommitThread() {
	r := unveil.New().Require()
	if err := r.Unveil("/usr", "rx"); err != nil {
		log.Fatal(err)
	}
	if _, err := r.CommitThread(); err != nil {
		log.Fatal(err)
	}
	err := syscall.Exec("/usr/bin/env", []string{"env"}, os.Environ())
	log.Fatal(err)
}
