//go:build linux

package engine

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/loader"
	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/probe"
)

// Scope says which threads a Plan restricts.
type Scope uint8

const (
	// Process restricts every thread of the process: the filter with
	// SECCOMP_FILTER_FLAG_TSYNC, Landlock with LANDLOCK_RESTRICT_SELF_TSYNC
	// (ABI 8) or a psx round below it. For a running Go program, whose
	// goroutines move between threads.
	Process Scope = iota
	// Thread restricts the calling OS thread alone, for a launcher that
	// executes a program next from the same goroutine: Apply locks the
	// goroutine to the thread for good (runtime.LockOSThread, never
	// undone), so that the Go runtime never hands the restricted thread
	// to another goroutine.
	Thread
)

// Ruleset is one Landlock layer, resolved: the handled rights and scopes
// (internal/llaccess bits), the network rules, and the filesystem rules
// by path, each with the rights it grants beneath it.
type Ruleset struct {
	HandledFS  uint64
	HandledNet uint64
	Scoped     uint64
	Net        []NetRule
	Paths      []PathRule
}

// NetRule grants Rights (LANDLOCK_ACCESS_NET_* bits, all handled) on Port.
type NetRule struct {
	Port   uint16
	Rights uint64
}

// PathRule grants Rights (LANDLOCK_ACCESS_FS_* bits) beneath Path. File,
// when set, is an O_PATH descriptor of Path opened earlier (before a
// pledge that forbids opening paths); otherwise Path is opened at Apply.
type PathRule struct {
	Path   string
	Rights uint64
	File   *os.File
}

// Layer is one Landlock layer of a Plan: a resolved Ruleset, or a commit
// prepared by package unveil (Commit), which resolves its rules and calls
// Apply itself with one Ruleset of the same Scope.
type Layer struct {
	Ruleset *Ruleset
	Commit  func() error
}

// Listener says what Apply does with the filter's notification listener.
type Listener uint8

const (
	// ListenerNone: the filter has no listener.
	ListenerNone Listener = iota
	// ListenerKeep: Apply returns the listener in Result.ListenerFd
	// (close-on-exec); the caller hands it to its supervisor and closes it.
	ListenerKeep
	// ListenerSend: Apply sends the listener over the unix socket
	// Filter.SendTo (which the filter must let sendmsg use) and closes
	// it, so that the confined process never holds it.
	ListenerSend
)

// Filter is the seccomp filter of a Plan.
type Filter struct {
	Prog []unix.SockFilter
	// ESRCH asks for SECCOMP_FILTER_FLAG_TSYNC_ESRCH (Linux 5.7), which a
	// listener with TSYNC needs (Process scope only).
	ESRCH    bool
	Listener Listener
	SendTo   int // ListenerSend: the socket descriptor
}

// Plan is what Apply does, in its order: no_new_privs (NoNewPrivs), the
// supervisor pre-start (when a Process-scope Landlock layer may forbid
// starting it later), the Landlock layers in order, BeforeFilter, the
// seccomp filter and its listener.
type Plan struct {
	Scope Scope
	// NoNewPrivs sets no_new_privs on the calling thread first. The
	// Landlock and seccomp steps set it themselves where they need it
	// (every thread for Process scope); a launcher sets it first so that
	// no program it executes gains privileges even without a layer.
	NoNewPrivs bool
	Landlock   []Layer
	// BeforeFilter runs after the Landlock layers and right before the
	// filter, with nothing allocated in between (a launcher sets its
	// address space limit there).
	BeforeFilter func() error
	Filter       *Filter
	// Probe is what the kernel can do; nil means probe.Get().
	Probe *probe.Result
}

// Step names the steps of Apply, for Result.Failed.
type Step uint8

// The steps, in Apply's order.
const (
	StepNone Step = iota
	StepNoNewPrivs
	StepLandlock
	StepBeforeFilter
	StepFilter
	StepListener
)

// Result is what Apply did.
type Result struct {
	// Failed is the step that failed (StepNone on success): the steps
	// before it are in force, nothing after it was done.
	Failed Step
	// Layers counts the Landlock layers enforced.
	Layers int
	// ListenerFd is the listener for ListenerKeep, -1 otherwise.
	ListenerFd int
}

// Apply carries out plan. Errors of Commit and BeforeFilter are returned
// as they are; the kernel's are wrapped with what was asked. On error,
// Result.Failed says which step failed; the earlier ones stay in force
// (a restriction cannot be undone).
func Apply(plan *Plan) (*Result, error) {
	res := &Result{ListenerFd: -1}
	if plan.Scope == Thread {
		runtime.LockOSThread() // never unlocked: see Thread
	}
	if plan.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			res.Failed = StepNoNewPrivs
			return res, fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
		}
	}
	for _, l := range plan.Landlock {
		var err error
		switch {
		case l.Ruleset != nil:
			pr := plan.Probe
			if pr == nil {
				pr = probe.Get()
			}
			if plan.Scope == Process && prestartNeeded(pr, l.Ruleset.HandledFS) {
				prestart()
			}
			err = enforce(l.Ruleset, plan.Scope == Thread, pr)
		case l.Commit != nil:
			err = l.Commit()
		}
		if err != nil {
			res.Failed = StepLandlock
			return res, err
		}
		res.Layers++
	}
	if plan.BeforeFilter != nil {
		if err := plan.BeforeFilter(); err != nil {
			res.Failed = StepBeforeFilter
			return res, err
		}
	}
	f := plan.Filter
	if f == nil {
		return res, nil
	}
	var flags loader.Flags
	if plan.Scope == Process {
		flags |= loader.TSync
		if f.ESRCH {
			flags |= loader.TSyncESRCH
		}
	}
	if f.Listener != ListenerNone {
		flags |= loader.NewListener
	}
	fd, err := loader.Install(f.Prog, flags)
	if err != nil {
		res.Failed = StepFilter
		return res, err
	}
	switch f.Listener {
	case ListenerKeep:
		res.ListenerFd = fd
	case ListenerSend:
		err := notify.SendFd(f.SendTo, fd)
		unix.Close(fd)
		if err != nil {
			res.Failed = StepListener
			return res, fmt.Errorf("sending the seccomp listener over descriptor %d: %w", f.SendTo, err)
		}
	}
	return res, nil
}
