//go:build linux

package pledge

import (
	"fmt"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/internal/loader"
)

// sockFilters converts raw classic BPF to the kernel's struct sock_filter.
func sockFilters(raw []bpf.RawInstruction) []unix.SockFilter {
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out
}

// errThreadSync is wrapped by install's error when a thread of the process
// could not be given the filter.
var errThreadSync = loader.ErrThreadSync

// filterPlan is the engine's filter for prog on every thread of the
// process: no_new_privs, then SECCOMP_FILTER_FLAG_TSYNC on one locked OS
// thread, so that every thread, including threads locked to goroutines and
// threads started by C code, gets the filter (the kernel copies
// no_new_privs to them as well). With esrch it adds TSYNC_ESRCH (Linux
// 5.7) so that a thread that cannot be synchronized is reported as ESRCH;
// without it the kernel reports that thread's ID as a positive return
// value, which the loader checks too (both wrap errThreadSync). With
// listener it asks for a notification listener (NEW_LISTENER, which the
// kernel combines with TSYNC only together with TSYNC_ESRCH), which the
// engine returns (close-on-exec) for the supervisor.
func filterPlan(prog []unix.SockFilter, esrch, listener bool) *engine.Filter {
	f := &engine.Filter{Prog: prog, ESRCH: esrch}
	if listener {
		f.Listener = engine.ListenerKeep
	}
	return f
}

// install installs prog through the engine with nothing before it (see
// filterPlan) and returns the listener descriptor, or -1.
//
// A failure is always an error: no filter is installed then.
func install(prog []unix.SockFilter, esrch, listener bool) (int, error) {
	res, err := engine.Apply(&engine.Plan{Scope: engine.Process, Filter: filterPlan(prog, esrch, listener)})
	if err != nil {
		return -1, fmt.Errorf("pledge: %w", err)
	}
	return res.ListenerFd, nil
}
