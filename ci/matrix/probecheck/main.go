// Command probecheck prints internal/probe's verdict as one @@PLEDGEKIT probe
// record, so the kernel matrix can compare it with what the kernel really
// offers. It judges nothing itself: the host runner compares the reported
// Landlock ABI with the cell's expectation and with the init's own
// landlock_create_ruleset measurement.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
	"github.com/pledgekit/pledgekit/internal/probe"
)

func main() {
	r := probe.Get()
	if r == nil {
		fmt.Println(proto.Format(proto.KindProbe, "status", "fail", "error", "probe.Get returned nil"))
		os.Exit(1)
	}
	fmt.Println(proto.Format(proto.KindProbe,
		"status", "pass",
		"landlock_abi", strconv.Itoa(r.LandlockABI),
		"seccomp", strconv.FormatBool(r.Seccomp),
		"detail", fmt.Sprintf("%+v", *r),
	))
}
