// Command downloader is a privilege-separated, sandboxed file downloader:
// pacman 7's download sandbox, done in Go with pledgekit.
//
// A privileged parent (root, or any user) prepares a private temporary
// directory in the cache and re-executes itself as a downloader child.
// The child sets no_new_privs, switches to an unprivileged user (when
// root) and verifies the switch, confines itself with Landlock (read-only
// system files, write only the temporary directory, connect only to the
// mirrors' ports) and seccomp (pledge "stdio rpath wpath cpath inet dns"),
// and only then touches the network. It reports progress over a pipe in a
// small, strictly checked binary format. The parent checks size and
// SHA-256 of each file, has the Ed25519 signatures checked by a second,
// network-less sandboxed child, and moves the files into the cache.
//
// Try it:
//
//	go run ./examples/downloader --demo
//	go run ./examples/downloader --demo-attack
//
// See README.md for the design and how it avoids pacman's sandbox bugs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if role := os.Getenv(roleEnv); role != "" {
		os.Exit(childMain(role))
	}
	os.Exit(cliMain(os.Args[1:], os.Stdout, os.Stderr))
}

// childMain runs a child role in a re-executed binary.
func childMain(role string) int {
	switch role {
	case roleFetch:
		return fetchMain()
	case roleVerify:
		return verifyMain()
	}
	fmt.Fprintf(os.Stderr, "downloader: unknown child role %q\n", role)
	return 2
}

// Exit codes.
const (
	exitOK          = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
	// exitChildFatal: a child role gave up (it said why over the pipe).
	exitChildFatal = 3
)

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

const usageText = `usage: downloader [flags] --list FILE --cache DIR
       downloader --demo | --demo-attack

Downloads the files of a download list into a cache directory from HTTP(S)
mirrors, in a privilege-separated, sandboxed child. See README.md.

Flags:
`

func cliMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("downloader", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts        Options
		mirrors     stringList
		jsonOut     bool
		demo        bool
		demoAttack  bool
		showVersion bool
	)
	fs.StringVar(&opts.Cache, "cache", "", "the cache directory `DIR`; the temporary download directory is made inside it")
	fs.StringVar(&opts.ListFile, "list", "", "download list `FILE` (TOML, see README.md)")
	fs.Var(&mirrors, "mirror", "extra mirror base `URL` (repeatable); <URL>/<name> is fetched")
	fs.StringVar(&opts.User, "user", "", "the unprivileged `user` (NAME or UID) the downloader runs as when started as root (default: an unused uid allocated for the run; a shared user such as nobody only when named here)")
	fs.IntVar(&opts.Parallel, "parallel", 4, "parallel downloads `N`")
	fs.StringVar(&opts.KeyFile, "key", "", "Ed25519 public key `FILE` (base64) for signed files")
	fs.StringVar(&opts.CAFile, "ca", "", "trust only the CA certificates in this PEM `FILE` (default: system store)")
	fs.BoolVar(&opts.DisableSandbox, "disable-sandbox", false, "run the downloader without Landlock and seccomp (the user switch still applies)")
	fs.BoolVar(&opts.RequireSandbox, "require-sandbox", false, "refuse to download unless Landlock and seccomp are fully enforced")
	fs.BoolVar(&jsonOut, "json", false, "print a machine-readable result on stdout")
	fs.BoolVar(&opts.Quiet, "q", false, "quiet: no progress, only errors")
	fs.BoolVar(&opts.Quiet, "quiet", false, "same as -q")
	fs.BoolVar(&opts.Verbose, "v", false, "verbose: print the full sandbox report")
	fs.DurationVar(&opts.ConnectTimeout, "connect-timeout", 15*time.Second, "TCP+TLS connect timeout")
	fs.DurationVar(&opts.HeaderTimeout, "header-timeout", 30*time.Second, "time to wait for response headers")
	fs.DurationVar(&opts.StallTimeout, "stall-timeout", 30*time.Second, "abort a transfer that moves under 1 KiB in this window")
	fs.DurationVar(&opts.FileTimeout, "timeout", 0, "maximum time per file and mirror (0: none)")
	fs.BoolVar(&demo, "demo", false, "run against an embedded HTTPS mirror on 127.0.0.1 and show the sandbox")
	fs.BoolVar(&demoAttack, "demo-attack", false, "like --demo, and the mirror triggers a simulated compromise of the downloader")
	fs.BoolVar(&showVersion, "version", false, "print the protocol version and exit")
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "downloader: unexpected argument %q (see --help)\n", fs.Arg(0))
		return exitUsage
	}
	if showVersion {
		fmt.Fprintf(stdout, "pledgekit downloader, wire protocol v%d\n", wireVersion)
		return exitOK
	}
	opts.Mirrors = mirrors
	opts.Stderr = stderr
	opts.Bars = !opts.Quiet && isTerminal(stderr)

	ctx, sig, stop := signalContext()
	defer stop()

	if demo || demoAttack {
		return runDemo(ctx, opts, demoAttack, jsonOut, stdout, stderr, sig)
	}
	res, err := Run(ctx, opts)
	if jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else {
		printResult(stdout, res, opts)
	}
	return exitCode(err, stderr, sig, jsonOut)
}

