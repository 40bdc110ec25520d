package pledge

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/pledgekit/pledgekit/unveil"
)

// Penalty is what happens when the process makes a system call its
// promises do not allow.
type Penalty uint8

// The penalties. The zero value, PenaltyDefault, is PenaltyAbort, or
// PenaltyENOSYS when the promises include "error" (as on OpenBSD).
const (
	// PenaltyDefault selects PenaltyAbort, or PenaltyENOSYS when the
	// promises include "error".
	PenaltyDefault Penalty = iota
	// PenaltyAbort prints one line on standard error naming the denied
	// call and the promise that would allow it, then ends the process
	// with SIGKILL. It needs a supervisor process (see the package doc);
	// where one cannot be used, PenaltyTrap stands in (if
	// Options.Fallback allows it) and the report says so.
	PenaltyAbort
	// PenaltyKill ends the process at once with SIGSYS
	// (SECCOMP_RET_KILL_PROCESS); nothing is printed, the kernel's audit
	// log records the call.
	PenaltyKill
	// PenaltyTrap delivers SIGSYS to the calling thread
	// (SECCOMP_RET_TRAP). A Go program crashes with "SIGSYS: bad system
	// call" and a goroutine traceback naming the function that made the
	// call; a C program dies of SIGSYS unless it handles it.
	PenaltyTrap
	// PenaltyEPERM makes the call fail with EPERM without running it.
	PenaltyEPERM
	// PenaltyENOSYS makes the call fail with ENOSYS without running it,
	// what OpenBSD's "error" promise does.
	PenaltyENOSYS
	// PenaltyLog lets the call run and has the kernel log it to the audit
	// log (SECCOMP_RET_LOG). It enforces nothing: use it to find the
	// promises a program needs.
	PenaltyLog
	numPenalties
)

var penaltyNames = [numPenalties]string{"default", "abort", "kill", "trap", "eperm", "enosys", "log"}

// String returns the penalty's name, as ParsePenalty accepts it.
func (p Penalty) String() string {
	if p < numPenalties {
		return penaltyNames[p]
	}
	return fmt.Sprintf("penalty(%d)", uint8(p))
}

// ParsePenalty returns the penalty named s ("abort", "kill", "trap",
// "eperm", "enosys", "log" or "default").
func ParsePenalty(s string) (Penalty, error) {
	for i, n := range penaltyNames {
		if n == s {
			return Penalty(i), nil
		}
	}
	return 0, fmt.Errorf("pledge: unknown penalty %q (want one of default abort kill trap eperm enosys log): %w", s, ErrInvalid)
}

// Enforces reports whether the penalty stops the call (every penalty but
// PenaltyLog).
func (p Penalty) Enforces() bool { return p != PenaltyLog }

// Fallback lists the protections Apply may weaken, instead of failing,
// when this kernel or environment cannot provide them. Every weakening is
// recorded in the returned report.
type Fallback uint8

const (
	// FallbackPenalty lets Apply use another penalty that still stops the
	// call when the requested one is unavailable: PenaltyAbort and
	// PenaltyKill fall back to PenaltyTrap.
	FallbackPenalty Fallback = 1 << iota
	// FallbackNoSeccomp lets Apply succeed without installing a filter
	// when the kernel cannot filter system calls at all (the report then
	// says Seccomp: false). The promise bookkeeping (narrowing only) still
	// applies.
	FallbackNoSeccomp
)

// Options is a pledge request for Apply.
type Options struct {
	// Promises is the new promise string, as for Pledge.
	Promises string
	// Execpromises are the promises for programs started with Command.
	Execpromises string
	// KeepPromises leaves the promises unchanged (Promises is ignored), as
	// a NULL promises argument does on OpenBSD.
	KeepPromises bool
	// KeepExecpromises leaves the execpromises unchanged (Execpromises is
	// ignored), as a NULL execpromises argument does on OpenBSD.
	KeepExecpromises bool
	// Penalty is what a violation does; see Penalty.
	Penalty Penalty
	// Fallback lists what may be weakened instead of failing; the zero
	// value weakens nothing.
	Fallback Fallback
	// Unveil, when not nil, is a Landlock layer (package unveil) that Apply
	// commits as part of the pledge: after the penalty is settled (and its
	// supervisor started, for PenaltyAbort) and before the filter is
	// installed, as a pledge commits pending unveils. Its report is merged
	// into Apply's; if it cannot be committed (an error from
	// unveil.Ruleset.Commit, which Apply wraps), no filter is installed.
	// It is committed even when Apply installs no filter (KeepPromises,
	// unchanged promises). After a pledge without "unveil", whose filter
	// denies the Landlock system calls, Apply fails with an error wrapping
	// unveil.ErrLocked and changes nothing; after one without "rpath",
	// whose filter forbids the stat(2) and O_PATH opens a commit makes,
	// with an error matching syscall.EPERM.
	//
	// Prefer it to calling Commit before Apply when the penalty is not
	// PenaltyAbort: a Commit before the first pledge cannot know the
	// penalty to come, so it starts the violation supervisor in case the
	// pledge needs it (a fork and exec of this binary, which the layer
	// might forbid later), and a pledge with another penalty then
	// discards it. Apply knows, and starts nothing it does not use.
	// Add the paths the promises imply with Ruleset.Implied if wanted;
	// Apply does not add them to this ruleset.
	Unveil *unveil.Ruleset
}

// errnoError is a sentinel error that also matches a syscall.Errno with
// errors.Is, so code written for golang.org/x/sys/unix.Pledge (which
// returns errnos) keeps working.
type errnoError struct {
	msg   string
	errno syscall.Errno
}

func (e *errnoError) Error() string        { return e.msg }
func (e *errnoError) Is(target error) bool { return target == e.errno }

// Errors Apply and the Pledge functions return; test with errors.Is.
// Errors from parsing a promise string wrap the promises package's errors
// (promises.ErrUnknown, ...) and syscall.EINVAL.
var (
	// ErrWiden: the request adds promises (or execpromises) to the current
	// ones. Promises can only be reduced. It matches syscall.EPERM, the
	// errno OpenBSD returns.
	ErrWiden error = &errnoError{"pledge: promises can only be reduced (attempt to add promises)", syscall.EPERM}
	// ErrExecWider: the execpromises allow more than the promises. On
	// Linux a program started from this process stays under this
	// process's filter, so it can never have more. It matches
	// syscall.EINVAL.
	ErrExecWider error = &errnoError{"pledge: execpromises exceed promises", syscall.EINVAL}
	// ErrInvalid: a malformed request (unknown penalty, conflicting
	// options). It matches syscall.EINVAL.
	ErrInvalid error = &errnoError{"pledge: invalid request", syscall.EINVAL}
	// ErrNoStdio: enforcing promises without "stdio" would end the
	// process inside Pledge, before it returns: the Go runtime calls futex,
	// nanosleep, read and write at any moment, and the library's own hand-
	// over of the filter does too. The smallest set a Go program can pledge
	// with an enforcing penalty is "stdio"; OpenBSD's pledge("", NULL)
	// (die at the next system call) has no Go equivalent. It matches
	// syscall.EINVAL. PenaltyLog, which enforces nothing, is not refused.
	ErrNoStdio error = &errnoError{`pledge: promises without "stdio" would end a Go program inside Pledge; "stdio" is the smallest set that works`, syscall.EINVAL}
	// ErrUnsupported: this system cannot enforce the request as asked. It
	// wraps errors.ErrUnsupported.
	ErrUnsupported = fmt.Errorf("pledge: %w", errors.ErrUnsupported)
)
