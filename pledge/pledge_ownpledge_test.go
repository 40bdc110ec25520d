//go:build linux

package pledge_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/loader"
	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	preport "github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

// startedEnv marks the test binary started by a pledged program (with
// pledge.Command or under the unveil command): it plays the started Go
// program that pledges itself.
const startedEnv = "PLEDGEKIT_PLEDGE_TEST_STARTED"

// startedPledges is the started program: it pledges narrower than what it
// inherited ("stdio" without the "rpath" it was given), prints the
// penalty items of its report, and reads a file, a call only its own
// pledge removed.
func startedPledges() {
	rep, err := pledge.Apply(pledge.Options{Promises: "stdio", Fallback: pledge.FallbackPenalty})
	if err != nil {
		testproc.Fatalf("started program: pledge: %v", err)
	}
	for _, it := range rep.Items {
		if it.Layer == preport.LayerSeccomp {
			report("started: %s: %s: %s", it.What, it.Status, it.Reason)
		}
	}
	report("started: pledged")
	_, err = os.ReadFile("/proc/version")
	report("started: read after the pledge: %v", err)
}

// wantStartedTrapped checks the started program's end: a pledge whose
// report says why its penalty is trap (why), no denial of pledgekit's own
// start-up (no supervisor was tried where none could work), and SIGSYS at
// the read the pledge removed.
func wantStartedTrapped(t *testing.T, r *testproc.Result, why string) {
	t.Helper()
	wantStdout(t, r, "started: pledged")
	if !strings.Contains(r.Stdout, "penalty abort: partial: penalty trap instead: ") || !strings.Contains(r.Stdout, why) {
		t.Fatalf("the report does not say why the penalty is trap (want %q)\n%s", why, r)
	}
	if strings.Contains(r.Stdout, "read after the pledge") {
		t.Fatalf("the read went on after a pledge without rpath\n%s", r)
	}
	if strings.Contains(r.Stderr, "denied") || strings.Contains(r.Stderr, "/dev/null") {
		t.Fatalf("a denial at the started program's pledge: it tried to start a supervisor it cannot have\n%s", r)
	}
	if !strings.Contains(r.Stderr, "SIGSYS") || !strings.Contains(r.Stderr, "os.ReadFile") {
		t.Fatalf("want the trap at the read (SIGSYS naming os.ReadFile)\n%s", r)
	}
}

