// Command unveil runs any program (glibc, musl, static, Go, Python, shell)
// under OpenBSD-style pledge promises (seccomp-bpf) and unveil paths
// (Landlock), without namespaces or privileges. Its command line is
// compatible with Cosmopolitan's pledge(1). See README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/policy"
)

const usageText = `unveil: run a program under pledge promises and unveiled paths

Usage:
  unveil [OPTIONS] [--] PROGRAM [ARGS...]
  unveil learn [--format flags|policy] [--] PROGRAM [ARGS...]
  unveil explain [--arch ARCH] [--bpf] SYSCALL|NUMBER...
  unveil probe [--json]
  unveil policy resolve FILE...

The program starts already restricted: a seccomp filter allows only the
system calls its promises name (others fail with EPERM, with ENOSYS under
the "error" promise, or kill with -k), and Landlock hides every file that
is not unveiled (-V turns that off). The program itself, its ELF
interpreter and shared libraries (read from the ELF file, recursively), a
#! interpreter, and the files its promises imply (/dev/null for stdio,
/etc/resolv.conf for dns, ...) are unveiled for you;
-v and --policy add paths. Under the veil the program cannot connect to
abstract unix sockets or signal processes outside it (signals: unless
proc is promised; --no-scope turns both off). LD_PRELOAD, LD_AUDIT and
_PLEDGE are removed from its environment.
unveil becomes the program (same pid, same parent). By default a supervisor
process on the side prints one line per denied call, naming the promise that
would allow it; -q (or --exec) runs no supervisor: denied calls fail silently.

Options (compatible with Cosmopolitan's pledge):
  -p PROMISES    promises, space separated; repeatable (default "stdio rpath")
  -v [PERM:]PATH unveil PATH with PERM letters from rwxc (default r), split at
                 the first ':' (a path with ':' needs PERM); repeatable
  -V             no veil: hide nothing (seccomp only)
  -k             kill the program on a denied call instead of failing it (EPERM;
                 not with the "error" promise, which asks for ENOSYS)
  -q             quiet: no warnings, no denial messages (execs directly)
  -u UID|USER    switch user (after setgroups and setgid), verified afterwards
  -g GID|GROUP   switch group
  -C SECS        CPU time limit (RLIMIT_CPU)
  -M BYTES       address space limit (RLIMIT_AS; default: total RAM + swap,
                 at least 4g, since Go and Java reserve more than they use)
  -O FILES       descriptor limit (RLIMIT_NOFILE; default 64)
  -P PROCS       process limit (RLIMIT_NPROC; default CPUs + running processes)
  -F BYTES       file size limit (RLIMIT_FSIZE; default 256000000, hard 1.5x)
  -N             do not normalise descriptors (default: 0-2 opened on /dev/null
                 if closed, all others closed at exec)
  -n             lowest CPU and I/O priority (nice 19, SCHED_IDLE, idle I/O)
  -T pledge|unveil  exit 0 if this kernel can enforce it, 1 if not
  Sizes take k, m, g suffixes (base 1024).

More options:
  --policy FILE       read promises, unveils, ports and raw Landlock rules from a
                      policy file (TOML or JSON, Landlock Config compatible);
                      repeatable, files are composed
  --tcp-connect PORT  allow TCP connect to PORT only (repeatable, or a,b,c)
  --tcp-bind PORT     allow TCP bind to PORT only (repeatable, or a,b,c)
  --udp-connect PORT  allow UDP connect/send to PORT only (Landlock ABI 10)
  --udp-bind PORT     allow UDP bind to PORT only (ABI 10); 0: a kernel-chosen
                      port, also the implicit bind of an unbound socket's first send
  --clearenv          start the program with an empty environment
  --env NAME[=VALUE]  set NAME, or keep NAME from our environment (repeatable)
  --no-scope          under the veil, allow abstract unix sockets and signals
                      towards processes outside it (as far as promises allow)
  --strict            refuse to run when anything asked cannot be enforced
  --trace             also show path calls Landlock will refuse, and execs
  --report            print what is enforced before running (--json: as JSON)
  --exec              exec the program directly (no supervisor, no messages)
  --keep-caps         do not empty the capability bounding and ambient sets
  --json              machine-readable output (probe, policy, --report)
  -h, --help          this help;  --version  the version

Examples:
  unveil -p 'stdio rpath' -- cat /etc/hostname
  unveil -p 'stdio rpath wpath cpath' -v /etc -v rwc:/tmp/out -- cp /etc/hosts /tmp/out/
  unveil -p 'stdio rpath inet dns' --tcp-connect 443 -- curl -sO https://example.org/
  unveil learn -- python3 script.py      # prints the command line to use next
  unveil explain openat                  # which promise allows openat, and when

Exit status: the program's own (it is the same process). Otherwise:
  126  the program cannot be executed     127  the program was not found
   64  bad command line                    21  bad promise string
   20  bad -v path or permission           22  bad --policy file
   19  the sandbox could not be applied, or --strict refused to run
  125  unveil itself failed
`

func version() string {
	v := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("unveil (pledgekit) %s %s/%s", v, runtime.GOOS, runtime.GOARCH)
}

