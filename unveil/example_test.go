package unveil_test

import (
	"fmt"
	"log"
	"os"

	"github.com/pledgekit/pledgekit/unveil"
)

// The OpenBSD way: unveil what the program needs, then block. On Linux the
// unveils take effect at UnveilBlock (or at a pledge without "unveil").
// Not run as a test: it would restrict the test process.
func Example() {
	if err := unveil.Unveil("/etc/ssl", "r"); err != nil {
		log.Fatal(err)
	}
	if err := unveil.Unveil(os.TempDir(), "rwc"); err != nil {
		log.Fatal(err)
	}
	if err := unveil.UnveilBlock(); err != nil {
		log.Fatal(err)
	}
	_, err := os.ReadFile("/etc/passwd")
	fmt.Println(err) // open /etc/passwd: permission denied
}

// A Ruleset adds port rules and scopes, can require protections instead of
// degrading, and reports what the kernel enforces. Not run as a test.
func ExampleRuleset() {
	r := unveil.New().
		ConnectTCP(443).
		BindTCP().
		Scope(unveil.ScopeSignal, unveil.ScopeAbstractUnix).
		Require(unveil.Paths, unveil.TCP)
	if err := r.Unveil("/var/cache/myapp", "rwc"); err != nil {
		log.Fatal(err)
	}
	rep, err := r.Commit()
	if err != nil {
		log.Fatal(err) // wraps unveil.ErrLandlockUnavailable on an old kernel
	}
	if s := rep.Summary(); s != "" {
		log.Print(s) // what this kernel could not enforce, and why
	}
}

func ExampleParsePerm() {
	p, err := unveil.ParsePerm("cwr")
	fmt.Println(p, err)
	_, err = unveil.ParsePerm("rwq")
	fmt.Println(err)
	// Output:
	// rwc <nil>
	// unveil permissions "rwq": bad letter "q" at offset 2; use only r (read), w (write), x (execute), c (create/remove)
}