// underCommand runs the started program (startedPledges) with Command
// from a program pledged with penalty pen.
func underCommand(t *testing.T, pen pledge.Penalty) *testproc.Result {
	t.Helper()
	r := testproc.Run(t, "command", func() {
		if os.Getenv(startedEnv) != "" {
			startedPledges()
			return
		}
		mustApply(pledge.Options{Promises: "stdio rpath proc exec prot_exec", Execpromises: "stdio rpath prot_exec", Penalty: pen})
		exe, err := os.Executable()
		if err != nil {
			testproc.Fatalf("parent: %v", err)
		}
		cmd := pledge.Command("stdio rpath prot_exec", exe, os.Args[1:]...)
		cmd.Env = append(os.Environ(), startedEnv+"=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		report("parent: started program: %v", cmd.Run())
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "parent: started program: exit status 2")
	return r
}

// A Go program started with Command by a pledged program pledges
// narrower: the pledge must not try to start a supervisor (its fork, exec
// and /dev/null opens are violations of the inherited filter, which
// refuses pidfd_getfd anyway), must say why it uses PenaltyTrap, and the
// call it removed must end the program. With PenaltyAbort in the parent,
// the parent's supervisor holds the listener; with PenaltyKill, trying to
// start a supervisor would end the started program inside its pledge.
func TestCommandStartedProgramPledges(t *testing.T) {
	for _, pen := range []pledge.Penalty{pledge.PenaltyAbort, pledge.PenaltyKill, pledge.PenaltyEPERM} {
		t.Run(pen.String(), func(t *testing.T) {
			wantStartedTrapped(t, underCommand(t, pen), "started by pledge.Command")
		})
	}
}

// A program that executes itself after pledging with PenaltyAbort keeps
// its supervisor, which holds the listener of the filter the new image
// inherits: its pledge must say so and not try to start another.
func TestExecutedAfterPledgePledges(t *testing.T) {
	r := testproc.Run(t, "executed", inherited(func() {
		if err := pledge.Pledge("stdio rpath exec prot_exec", "stdio rpath prot_exec"); err != nil {
			testproc.Fatalf("first pledge: %v", err)
		}
	}, startedPledges))
	wantStartedTrapped(t, r, "holds the process's one notification listener")
}

// buildUnveil builds the unveil command for a test that runs a program
// under it (the go tool's cache makes a second build a link).
func buildUnveil(t *testing.T) string {
	t.Helper()
	// The kernel matrix (ci/matrix) has no Go toolchain in its guests; it
	// puts a build of the command next to the test binaries when
	// ./cmd/unveil is among the packages it runs.
	if os.Getenv("PLEDGEKIT_MATRIX") != "" {
		prebuilt := filepath.Join(filepath.Dir(os.Args[0]), "unveil")
		if _, err := os.Stat(prebuilt); err == nil {
			return prebuilt
		}
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool to build cmd/unveil")
	}
	path := filepath.Join(t.TempDir(), "unveil")
	if out, err := exec.Command("go", "build", "-o", path, "../cmd/unveil").CombinedOutput(); err != nil {
		t.Fatalf("building cmd/unveil: %v\n%s", err, out)
	}
	return path
}

// unveilBinEnv passes the unveil command built by the test to its
// scenario.
const unveilBinEnv = "PLEDGEKIT_PLEDGE_TEST_UNVEIL"

// underUnveil runs the started program (startedPledges) under the unveil
// command with args before "--".
func underUnveil(t *testing.T, bin string, args ...string) *testproc.Result {
	t.Helper()
	return underUnveilRun(t, bin, startedPledges, args...)
}

// unveilFor returns the unveil command for a test: built in the test
// process, passed to its scenarios in the environment.
func unveilFor(t *testing.T) string {
	if testproc.InChild() {
		return os.Getenv(unveilBinEnv)
	}
	return buildUnveil(t)
}

// underUnveilRun runs started under the unveil command bin with args
// before "--".
func underUnveilRun(t *testing.T, bin string, started func(), args ...string) *testproc.Result {
	t.Helper()
	r := testproc.Run(t, "unveil", func() {
		if os.Getenv(startedEnv) != "" {
			started()
			return
		}
		exe, err := os.Executable()
		if err != nil {
			testproc.Fatalf("parent: %v", err)
		}
		cmd := exec.Command(bin, append(append(args, "--", exe), os.Args[1:]...)...)
		cmd.Env = append(os.Environ(), startedEnv+"=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		report("parent: started program: %v", cmd.Run())
	}, testproc.WithEnv(unveilBinEnv+"="+bin))
	if !r.Exited(0) {
		t.Fatal(r)
	}
	return r
}

// A Go program run under the unveil command pledges narrower. By
// default the command supervises (it holds the listener and answers
// refused calls with a message and EPERM): the pledge must not try to
// start a supervisor, and says why it uses PenaltyTrap (abort asks the
// process to stop; the command's EPERM would let it go on). Under -q the
// filter holds no listener and answers with EPERM alone: the supervisor
// cannot start (the filter refuses its fork), and the report says that.
// Either way the call the pledge removed ends the program.
func TestUnveilCommandStartedProgramPledges(t *testing.T) {
	bin := unveilFor(t)
	for _, c := range []struct {
		name string
		args []string
		why  string
	}{
		{"supervised", nil, "holds the process's one notification listener"},
		{"quiet", []string{"-q"}, "a seccomp filter this program inherited is in force, and the supervisor could not be started under it"},
		{"quiet proc exec", []string{"-q", "-p", "proc exec"}, "a seccomp filter this program inherited is in force, and the supervisor could not be started under it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := underUnveil(t, bin, append(c.args, "-p", "stdio rpath prot_exec", "-v", "r:/proc")...)
			wantStdout(t, r, "parent: started program: exit status 2")
			wantStartedTrapped(t, r, c.why)
		})
	}
}

// A filter this program inherited that holds no listener and refuses
// nothing a supervisor needs (a container runtime's, as Docker's profile)
// leaves PenaltyAbort available: the pledge asks the kernel about the
// listener (on a thread of its own, which must not keep the filter from
// reaching every thread), starts its supervisor, and a violation is
// reported and ends the process.
func TestForeignFilterKeepsAbort(t *testing.T) {
	r := testproc.Run(t, "foreign", inherited(func() {
		allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
		if _, err := loader.Install(allow, loader.TSync); err != nil {
			testproc.Fatalf("install: %v", err)
		}
	}, func() {
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio", Fallback: pledge.FallbackPenalty})
		if err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		said := false
		for _, it := range rep.Items {
			said = said || (it.Layer == preport.LayerSeccomp && strings.HasPrefix(it.What, "filter ") && strings.Contains(it.Reason, "penalty abort;"))
			// The filter's item ("filter N for ...") says the penalty in force;
			// a "penalty abort" item says abort fell back. Other seccomp
			// items (rules for calls an arch lacks) say nothing of it.
			if it.Layer == preport.LayerSeccomp && (it.What == "penalty abort" || (strings.HasPrefix(it.What, "filter ") && !strings.Contains(it.Reason, "penalty abort;"))) {
				testproc.Fatalf("the pledge under a foreign filter lost PenaltyAbort: %s: %s", it.What, it.Reason)
			}
		}
		if !said {
			testproc.Fatalf("no item of the filter says penalty abort: %v", rep.Items)
		}
		report("pledged")
		os.ReadFile("/proc/version")
		report("read after the pledge")
	}))
	wantStdout(t, r, "pledged")
	wantAbort(t, r, "openat", `needs promise "rpath"`, "killing the process")
}

// startedUnveils is a started program that unveils under the "unveil"
// promise it was given, then pledges narrower (keeping "rpath").
func startedUnveils() {
	if err := unveil.Unveil("/proc", "r"); err != nil {
		testproc.Fatalf("started program: Unveil: %v", err)
	}
	if err := unveil.UnveilBlock(); err != nil {
		testproc.Fatalf("started program: UnveilBlock: %v", err)
	}
	_, err := os.ReadFile("/proc/version")
	report("started: inside: %s", testproc.ErrnoName(err))
	_, err = os.ReadFile("/etc/passwd")
	report("started: outside: %s", testproc.ErrnoName(err))
	report("started: pledge: %v", pledge.Pledge("stdio rpath", ""))
	_, err = os.ReadFile("/proc/version")
	report("started: inside after the pledge: %s", testproc.ErrnoName(err))
}

// A program started by a pledged one whose promises include "unveil"
// unveils (UnveilBlock) and pledges again: every call works, the layer
// holds, and nothing of pledgekit's start-up is denied (the commit starts
// no supervisor under the inherited filter).
func TestStartedProgramUnveils(t *testing.T) {
	if os.Getenv(startedEnv) == "" && probe.Get().LandlockABI == 0 {
		t.Skip("Landlock is unavailable: UnveilBlock refuses to run without it, which package unveil tests")
	}
	want := []string{"started: inside: success", "started: outside: EACCES", "started: pledge: <nil>", "started: inside after the pledge: success"}
	t.Run("command", func(t *testing.T) {
		r := testproc.Run(t, "command", func() {
			if os.Getenv(startedEnv) != "" {
				startedUnveils()
				return
			}
			mustApply(pledge.Options{Promises: "stdio rpath proc exec prot_exec unveil", Execpromises: "stdio rpath prot_exec unveil"})
			exe, err := os.Executable()
			if err != nil {
				testproc.Fatalf("parent: %v", err)
			}
			cmd := pledge.Command("stdio rpath prot_exec unveil", exe, os.Args[1:]...)
			cmd.Env = append(os.Environ(), startedEnv+"=1")
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			report("parent: started program: %v", cmd.Run())
		})
		wantStdout(t, r, append(want, "parent: started program: <nil>")...)
		if strings.Contains(r.Stderr, "denied") {
			t.Fatalf("a denial in the started program\n%s", r)
		}
	})
	t.Run("unveil command", func(t *testing.T) {
		r := underUnveilRun(t, unveilFor(t), startedUnveils, "-p", "stdio rpath prot_exec unveil", "-v", "r:/proc", "-v", "r:/etc")
		wantStdout(t, r, append(want, "parent: started program: <nil>")...)
		if strings.Contains(r.Stderr, "denied") {
			t.Fatalf("a denial in the started program\n%s", r)
		}
	})
}

// Command from a process whose PenaltyAbort pledge fell back to
// PenaltyTrap (here: a filter installed before held the listener, closed
// since): its helper runs under that pledgekit filter, which refuses pidfd_getfd with
// SIGSYS, so it must not start a supervisor of its own (the supervisor
// would crash with a Go traceback); the program runs.
func TestCommandFromTrappedParent(t *testing.T) {
	needPrograms(t, "/bin/true")
	r := testproc.Run(t, "trapped", func() {
		allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
		fd, err := loader.Install(allow, loader.TSync|loader.TSyncESRCH|loader.NewListener)
		if err != nil {
			testproc.Fatalf("install: %v", err)
		}
		rep, err := pledge.Apply(pledge.Options{Promises: "stdio rpath proc exec prot_exec", Execpromises: "stdio rpath prot_exec", Fallback: pledge.FallbackPenalty})
		if err != nil {
			testproc.Fatalf("pledge: %v", err)
		}
		if !strings.Contains(rep.Summary(), "penalty trap instead") {
			testproc.Fatalf("the parent's pledge is not trap: %s", rep)
		}
		// No listener is held now: only the filters can stop the helper.
		unix.Close(fd)
		cmd := pledge.Command("stdio rpath prot_exec", "/bin/true")
		// Not /dev/null (os/exec's default): opening it for writing
		// needs wpath.
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
		report("true: %v", cmd.Run())
	})
	if !r.Exited(0) {
		t.Fatal(r)
	}
	wantStdout(t, r, "true: <nil>")
	if strings.Contains(r.Stderr, "SIGSYS") || strings.Contains(r.Stderr, "denied") {
		t.Fatalf("the helper tried a supervisor under its parent's filter\n%s", r)
	}
}
