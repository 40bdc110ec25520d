//go:build linux

package pledge

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/promises"
)

// roleExec is argv[0] of the exec helper.
const roleExec = "pledgekit:exec"

// envStarted is set by the exec helper in the environment of the program
// it executes. It says that a filter of this package is in force there,
// which refuses what a supervisor needs (pidfd_getfd is in no promise):
// a pledge with PenaltyAbort in that program (or in a program it starts,
// which stays under the same filter) then uses PenaltyTrap without trying
// to start a supervisor, whose fork and exec the inherited filter may
// answer with its penalty (PenaltyKill: the program would die inside
// Pledge). Only honoured while the kernel says a filter is in force, it
// can only make a pledge choose PenaltyTrap: a forged value weakens
// nothing.
const envStarted = "PLEDGEKIT_STARTED_BY_COMMAND"

// Command returns an exec.Cmd that runs the program name with args under
// execpromises, the Linux way of giving an executed program its own
// promises.
//
// A seccomp filter survives execve and cannot be relaxed, so every program
// this process starts runs under its filter: OpenBSD's unrestricted
// children are impossible, and execpromises can only narrow. The returned
// command starts this program's own binary (/proc/self/exe) in a helper
// role (recognized before main runs, see the package doc), which finds
// name in $PATH, installs a filter for execpromises plus "exec" (the
// filter must let the helper's execve through; the started program can
// therefore execute others, within execpromises), and then executes name.
// A violation in the started program gets the penalty this process chose
// (PenaltyAbort becomes PenaltyTrap when this process's supervisor already
// holds the one notification listener a process may have); its calls
// outside this process's own promises get EPERM and a message from this
// process's supervisor. The helper adds PLEDGEKIT_STARTED_BY_COMMAND=1 to
// the program's environment: a Go program that pledges there with
// PenaltyAbort gets PenaltyTrap, without trying to start a supervisor
// under a filter that refuses it (see the package doc).
//
// execpromises must be within this process's promises (ErrExecWider) and
// within the execpromises set by Pledge, if any (ErrWiden): note that
// Pledge(p, "") sets them to none, as on OpenBSD; PledgePromises leaves
// them unset.
//
// Starting it needs the promises "proc exec" in this process, and "rpath"
// when name has no slash (the $PATH search). A dynamically linked program
// needs "rpath prot_exec" in execpromises to load its libraries. Errors
// (a malformed or wider execpromises) are returned by the command's Start,
// Run or Output (Cmd.Err). Fields such as Env, Dir, Stdin and ExtraFiles
// can be set as usual; Path and Args must be left alone.
func Command(execpromises string, name string, arg ...string) *exec.Cmd {
	cmd := &exec.Cmd{Path: selfExe}
	e, err := parseSet("execpromises", execpromises)
	if err == nil && name == "" {
		err = fmt.Errorf("pledge: Command: empty program name: %w", ErrInvalid)
	}
	if err != nil {
		cmd.Err = err
		return cmd
	}
	proc.mu.Lock()
	defer proc.mu.Unlock()
	switch {
	case proc.pledged && e.Beyond(proc.promises) != 0:
		err = fmt.Errorf("%w: execpromises %q allow %q beyond the promises %q", ErrExecWider, execpromises, e.Beyond(proc.promises).String(), proc.promises.String())
	case proc.execSet && !e.SubsetOf(proc.exec):
		err = fmt.Errorf("%w: %q would add %q to the execpromises %q", ErrWiden, execpromises, (e &^ proc.exec).String(), proc.exec.String())
	}
	if err != nil {
		cmd.Err = err
		return cmd
	}
	pen := proc.penalty
	if e.Has(promises.Error) {
		pen = PenaltyENOSYS
	} else if pen == PenaltyENOSYS {
		pen = PenaltyDefault
	}
	parent := "-:"
	if proc.enforcing {
		flag := "N"
		if proc.listener {
			flag = "L"
		}
		parent = flag + ":" + proc.enforced.String()
	}
	cmd.Args = append([]string{roleExec, e.String(), pen.String(), parent, name}, arg...)
	return cmd
}

// execHelperMain runs the exec helper role; it never returns.
// args: role, execpromises, penalty, parent state, name, arguments...
func execHelperMain(args []string) {
	fail := func(code int, err error) {
		fmt.Fprintf(os.Stderr, "pledge: %v\n", err)
		os.Exit(code)
	}
	if len(args) < 5 {
		fail(126, errors.New("exec helper: malformed arguments"))
	}
	e, err := promises.Parse(args[1])
	if err != nil {
		fail(126, fmt.Errorf("exec helper: %w", err))
	}
	pen, err := ParsePenalty(args[2])
	if err != nil {
		fail(126, fmt.Errorf("exec helper: %w", err))
	}
	flag, parentSet, _ := strings.Cut(args[3], ":")
	ps, err := promises.Parse(parentSet)
	if err != nil {
		fail(126, fmt.Errorf("exec helper: %w", err))
	}
	name, argv := args[4], args[4:]
	path := name
	if !strings.Contains(name, "/") {
		if path, err = exec.LookPath(name); err != nil {
			fail(127, fmt.Errorf("exec %s: %w (searching $PATH needs the promise \"rpath\" in the process that started it; give a path with a slash to skip the search)", name, err))
		}
	}
	// The filters of the process that started us are in force here; say
	// so only if the kernel agrees (a layered filter defers to them).
	if mode, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err == nil && mode == unix.SECCOMP_MODE_FILTER && flag != "-" {
		proc.enforcing, proc.enforced = true, ps
		proc.listener = flag == "L"
		// This helper runs under its parent's pledge already: no
		// supervisor can work here (see envStarted), and trying would
		// violate that filter.
		_ = os.Setenv(envStarted, "1")
	}
	if _, err := proc.apply(Options{Promises: e.With(promises.Exec).String(), Penalty: pen, Fallback: FallbackPenalty}); err != nil {
		fail(126, fmt.Errorf("exec %s: %w", name, err))
	}
	_ = os.Setenv(envStarted, "1")
	err = syscall.Exec(path, argv, os.Environ())
	fail(126, fmt.Errorf("exec %s: %w", path, err))
}
