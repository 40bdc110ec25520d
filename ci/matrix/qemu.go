package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// qemuSpec describes one guest boot.
type qemuSpec struct {
	Arch    string
	Kernel  string // vmlinuz path
	Initrd  string
	Append  []string // extra kernel parameters
	MemMB   int
	CPUs    int
	Timeout time.Duration
}

// qemuCommand returns the QEMU binary and arguments for spec. TCG only:
// KVM is not used (it is unavailable or broken on the CI machines, and TCG
// makes amd64 and arm64 guests behave alike).
func qemuCommand(s qemuSpec) (string, []string, error) {
	var bin, console string
	var args []string
	switch s.Arch {
	case "amd64":
		bin, console = "qemu-system-x86_64", "ttyS0"
		args = []string{"-M", "pc", "-cpu", "max"}
	case "arm64":
		bin, console = "qemu-system-aarch64", "ttyAMA0"
		// pauth-impdef: QEMU's cheap pointer-authentication algorithm; the
		// architected one (QARMA) is very slow under TCG.
		args = []string{"-M", "virt", "-cpu", "max,pauth-impdef=on"}
	default:
		return "", nil, fmt.Errorf("no QEMU setup for arch %q", s.Arch)
	}
	kargs := append([]string{"console=" + console, "panic=-1", "quiet"}, s.Append...)
	args = append(args,
		"-accel", "tcg",
		"-m", strconv.Itoa(s.MemMB),
		"-smp", strconv.Itoa(s.CPUs),
		"-nodefaults", "-no-user-config", "-display", "none",
		"-serial", "stdio", "-monitor", "none",
		"-no-reboot",
		"-kernel", s.Kernel,
		"-initrd", s.Initrd,
		"-append", strings.Join(kargs, " "),
	)
	return bin, args, nil
}

// bootResult is what a boot produced, before judgement.
type bootResult struct {
	Guest    *guestOutput
	Tail     []string
	TimedOut bool
	RunErr   string
	Duration time.Duration
}

// tailBuffer keeps the last n lines.
type tailBuffer struct {
	n     int
	lines []string
}

func (t *tailBuffer) add(l string) {
	t.lines = append(t.lines, l)
	if len(t.lines) > t.n {
		t.lines = t.lines[len(t.lines)-t.n:]
	}
}

// consumeConsole reads console output line by line into the parser, the
// tail, the log file and (if stream is non-nil) a live view.
func consumeConsole(r io.Reader, g *guestOutput, tail *tailBuffer, logw io.Writer, stream io.Writer, prefix string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		g.Line(line)
		tail.add(line)
		if logw != nil {
			fmt.Fprintln(logw, line)
		}
		if stream != nil {
			fmt.Fprintf(stream, "%s%s\n", prefix, line)
		}
	}
}

var streamMu sync.Mutex

type lockedWriter struct{ w io.Writer }

func (l lockedWriter) Write(p []byte) (int, error) {
	streamMu.Lock()
	defer streamMu.Unlock()
	return l.w.Write(p)
}

// runCommandCell runs a command whose stdout is a guest console (QEMU, or
// guestinit -host) under a hard timeout.
func runCommandCell(ctx context.Context, name string, args []string, env []string, timeout time.Duration, logPath string, stream io.Writer, prefix string) bootResult {
	start := time.Now()
	res := bootResult{Guest: newGuestOutput()}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env != nil {
		cmd.Env = env
	}
	// SIGTERM first: guestinit -host then kills its test's process group;
	// QEMU exits on it too. SIGKILL follows after WaitDelay.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var logw io.WriteCloser
	if logPath != "" {
		if f, err := os.Create(logPath); err == nil {
			logw = f
			defer f.Close()
			fmt.Fprintf(f, "# %s %s\n", name, strings.Join(args, " "))
		}
	}
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	cmd.Stderr = pw
	tail := &tailBuffer{n: 60}
	done := make(chan struct{})
	go func() {
		var w io.Writer
		if stream != nil {
			w = lockedWriter{stream}
		}
		var lw io.Writer
		if logw != nil {
			lw = logw
		}
		consumeConsole(pr, res.Guest, tail, lw, w, prefix)
		close(done)
	}()
	err := cmd.Run()
	pw.Close()
	<-done
	res.Duration = time.Since(start)
	res.Tail = tail.lines
	if ctx.Err() == context.DeadlineExceeded {
		res.TimedOut = true
	} else if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			res.RunErr = fmt.Sprintf("%s exited with status %d", name, ee.ExitCode())
		} else {
			res.RunErr = fmt.Sprintf("running %s: %v", name, err)
		}
	}
	return res
}