func main() {
	if os.Getenv(sideEnv) != "" {
		os.Exit(sideMain())
	}
	growStack()
	if os.Getenv(stageEnv) != "" {
		os.Exit(stageMain())
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func reportErr(stderr io.Writer, err error) int {
	var e *exitError
	if errors.As(err, &e) {
		fmt.Fprintf(stderr, "unveil: %v\n", e.err)
		return e.code
	}
	if errors.Is(err, errUsage) {
		fmt.Fprintf(stderr, "unveil: %v\nRun 'unveil --help' for usage.\n", strings.TrimSuffix(err.Error(), ": usage"))
		return exitUsage
	}
	fmt.Fprintf(stderr, "unveil: %v\n", err)
	return exitInternal
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "probe":
			c, err := parseArgs(args[1:], []option{{0, "json", false, func(c *config, _ string) error { c.json = true; return nil }}})
			if err != nil {
				return reportErr(stderr, err)
			}
			r := probe.Get()
			if c.json {
				b, err := r.JSON()
				if err != nil {
					return reportErr(stderr, err)
				}
				stdout.Write(append(b, '\n'))
				return exitOK
			}
			r.WriteTable(stdout)
			return exitOK
		case "explain":
			c, err := parseArgs(args[1:], explainOptions)
			if err != nil {
				return reportErr(stderr, err)
			}
			if len(c.argv) == 0 {
				return reportErr(stderr, fmt.Errorf("explain needs a syscall name or number: %w", errUsage))
			}
			if err := explain(stdout, c); err != nil {
				return reportErr(stderr, err)
			}
			return exitOK
		case "policy":
			if len(args) < 3 || args[1] != "resolve" {
				return reportErr(stderr, fmt.Errorf("want: unveil policy resolve FILE...: %w", errUsage))
			}
			r, err := policy.Load(args[2:]...)
			if err != nil {
				return reportErr(stderr, fail(exitPolicy, "%v", err))
			}
			b, err := r.JSON()
			if err != nil {
				return reportErr(stderr, err)
			}
			stdout.Write(append(b, '\n'))
			return exitOK
		case "learn":
			c, err := parseArgs(args[1:], append(append([]option(nil), options...), learnOptions...))
			if err != nil {
				return reportErr(stderr, err)
			}
			if err := learn(c, stdout, stderr); err != nil {
				return reportErr(stderr, err)
			}
			return exitOK
		}
	}
	c, err := parseArgs(args, options)
	if err != nil {
		return reportErr(stderr, err)
	}
	switch {
	case c.help:
		io.WriteString(stdout, usageText)
		return exitOK
	case c.version:
		fmt.Fprintln(stdout, version())
		return exitOK
	case c.test != "":
		r := probe.Get()
		switch c.test {
		case "pledge":
			if r.Seccomp {
				return 0
			}
			return 1
		case "unveil":
			if r.LandlockABI > 0 {
				return 0
			}
			return 1
		}
		fmt.Fprintf(stderr, "unveil: -T %s: want pledge or unveil\n", c.test)
		return 2
	}
	return runProgram(c, stdout, stderr)
}

func runProgram(c *config, stdout, stderr io.Writer) int {
	pr := probe.Get()
	m := modeSupervised
	if c.quiet || c.direct || !pr.SeccompFlags[probe.FlagNewListener] || !pr.SeccompActions[probe.ActionUserNotif] {
		m = modeDirect
	}
	var sd *side
	if m == modeSupervised {
		var err error
		if sd, err = newSide(); err != nil {
			return reportErr(stderr, fail(exitInternal, "%v", err))
		}
	}
	p, err := buildPlan(c, m)
	if err != nil {
		if sd != nil {
			sd.abandon()
		}
		return reportErr(stderr, err)
	}
	if m == modeDirect && c.trace && !c.quiet {
		p.rep.Add("supervisor", "--trace", "dropped", "this kernel has no seccomp user notification (Linux 5.0+)")
	}
	// What the program will run under: the process that executes it sets
	// no_new_privs or fails, then enforces every layer and the filter, or
	// fails.
	p.rep.NoNewPrivs = true
	p.rep.Seccomp = p.Filtered
	p.rep.Landlock = len(p.Layers) > 0
	// The process that enforces prints the report and the warning once
	// Landlock took the layers (plan.announce).
	p.Report = p.rep
	p.Show = outputOpts{Report: c.report, JSON: c.json, Strict: c.strict, Quiet: c.quiet}
	if m == modeDirect {
		err := p.apply()
		return reportErr(stderr, err)
	}
	// Supervised: this process applies the plan and executes the
	// program, as in direct mode; the supervisor gets the listener.
	if runtime.GOMAXPROCS(0) < 2 {
		// The thread that answers this process's own execve must get a
		// P while the main thread waits in that execve.
		runtime.GOMAXPROCS(2)
	}
	// Start the supervisor now that the plan is made: started before the
	// planning, its start competed with the planning for the processors
	// and slowed it down more than the overlap saved. It executes unveil
	// only once the program needs it (sidewait_linux.go).
	// Where the program could reach the supervisor before it makes itself
	// not dumpable, it executes unveil at once and this process waits for
	// it (sideRisky).
	risky := p.sideRisky()
	data, err := encodeSideMsg(newSideMsg(p, os.Getpid()))
	if err != nil {
		err = fmt.Errorf("encoding the supervisor's message: %w", err)
	}
	if err == nil {
		err = sd.start()
	}
	if err == nil && risky {
		err = sd.startNow()
	}
	if err == nil {
		err = sd.send(data)
	}
	if err == nil && risky {
		err = sd.waitReady()
	}
	if err != nil {
		sd.abandon()
		return reportErr(stderr, fail(exitInternal, "%v", err))
	}
	err = p.applyWith(sd)
	sd.abandon()
	return reportErr(stderr, err)
}

// stackDepth is read by growStack (a variable, so that the compiler keeps
// the array).
var stackDepth = 1

// growStack makes the goroutine's stack as large as launching needs, once,
// while it holds two frames: grown later, deep in planning (the plan's
// frames pass 8 KiB), the runtime copied every frame and adjusted each
// with the function tables, cold at that point.
//
//go:noinline
func growStack() byte {
	var b [12 << 10]byte
	b[stackDepth] = 1
	return b[len(b)-stackDepth]
}
