package pledge_test

import (
	"fmt"
	"log"
	"net"
	"os"

	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/unveil"
)

// A program pledges early, before it handles untrusted input. From then on
// reading files works and opening a socket ends the process with a message
// naming socket(2) and the "inet" promise.
func Example() {
	if err := pledge.Pledge("stdio rpath", ""); err != nil {
		log.Fatal(err)
	}
	b, err := os.ReadFile("/etc/hostname") // allowed: rpath
	fmt.Println(len(b), err)
	net.Dial("tcp", "example.org:80") // not allowed: the process ends here
}

// Apply chooses the penalty and what may be weakened, and reports what the
// kernel enforces.
func ExampleApply() {
	rep, err := pledge.Apply(pledge.Options{
		Promises: "stdio rpath inet",
		Penalty:  pledge.PenaltyAbort,
		Fallback: pledge.FallbackPenalty, // PenaltyTrap if no supervisor can run
	})
	if err != nil {
		log.Fatal(err)
	}
	if s := rep.Summary(); s != "" {
		log.Print(s) // e.g. "sandbox degraded: penalty abort partial (...)"
	}
}

// A Landlock layer (package unveil) passed in Options.Unveil is committed
// by the pledge itself, before the filter: one call, one report, and no
// violation supervisor started for a penalty that does not use one. With
// promises that cannot write (no wpath) the layer leaves truncation to the
// filter, which refuses it anyway, so opens under it are cheaper.
func ExampleApply_unveil() {
	rs := unveil.New()
	if err := rs.Unveil("/srv/data", "r"); err != nil {
		log.Fatal(err)
	}
	rs.ConnectTCP(443) // TCP connections to port 443 only
	rep, err := pledge.Apply(pledge.Options{
		Promises: "stdio rpath inet dns",
		Penalty:  pledge.PenaltyKill,
		Unveil:   rs,
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Print(rep) // what Landlock and seccomp enforce here, and what they do not
}

// Command runs a program under its own, narrower promises (here without
// any pledge in this process, so that the example can run).
func ExampleCommand() {
	cmd := pledge.Command("stdio rpath", "/bin/echo", "hello from a pledged echo")
	cmd.Stdout = os.Stdout
	if err := cmd.Run(); err != nil {
		log.Fatal(err)
	}
	// Output: hello from a pledged echo
}