func exitCode(err error, stderr io.Writer, sig *atomic.Int32, quietErr bool) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, ErrInterrupted):
		fmt.Fprintf(stderr, "downloader: %v\n", err)
		if s := sig.Load(); s != 0 {
			return 128 + int(s)
		}
		return exitInterrupted
	case errors.Is(err, ErrUsage), errors.Is(err, ErrNeedRoot), errors.Is(err, ErrBadList), errors.Is(err, ErrNoKey):
		fmt.Fprintf(stderr, "downloader: %v\n", err)
		return exitUsage
	case errors.Is(err, ErrSomeFailed):
		return exitFailed
	}
	if !quietErr {
		fmt.Fprintf(stderr, "downloader: %v\n", err)
	}
	return exitFailed
}

// signalContext is cancelled by a terminating signal (SIGINT, SIGTERM,
// SIGHUP, SIGQUIT) and remembers which: the run then cleans up.
func signalContext() (context.Context, *atomic.Int32, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	var which atomic.Int32
	go func() {
		select {
		case s := <-ch:
			which.Store(int32(s.(syscall.Signal)))
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, &which, func() { signal.Stop(ch); cancel() }
}

// printResult prints the per-file outcome and, once, the sandbox summary.
func printResult(w io.Writer, res *Result, opts Options) {
	if res.Sandbox != nil && !opts.Quiet {
		if opts.Verbose {
			fmt.Fprintln(w, "sandbox of the downloader child:")
			_ = res.Sandbox.WriteTable(w)
			fmt.Fprintln(w)
		} else {
			fmt.Fprintln(w, sandboxLine(res))
		}
	}
	width := 4
	for _, f := range res.Files {
		width = max(width, len(f.Name))
	}
	for _, f := range res.Files {
		if opts.Quiet && f.Status == statusOK {
			continue
		}
		line := fmt.Sprintf("%-*s  %-11s  %10s  %s", width, f.Name, f.Status, size(f.Size), f.Signature)
		if f.Resumed > 0 && f.Status == statusOK {
			line += fmt.Sprintf("  (resumed at %s)", size(f.Resumed))
		}
		if f.Error != "" {
			line += "  " + f.Error
		}
		fmt.Fprintln(w, line)
	}
}

// sandboxLine is the one-line form of what the downloader child ran under.
func sandboxLine(res *Result) string {
	var parts []string
	if id := res.Identity; id != nil {
		s := fmt.Sprintf("uid %d gid %d", id.UID, id.GID)
		if id.Switched {
			s += " (switched, groups none, setuid(0) denied)"
		} else {
			s += " (no switch)"
		}
		parts = append(parts, s)
	}
	r := res.Sandbox
	if r.NoNewPrivs {
		parts = append(parts, "no_new_privs")
	}
	if r.Landlock {
		parts = append(parts, fmt.Sprintf("Landlock ABI %d", r.LandlockABI))
	} else {
		parts = append(parts, "no Landlock")
	}
	if r.Landlock && udpUnrestricted(r) {
		parts = append(parts, "UDP not restricted by port (needs Landlock ABI 10)")
	}
	if r.Seccomp {
		parts = append(parts, "seccomp")
	} else {
		parts = append(parts, "no seccomp")
	}
	return "sandbox: " + strings.Join(parts, ", ")
}
