package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// childProc is a running child and its message pipe.
type childProc struct {
	cmd    *exec.Cmd
	msgs   *os.File
	stderr *capBuffer
	exited chan struct{}
	err    error
}

func (r *runner) exe() string {
	if r.opts.exe != "" {
		return r.opts.exe
	}
	if _, err := os.Stat("/proc/self/exe"); err == nil {
		return "/proc/self/exe"
	}
	exe, _ := os.Executable()
	return exe
}

// childJob is the part of every child's job that this run decides alike.
func (r *runner) childJob() childJob {
	penalty := "kill"
	if r.opts.errnoPenalty {
		penalty = "errno"
	}
	return childJob{
		ParentPID: os.Getpid(), Dir: r.tmp, Switch: r.switchTo, UID: r.uid, GID: r.gid, Penalty: penalty,
		Sandbox: sandboxOpts{Disable: r.opts.DisableSandbox, Require: r.opts.RequireSandbox, SimulateNoLandlock: r.opts.simulateNoLandlock},
	}
}

// sessFiles is what a child's session checks its messages against.
func (r *runner) sessFiles() []sessFile {
	sf := make([]sessFile, len(r.files))
	for i, f := range r.files {
		sf[i] = sessFile{size: uint64(f.Size), signed: f.Signed, urls: len(r.urls[i])}
	}
	return sf
}

// spawn re-executes this binary in a child role with a clean environment,
// its job on stdin and the message pipe as fd 3.
func (r *runner) spawn(role string, job any) (*childProc, error) {
	b, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(r.exe())
	cmd.Args = []string{"pledgekit-downloader-" + role}
	cmd.Env = []string{roleEnv + "=" + role, "GODEBUG=multipathtcp=0"}
	cmd.Stdin = bytes.NewReader(b)
	c := &childProc{cmd: cmd, msgs: pr, stderr: &capBuffer{max: 64 << 10}, exited: make(chan struct{})}
	cmd.Stderr = c.stderr
	cmd.ExtraFiles = []*os.File{pw}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = time.Second // a descendant holding stderr cannot block Wait
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("starting the %s child (%s): %w", role, r.exe(), err)
	}
	pw.Close()
	go func() {
		c.err = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

// Deadlines on a child: a child that sends nothing for its idle time, or
// does not exit within childEndGrace after its stream ended, is killed.
const childEndGrace = 5 * time.Second

// fetchIdle is how long the downloader may legitimately stay silent: a
// connect and a TLS handshake, the response headers, and one stall window
// (a transfer moving at all reports progress at least that often). Zero
// timeouts count as the command line's defaults.
func fetchIdle(o Options) time.Duration {
	or := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	return 2*or(o.ConnectTimeout, 15*time.Second) + or(o.HeaderTimeout, 30*time.Second) + or(o.StallTimeout, 30*time.Second) + 5*time.Second
}

// run reads the child's messages until EOF, applying each to sess and
// handing it to onMsg. A signal on ctx is forwarded (SIGTERM, then
// SIGKILL after a grace period); a protocol violation kills the child at
// once, and so do idle time without a message and a child that does not
// exit after its stream ended. It returns after the child has exited.
func (c *childProc) run(ctx context.Context, sess *session, idle time.Duration, onMsg func(Message)) error {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-c.exited:
			case <-time.After(5 * time.Second):
				_ = c.cmd.Process.Kill()
			}
		case <-stop:
		case <-c.exited:
		}
	}()
	var protoErr, hangErr error
	dec := NewDecoder(c.msgs)
	for {
		_ = c.msgs.SetReadDeadline(time.Now().Add(idle))
		m, err := dec.Next()
		if err == io.EOF {
			break
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			hangErr = fmt.Errorf("%w: the child sent nothing for %v and was killed", ErrChild, idle)
			_ = c.cmd.Process.Kill()
			break
		}
		if err == nil {
			err = sess.Apply(m)
		}
		if err != nil {
			protoErr = err
			_ = c.cmd.Process.Kill()
			break
		}
		onMsg(m)
	}
	c.msgs.Close()
	select {
	case <-c.exited:
	case <-time.After(childEndGrace):
		_ = c.cmd.Process.Kill()
		<-c.exited
		if hangErr == nil && protoErr == nil {
			hangErr = fmt.Errorf("%w: the child did not exit within %v after its messages ended and was killed", ErrChild, childEndGrace)
		}
	}
	close(stop)
	wg.Wait()
	if protoErr != nil {
		return fmt.Errorf("%w: %w", ErrCompromised, protoErr)
	}
	return hangErr
}

// exitError describes how the child ended, or nil for a clean exit.
func (c *childProc) exitError(role string) error {
	if c.err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			sig := ws.Signal()
			hint := ""
			if sig == syscall.SIGSYS {
				hint = " (a system call outside its pledge: seccomp killed it)"
			}
			return fmt.Errorf("%w: the %s child was killed by %v%s", ErrChild, role, sig, hint)
		}
		return fmt.Errorf("%w: the %s child exited with status %d", ErrChild, role, ee.ExitCode())
	}
	return fmt.Errorf("%w: %s child: %w", ErrChild, role, c.err)
}

func (c *childProc) stderrTail() string {
	s := strings.TrimSpace(SanitizeLines(c.stderr.String()))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

// capBuffer keeps the first max bytes written and discards the rest.
type capBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *capBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *capBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// SanitizeLines is SanitizeText for multi-line text (newlines kept).
func SanitizeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = SanitizeText(strings.ReplaceAll(l, "\t", "    "), 1<<20)
	}
	return strings.Join(lines, "\n")
}
