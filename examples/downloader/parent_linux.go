package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/report"
)

// The parent (privileged) side. It never parses network data: it reads the
// list (configuration), decodes the child's small binary messages, checks
// sizes and hashes of finished files, and moves them. Its order of steps:
//
//	lock cache → remove leftovers of crashed runs → mkdtemp + chown →
//	restore partial files → spawn the downloader → read its messages →
//	(signals: forward, wait) → take the temp dir back → check each file
//	(lstat, O_NOFOLLOW, size, sha256) → signature child → chown root →
//	rename into the cache → salvage partials → remove the temp dir
//
// This file is the session: Run, the run loop and the downloader child's
// messages. The steps live by concept: plan_linux.go (the validated work
// of one run), cache_linux.go (custody of the cache: lock, ownership,
// leftovers, partial files, salvage), children_linux.go (starting a child,
// its deadlines, reading its messages) and install_linux.go (checking,
// hashing and installing finished files, the signature child).

// Run downloads the files of the list into the cache. The returned Result
// is always non-nil; err is non-nil if anything failed.
func Run(ctx context.Context, opts Options) (*Result, error) {
	res := &Result{Cache: opts.Cache}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	p, err := makePlan(opts)
	if err != nil {
		res.Error = err.Error()
		return res, err
	}
	if p.releaseUID != nil {
		defer p.releaseUID()
	}
	// The children run as the same user when there is no user switch (not
	// root, or --user root), and the download child handles network data.
	// Where Landlock is missing (its domains refuse ptrace access outside
	// them) and pledge's rpath wpath allow opening any file, that child
	// could open this process's /proc/PID/mem and write into it: code
	// execution outside the sandbox. A non-dumpable process refuses ptrace
	// access, and so /proc/PID/mem, to anything without CAP_SYS_PTRACE.
	// Children are dumpable again after their execve, which is harmless:
	// they hold nothing the parent needs.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		err = fmt.Errorf("making the parent non-dumpable (prctl PR_SET_DUMPABLE): %w", err)
		res.Error = err.Error()
		return res, err
	}
	r := &runner{plan: p, res: res, out: opts.Stderr}
	err = r.run(ctx)
	if err != nil {
		res.Error = err.Error()
	}
	return res, err
}

type runner struct {
	*plan
	res     *Result
	out     io.Writer
	ui      progressUI
	cache   string
	cachefd int
	tmp     string
	tmpfd   int
	resumed map[int]int64
	warned  map[string]bool
	notes   noteLimit
	// childExit is the downloader's exit status (-1: killed or unknown).
	childExit int
}

func (r *runner) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if r.warned == nil {
		r.warned = map[string]bool{}
	}
	if r.warned[msg] {
		return
	}
	r.warned[msg] = true
	r.res.Warnings = append(r.res.Warnings, msg)
	if r.opts.Quiet {
		return
	}
	if r.ui != nil {
		r.ui.note("warning: " + msg)
	} else {
		fmt.Fprintln(r.out, "warning: "+msg)
	}
}

