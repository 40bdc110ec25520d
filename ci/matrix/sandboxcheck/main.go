// Command sandboxcheck asserts, through the public unveil API, that the
// running kernel's Landlock ABI (PLEDGEKIT_EXPECT_LANDLOCK_ABI, set by the
// kernel matrix) leads to the documented behaviour:
//
//   - a strict request (Ruleset.Require) for a protection the kernel lacks
//     fails closed: Commit returns an error matching
//     unveil.ErrLandlockUnavailable and nothing is enforced;
//   - a best-effort request for it succeeds and the report lists the
//     degradation (report.Degraded is not empty): never silent;
//   - a protection the kernel has is really enforced, strict or not.
//
// Each check runs in a fresh child process (a Landlock layer cannot be
// undone) and prints one @@PLEDGEKIT sandbox record with ok=true|false.
// Checked protections: paths (ABI 1), tcp (ABI 4), scopes (ABI 6).
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

var protections = []struct {
	name string
	p    unveil.Protection
}{
	{"paths", unveil.Paths},
	{"tcp", unveil.TCP},
	{"scopes", unveil.Scopes},
}

func main() {
	expect, err := strconv.Atoi(os.Getenv(proto.EnvExpectABI))
	if err != nil {
		fmt.Println(proto.Format("sandbox", "check", "setup", "ok", "false",
			"detail", proto.EnvExpectABI+" is not set to a number: "+err.Error()))
		os.Exit(1)
	}
	if len(os.Args) == 3 && os.Args[1] == "-check" {
		os.Exit(child(os.Args[2], expect))
	}
	if len(os.Args) == 2 && os.Args[1] == "-sleep" {
		time.Sleep(time.Minute)
		return
	}
	failed := false
	for _, pr := range protections {
		for _, mode := range []string{"strict", "best"} {
			name := mode + "-" + pr.name
			out, err := exec.Command(os.Args[0], "-check", name).CombinedOutput()
			found := false
			for _, line := range strings.Split(string(out), "\n") {
				rec, ok, _ := proto.Parse(line)
				if ok && rec.Kind == "sandbox" {
					fmt.Println(strings.TrimSpace(line))
					found = true
					if rec.Get("ok") != "true" {
						failed = true
					}
				} else if strings.TrimSpace(line) != "" {
					fmt.Printf("sandboxcheck %s: %s\n", name, line)
				}
			}
			if !found {
				failed = true
				fmt.Println(proto.Format("sandbox", "check", name, "ok", "false",
					"detail", fmt.Sprintf("the check process printed no record (%v)", err)))
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

// child runs one check in this (fresh) process and prints its record.
func child(name string, expect int) int {
	mode, pname, _ := strings.Cut(name, "-")
	var p unveil.Protection
	for _, pr := range protections {
		if pr.name == pname {
			p = pr.p
		}
	}
	strict := mode == "strict"
	have := expect >= p.ABI()
	ok, detail := check(p, strict, have)
	want := "enforced"
	switch {
	case !have && strict:
		want = "fails closed"
	case !have:
		want = "degraded and reported"
	}
	fmt.Println(proto.Format("sandbox", "check", name, "expect_abi", strconv.Itoa(expect),
		"want", want, "ok", strconv.FormatBool(ok), "detail", detail))
	if !ok {
		return 1
	}
	return 0
}

func check(p unveil.Protection, strict, have bool) (bool, string) {
	dir, err := os.MkdirTemp("", "sandboxcheck-")
	if err != nil {
		return false, "setup: " + err.Error()
	}
	outside := filepath.Join(dir, "outside")
	inside := filepath.Join(dir, "inside")
	if err := os.Mkdir(inside, 0o755); err != nil {
		return false, "setup: " + err.Error()
	}
	if err := os.WriteFile(outside, []byte("x"), 0o644); err != nil {
		return false, "setup: " + err.Error()
	}

	r := unveil.New()
	// probe is what must be denied once p is enforced, and allowed otherwise.
	var probe func() error
	switch p {
	case unveil.Paths:
		if err := r.Unveil(inside, "r"); err != nil {
			return false, "Unveil: " + err.Error()
		}
		probe = func() error { _, err := os.ReadFile(outside); return err }
	case unveil.TCP:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return false, "setup: " + err.Error()
		}
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				c.Close()
			}
		}()
		port := l.Addr().(*net.TCPAddr).Port
		r.ConnectTCP(uint16(port%65535 + 1)) // any port but the listener's
		probe = func() error {
			c, err := net.DialTimeout("tcp", l.Addr().String(), 30*time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}
	case unveil.Scopes:
		sib := exec.Command(os.Args[0], "-sleep")
		if err := sib.Start(); err != nil {
			return false, "setup: " + err.Error()
		}
		defer sib.Process.Kill()
		r.Scope(unveil.ScopeSignal)
		probe = func() error { return syscall.Kill(sib.Process.Pid, 0) }
	default:
		return false, "unknown protection"
	}
	if err := probe(); err != nil {
		return false, "before Commit the probe already fails: " + err.Error()
	}
	if strict {
		r.Require(p)
	}
	rep, err := r.Commit()
	after := probe()
	denied := errors.Is(after, syscall.EACCES) || errors.Is(after, syscall.EPERM)
	switch {
	case have:
		if err != nil {
			return false, fmt.Sprintf("Commit failed on a kernel that has %s: %v", p, err)
		}
		if !denied {
			return false, fmt.Sprintf("Commit succeeded but %s is not enforced: the probe gave %v, want EACCES/EPERM; report: %s", p, after, oneLine(rep))
		}
		return true, fmt.Sprintf("enforced (probe: %v)", after)
	case strict:
		if err == nil {
			return false, fmt.Sprintf("strict request for missing %s did not fail; report: %s", p, oneLine(rep))
		}
		if !errors.Is(err, unveil.ErrLandlockUnavailable) {
			return false, fmt.Sprintf("strict request failed with %v, which does not match unveil.ErrLandlockUnavailable", err)
		}
		if after != nil {
			return false, fmt.Sprintf("Commit failed (%v) but something was enforced anyway: the probe gave %v", err, after)
		}
		return true, "fails closed: " + err.Error()
	default:
		if err != nil {
			return false, fmt.Sprintf("best-effort request for missing %s failed instead of degrading: %v", p, err)
		}
		if rep == nil || len(rep.Degraded()) == 0 {
			return false, fmt.Sprintf("missing %s was dropped silently: the report lists no degradation: %s", p, oneLine(rep))
		}
		return true, "reported: " + rep.Summary()
	}
}

func oneLine(r *report.Report) string {
	if r == nil {
		return "<nil>"
	}
	return strings.Join(strings.Fields(r.String()), " ")
}