func (r *runner) info(format string, args ...any) {
	if r.opts.Quiet {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if r.ui != nil {
		r.ui.note(msg)
	} else {
		fmt.Fprintln(r.out, msg)
	}
}

func (r *runner) run(ctx context.Context) (err error) {
	if os.Geteuid() != 0 {
		r.warn("not running as root: downloading as uid %d without a user switch (the sandbox still applies)", r.uid)
	} else if !r.switchTo {
		r.warn("download user %q is root: no privilege separation (the sandbox still applies)", r.opts.User)
	}
	if r.opts.Cache == "" {
		return fmt.Errorf("%w: --cache DIR is required", ErrUsage)
	}
	r.cache, err = filepath.Abs(r.opts.Cache)
	if err != nil {
		return err
	}
	r.res.Cache = r.cache
	if err := os.MkdirAll(r.cache, 0o755); err != nil {
		return fmt.Errorf("creating the cache %s: %w", r.cache, err)
	}
	r.cachefd, err = unix.Open(r.cache, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening the cache %s: %w", r.cache, err)
	}
	defer unix.Close(r.cachefd)
	if err := r.checkCache(); err != nil {
		return err
	}
	unlock, err := r.lock()
	if err != nil {
		return err
	}
	defer unlock()
	r.removeLeftovers()

	if err := r.makeTempDir(); err != nil {
		return err
	}
	compromised := false
	defer func() {
		// Every path ends here: partial files go back to the cache for
		// a resume (unless the child broke the protocol), the temp dir goes.
		if !compromised {
			r.salvage()
		}
		// Root's again before it is emptied, on the compromised path too:
		// no process of the download user can add or swap entries then.
		_ = r.takeBack()
		unix.Close(r.tmpfd)
		if rerr := removeAt(r.cachefd, filepath.Base(r.tmp)); rerr != nil {
			r.warn("could not remove %s: %v (it is removed on the next run)", r.tmp, rerr)
		}
	}()
	r.restorePartials()

	sess, childErr := r.download(ctx)
	if errors.Is(childErr, ErrCompromised) {
		compromised = true
	}
	r.collectAttacks(sess, childErr)
	if ctx.Err() != nil {
		r.fillResults(sess, statusInterrupted, "interrupted")
		return fmt.Errorf("%w: partial files kept in %s for a resume", ErrInterrupted, r.cache)
	}
	if compromised || sess == nil {
		r.fillResults(sess, statusFailed, fmt.Sprint(childErr))
		return childErr
	}
	if err := r.takeBack(); err != nil {
		r.fillResults(sess, statusFailed, err.Error())
		return err
	}
	r.finish(ctx, sess, childErr)
	r.attackVerdicts()
	if ctx.Err() != nil {
		return fmt.Errorf("%w during the signature check: partial files kept in %s for a resume", ErrInterrupted, r.cache)
	}
	if childErr != nil {
		return childErr
	}
	for _, f := range r.res.Files {
		if f.Status != statusOK {
			return ErrSomeFailed
		}
	}
	return nil
}

// download runs the downloader child to completion.
func (r *runner) download(ctx context.Context) (*session, error) {
	job := fetchJob{
		childJob: r.childJob(),
		CAPEM:    r.caPEM, Parallel: r.opts.Parallel, ReadOnly: r.readOnly, Ports: r.ports, UDPPorts: r.udpPorts, Endpoints: r.eps,
		ConnectTimeout: r.opts.ConnectTimeout, HeaderTimeout: r.opts.HeaderTimeout,
		StallTimeout: r.opts.StallTimeout, FileTimeout: r.opts.FileTimeout, Attack: r.opts.attack,
	}
	for i, f := range r.files {
		job.Files = append(job.Files, jobFile{Name: f.Name, Size: f.Size, Signed: f.Signed, URLs: r.urls[i]})
	}
	child, err := r.spawn(cmp.Or(r.opts.fetchRole, roleFetch), job)
	if err != nil {
		return nil, err
	}
	sess := newSession(kindFetch, r.sessFiles(), r.opts.attack != nil, nil)
	r.ui = newUI(r.opts, r.out, r.files, r.resumed)
	runErr := child.run(ctx, sess, fetchIdle(r.opts), func(m Message) { r.onFetchMessage(sess, m) })
	r.ui.finish()
	r.ui = nil
	if n := r.notes.dropped; n > 0 {
		r.info("%s%d more notes not shown (over the rate limit)", childPrefix, n)
	}
	r.childExit = child.cmd.ProcessState.ExitCode()
	if runErr != nil {
		return sess, runErr
	}
	if sess.fatal != nil {
		err := fmt.Errorf("%w: %s", ErrChild, sess.fatal.Text)
		if sess.fatal.Code == codeSandbox && r.opts.RequireSandbox {
			err = fmt.Errorf("%w: %s", ErrSandbox, sess.fatal.Text)
		}
		if sess.fatal.Code == codeInterrupted {
			err = ErrInterrupted
		}
		if tail := child.stderrTail(); tail != "" && r.opts.Verbose {
			r.info("downloader child stderr:\n%s", tail)
		}
		return sess, err
	}
	if err := child.exitError("downloader"); err != nil || sess.phase != phaseEnded {
		if err == nil {
			err = fmt.Errorf("%w: the downloader child stopped without finishing its report", ErrChild)
		}
		if tail := child.stderrTail(); tail != "" {
			err = fmt.Errorf("%w\nchild stderr:\n%s", err, tail)
		}
		return sess, err
	}
	return sess, nil
}

func (r *runner) onFetchMessage(sess *session, m Message) {
	switch m.Type {
	case msgHello:
		r.res.Identity = &Identity{UID: m.UID, GID: m.GID, Groups: m.Groups,
			Switched: m.Flags&helloSwitched != 0, NoNewPrivs: m.Flags&helloNoNewPrivs != 0,
			Setuid0Denied: m.Flags&helloSetuid0Denied != 0, NoCapabilities: m.Flags&helloNoCaps != 0,
			SandboxOff: m.Flags&helloSandboxOff != 0}
		if r.switchTo && (m.UID != uint32(r.uid) || m.Flags&helloSwitched == 0) {
			// Cannot happen without a bug: the child verified it.
			r.warn("the downloader reports uid %d, expected %d", m.UID, r.uid)
		}
	case msgReady:
		rep := sess.report
		r.res.Sandbox = &rep
		r.reportSandbox(&rep)
	case msgStart:
		if m.Part == partFile {
			u := r.urls[m.Index][m.Mirror]
			r.ui.start(int(m.Index), int64(m.Offset), redactURL(u))
		}
	case msgProgress:
		if m.Part == partFile {
			r.ui.progress(int(m.Index), int64(m.Offset))
		}
	case msgDone:
		if m.Part == partFile {
			r.ui.done(int(m.Index))
		}
	case msgFail:
		what := r.files[m.Index].Name
		if m.Part == partSig {
			what += sigSuffix
		}
		r.ui.fail(int(m.Index), fmt.Sprintf("%s: %s", what, m.Text))
	case msgNote:
		if !r.notes.allow(time.Now()) {
			return
		}
		if m.Index == noIndex {
			r.info("%s%s", childPrefix, m.Text)
		} else {
			r.info("%s%s: %s", childPrefix, r.files[m.Index].Name, m.Text)
		}
	}
}

// childPrefix marks every line whose text the downloader child chose, so
// that none can pass for the parent's own ("… downloaded", "no Landlock").
const childPrefix = "downloader child: "

// noteLimit is a token bucket for the child's notes: a burst of 20, then 5
// a second; what is over is counted, not printed.
type noteLimit struct {
	tokens  float64
	last    time.Time
	dropped int
}

func (l *noteLimit) allow(now time.Time) bool {
	const burst, perSecond = 20, 5
	if l.last.IsZero() {
		l.tokens = burst
	} else {
		l.tokens = min(burst, l.tokens+now.Sub(l.last).Seconds()*perSecond)
	}
	l.last = now
	if l.tokens < 1 {
		l.dropped++
		return false
	}
	l.tokens--
	return true
}

// reportSandbox prints the one warning a degraded sandbox deserves.
func (r *runner) reportSandbox(rep *report.Report) {
	id := r.res.Identity
	if id != nil && id.SandboxOff {
		r.warn("sandbox disabled by --disable-sandbox: the downloader runs without Landlock and seccomp (the user switch still applies)")
		return
	}
	all := true
	if landlockMissing(rep) {
		r.warn("Landlock is not available on this kernel: the downloader is confined by seccomp only (no file-system or network rules)")
		all = false // the Landlock items are said; the rest still counts
	}
	if s := droppedSummary(rep, all); s != "" {
		r.warn("%s", s)
	}
}

// fillResults marks every file with the same outcome (child failed).
func (r *runner) fillResults(sess *session, status, msg string) {
	r.res.Files = make([]FileResult, len(r.files))
	for i, f := range r.files {
		r.res.Files[i] = FileResult{Name: f.Name, Size: f.Size, Status: status, Error: msg, Signature: "unchecked", Resumed: r.resumed[i]}
		if !f.Signed {
			r.res.Files[i].Signature = "unsigned"
		}
	}
}

// collectAttacks turns the attack messages into results (demo only).
func (r *runner) collectAttacks(sess *session, childErr error) {
	if r.opts.attack == nil {
		return
	}
	exitedWith := r.childExit
	for id := range numAttacks {
		ar := AttackResult{ID: id, What: attackNames[id], Outcome: "NOT REPORTED"}
		var m Message
		ok := false
		if sess != nil && sess.attacks != nil {
			m, ok = sess.attacks[uint8(id)]
		}
		switch {
		case !ok && id == attackExecShell && exitedWith == attackExitCode:
			ar.Outcome, ar.Detail = "ALLOWED", "/bin/sh ran (the child exited with its status)"
		case !ok:
			ar.Detail = "the child did not report this attempt"
		case m.Status == attackDenied:
			ar.Outcome, ar.Detail = "DENIED", m.Text
			if m.Errno != 0 {
				ar.Errno = unix.ErrnoName(syscall.Errno(m.Errno))
			}
		case m.Status == attackSucceeded:
			ar.Outcome, ar.Detail = "ALLOWED", m.Text
		case m.Status == attackPlanted:
			ar.Outcome, ar.Detail = "ALLOWED", m.Text
		}
		r.res.Attacks = append(r.res.Attacks, ar)
	}
}

// attackVerdicts fills in the parent's side of the symlink attempt once
// the files were checked: refused by the parent's lstat (DENIED), or
// never claimed as finished because the child died first.
func (r *runner) attackVerdicts() {
	for i := range r.res.Attacks {
		a := &r.res.Attacks[i]
		if a.ID != attackPlantSymlink || a.Outcome != "ALLOWED" {
			continue
		}
		a.Outcome = "NOT CLAIMED"
		a.Detail += "; the child never claimed it as finished"
		for _, f := range r.res.Files {
			if f.Status == statusFailed && strings.Contains(f.Error, ErrNotRegular.Error()) {
				a.Outcome = "DENIED"
				a.Detail = "planted by the child; refused by the parent: " + f.Error
			}
		}
	}
}

// isTerminal reports whether w is a terminal wide enough for progress
// bars (a terminal that reports no width gets plain lines).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err != nil {
		return false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	return err == nil && ws.Col >= 60
}
