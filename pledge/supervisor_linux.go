//go:build linux

package pledge

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/loader"
	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/supervise"
	"github.com/pledgekit/pledgekit/promises"
)

// The supervisor (PenaltyAbort) is a second process: this program's binary
// re-executed in the supervisor role (see role_linux.go). It is started
// before the filter is installed, so it runs unfiltered, and it takes the
// filter's notification listener from the pledged process with
// pidfd_getfd(2), so the pledged process itself holds no listener and needs
// no extra system calls. That matters: a listener can answer a held call
// with "continue", so code in the pledged process that could use it could
// run any denied call. The supervisor prints one line per violation, kills
// the pledged process, and answers calls of programs the process started
// (which inherit its filter) with EPERM. It exits when no process uses the
// filter any more (the listener reports POLLHUP).
//
// Handshake over two pipes, one line per message:
//
//	target → supervisor  "P"      PR_SET_PTRACER is set: check pidfd_getfd works
//	supervisor → target  "R"      ready (or "E <reason>" and exit)
//	target → supervisor  "I"      installing the filter now
//	                              (the supervisor looks for the new listener in
//	                              /proc/<pid>/fd and takes it with pidfd_getfd)
//	supervisor → target  "A"      listener taken (or "E <reason>")
//	target → supervisor  "X"      installing failed: exit
//	target → supervisor  "S <promises>"  later: the promises were narrowed
//
// The pledged process reads "A" only after its filter is in force; if its
// promises lack stdio, that read is itself a violation, which the
// supervisor (already holding the listener, found without the target's
// help) reports.

const (
	roleSupervisor = "pledgekit:supervisor"
	// handshakeTimeout bounds each wait for the other side.
	handshakeTimeout = 10 * time.Second
	selfExe          = "/proc/self/exe"
	notifyLink       = "anon_inode:seccomp notify"
)

// supervisor is the pledged process's handle on its supervisor.
type supervisor struct {
	cmd  *exec.Cmd
	ctl  *os.File // write end: target → supervisor
	resp *os.File // read end: supervisor → target
	// pending is true until "R" has been read (launchSupervisor does not
	// wait for it; ready does).
	pending bool
}

// startSupervisor starts the supervisor and checks that it can take file
// descriptors from this process.
func startSupervisor(ps promises.Set) (*supervisor, error) {
	s, err := launchSupervisor(ps)
	if err != nil {
		return nil, err
	}
	if err := s.ready(); err != nil {
		s.discard()
		return nil, err
	}
	return s, nil
}

// launchSupervisor starts the supervisor and sends "P" without waiting for
// its answer: once it has been executed it is outside any Landlock domain
// this process enforces later, and its start-up (a Go runtime) overlaps
// with the caller's work. Call ready before using it.
func launchSupervisor(ps promises.Set) (*supervisor, error) {
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pledge: supervisor pipe: %w", err)
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("pledge: supervisor pipe: %w", err)
	}
	probeFD := int(ctlW.Fd())
	// Standard input and output are descriptors this process has, not
	// /dev/null (os/exec's default): opening it for writing needs "wpath"
	// under a filter this program inherited, and a Landlock layer
	// committed before may hide it. The supervisor reads and writes
	// neither.
	cmd := &exec.Cmd{
		Path:        selfExe,
		Args:        []string{roleSupervisor, strconv.Itoa(os.Getpid()), strconv.Itoa(probeFD), ps.String()},
		Stdin:       ctlR,
		Stdout:      os.Stderr,
		Stderr:      os.Stderr,
		ExtraFiles:  []*os.File{ctlR, respW}, // fds 3 and 4
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	err = cmd.Start()
	ctlR.Close()
	respW.Close()
	if err != nil {
		ctlW.Close()
		respR.Close()
		return nil, fmt.Errorf("pledge: starting the supervisor (%s): %w", selfExe, err)
	}
	s := &supervisor{cmd: cmd, ctl: ctlW, resp: respR, pending: true}
	// Yama (ptrace_scope 1) lets a process take descriptors only from its
	// descendants unless the other process names it as its tracer. EINVAL
	// means there is no Yama.
	_ = unix.Prctl(unix.PR_SET_PTRACER, uintptr(cmd.Process.Pid), 0, 0, 0)
	if err := s.send("P"); err != nil {
		s.discard()
		return nil, err
	}
	return s, nil
}

// ready waits for the supervisor's "R" (once). On error the caller
// discards the supervisor.
func (s *supervisor) ready() error {
	if !s.pending {
		return nil
	}
	if err := s.expect("R"); err != nil {
		return err
	}
	s.pending = false
	return nil
}

// discard ends a supervisor that will not be used, without waiting for it
// to finish starting: it holds nothing yet (no listener was handed over),
// so it is killed and reaped.
func (s *supervisor) discard() {
	_ = s.send("X")
	s.ctl.Close()
	s.resp.Close()
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

func (s *supervisor) send(line string) error {
	if _, err := s.ctl.Write([]byte(line + "\n")); err != nil {
		return fmt.Errorf("pledge: talking to the supervisor: %w", err)
	}
	return nil
}

// expect reads one line and wants it to be want; "E ..." lines carry the
// supervisor's error.
func (s *supervisor) expect(want string) error {
	_ = s.resp.SetReadDeadline(time.Now().Add(handshakeTimeout))
	var line []byte
	var b [1]byte
	for {
		n, err := s.resp.Read(b[:])
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if err != nil {
			return fmt.Errorf("pledge: waiting for the supervisor: %w", err)
		}
	}
	switch got := string(line); {
	case got == want:
		return nil
	case strings.HasPrefix(got, "E "):
		return fmt.Errorf("pledge: supervisor: %s", got[2:])
	default:
		return fmt.Errorf("pledge: supervisor said %q, want %q", got, want)
	}
}

// abort stops a supervisor that will not be used and reaps it.
func (s *supervisor) abort() {
	_ = s.send("X")
	s.ctl.Close()
	s.resp.Close()
	_ = s.cmd.Wait()
}

// handOver tells the supervisor the filter is being installed; call it
// right before install.
func (s *supervisor) handOver() error { return s.send("I") }

// finish waits until the supervisor holds the listener, then closes this
// process's copy of it. The control pipe stays open for narrowing updates,
// and the response pipe for watch.
func (s *supervisor) finish(listener int) error {
	err := s.expect("A")
	unix.Close(listener)
	_ = s.cmd.Process.Release()
	if err != nil {
		s.resp.Close()
		return err
	}
	_ = s.resp.SetReadDeadline(time.Time{})
	go watch(s.resp)
	return nil
}

// watch ends this process when its supervisor ends while the process
// lives. The supervisor holds the write end of resp for its whole life and
// never writes after "A", so a read returns only when it is gone: killed
// (SIGKILL cannot be ignored; a process with "proc" may send it) or
// failed. Without a listener the kernel fails every refused call with
// ENOSYS and the process would go on: a violation must end it, so it ends
// now. Refused calls made in the moment between the two deaths fail with
// ENOSYS without running.
func watch(resp *os.File) {
	// A blocking read on a thread of its own wakes as soon as the kernel
	// sees the last writer gone (the runtime's poller could take longer).
	fd := int(resp.Fd()) // Fd puts the descriptor in blocking mode
	var b [64]byte
	for {
		n, err := unix.Read(fd, b[:])
		if n == 0 && err == nil || err != nil && err != unix.EINTR {
			break
		}
	}
	runtime.KeepAlive(resp)
	_, _ = os.Stderr.WriteString("pledge: the supervisor of this pledge has ended; ending the process, whose violations would otherwise go unpunished\n")
	// SIGKILL to the calling thread ends the whole process, as the abort
	// penalty does; exit_group if the filter refused tgkill.
	_ = unix.Tgkill(os.Getpid(), unix.Gettid(), unix.SIGKILL)
	os.Exit(137)
}

// narrow installs prog, a filter that hands the calls it refuses to a
// listener, over a stack whose listener this supervisor holds: the
// supervisor closes the old listener, the filter is installed with a new
// one, and the supervisor takes that (see swap). Calls the old filter
// refuses fail with ENOSYS without running in between. An error before
// the install leaves the old listener closed: the supervisor then exits
// and watch ends the process.
func (s *supervisor) narrow(prog []unix.SockFilter, esrch bool) error {
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("pledge: narrowing: pipe: %w", err)
	}
	defer r.Close()
	defer w.Close()
	s.resp = r // expect reads the reply pipe
	if err := s.send("N " + strconv.Itoa(int(w.Fd()))); err != nil {
		return err
	}
	if err := s.expect("C"); err != nil {
		return err
	}
	if err := s.handOver(); err != nil {
		return err
	}
	fd, err := install(prog, esrch, true)
	if err != nil {
		_ = s.send("X")
		return err
	}
	err = s.expect("A")
	unix.Close(fd)
	return err
}

// update tells the supervisor the promises were narrowed, for its
// messages. It is best effort; callers check that write is still allowed.
func (s *supervisor) update(ps promises.Set) {
	_ = s.send("S " + ps.String())
}

// ---- the supervisor process ----

// ctlReader reads the lines the pledged process sends, with timeouts.
// The pledged process may be hostile: a line longer than maxCtlLine is
// dropped as it arrives, so the buffer never holds more than that.
type ctlReader struct {
	fd  int
	buf []byte
	eof bool
	// skipping: a line grew past maxCtlLine; drop bytes up to its newline.
	skipping bool
}

// maxCtlLine bounds one control line ("S " and a promise string: every
// promise name once is under 512 bytes).
const maxCtlLine = 4096

// next returns the next line, waiting at most timeout (negative: no
// limit). ok is false on timeout or end of file (then eof is set).
func (c *ctlReader) next(timeout time.Duration) (line string, ok bool) {
	deadline := time.Now().Add(timeout)
	for {
		if i := bytes.IndexByte(c.buf, '\n'); i >= 0 {
			line, c.buf = string(c.buf[:i]), c.buf[i+1:]
			return line, true
		}
		if c.eof {
			return "", false
		}
		ms := -1
		if timeout >= 0 {
			ms = int(time.Until(deadline) / time.Millisecond)
			if ms < 0 {
				return "", false
			}
		}
		fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			if timeout >= 0 && time.Now().After(deadline) || err != nil {
				return "", false
			}
			continue
		}
		var b [256]byte
		m, err := unix.Read(c.fd, b[:])
		if m <= 0 {
			if err == unix.EINTR || err == unix.EAGAIN {
				continue
			}
			c.eof = true
			continue
		}
		c.add(b[:m])
	}
}

// add appends data read from the pipe, dropping every line longer than
// maxCtlLine as it arrives.
func (c *ctlReader) add(data []byte) {
	for len(data) > 0 {
		seg, complete := data, false
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			seg, complete = data[:i+1], true
		}
		data = data[len(seg):]
		if c.skipping {
			c.skipping = !complete
			continue
		}
		// The line being received starts after the buffer's last newline.
		start := bytes.LastIndexByte(c.buf, '\n') + 1
		if n := len(c.buf) - start + len(bytes.TrimSuffix(seg, []byte("\n"))); n > maxCtlLine {
			c.buf, c.skipping = c.buf[:start], !complete
			continue
		}
		c.buf = append(c.buf, seg...)
	}
}

// lifeline is the supervisor's write end of the response pipe, kept
// referenced (an unreferenced *os.File is closed when collected).
var lifeline *os.File

// ignoredSignals are the catchable signals whose default action ends a
// process: the supervisor ignores them all, so that the pledged process,
// which may signal it (kill with "proc", tgkill under "stdio" where the
// filter allows any thread), can only end it with SIGKILL, which its
// watch answers. Terminal signals go to the pledged process's group; the
// supervisor has a group of its own.
var ignoredSignals = []os.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE,
	syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM,
	syscall.SIGVTALRM, syscall.SIGPROF, syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGIO, syscall.SIGPWR,
	syscall.SIGSTKFLT, syscall.SIGABRT, syscall.SIGTRAP}

// supervisorMain runs the supervisor role; it never returns.
// args: role, target pid, probe fd, promises.
func supervisorMain(args []string) {
	// Other processes of this user (the pledged one included) must not be
	// able to ptrace this unfiltered process or write its memory.
	_ = unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	// Terminal signals go to the pledged process; the supervisor lives
	// until no process uses the filter.
	signal.Ignore(ignoredSignals...)
	for sig := 34; sig <= 64; sig++ { // SIGRTMIN+2 to SIGRTMAX (Go keeps 32 and 33)
		signal.Ignore(syscall.Signal(sig))
	}
	ctl := &ctlReader{fd: 3}
	resp := os.NewFile(4, "pledge-resp")
	fail := func(format string, a ...any) {
		fmt.Fprintf(resp, "E "+format+"\n", a...)
		os.Exit(0)
	}
	if len(args) != 4 {
		fail("malformed arguments")
	}
	target, err1 := strconv.Atoi(args[1])
	probeFD, err2 := strconv.Atoi(args[2])
	ps, err3 := promises.Parse(args[3])
	if err := errors.Join(err1, err2, err3); err != nil {
		fail("malformed arguments: %v", err)
	}
	if l, _ := ctl.next(-1); l != "P" || os.Getppid() != target {
		fail("handshake: got %q from process %d", l, os.Getppid())
	}
	pidfd, err := unix.PidfdOpen(target, 0)
	if err != nil {
		fail("pidfd_open(%d): %v", target, err)
	}
	if os.Getppid() != target { // the pid was not reused before pidfd_open
		fail("process %d went away", target)
	}
	fd, err := unix.PidfdGetfd(pidfd, probeFD, 0)
	if err != nil {
		fail("pidfd_getfd cannot take descriptors from process %d: %v (it needs ptrace access: Yama ptrace_scope 2 or 3, a container's seccomp profile or a non-dumpable process forbid it)", target, err)
	}
	unix.Close(fd)
	// Listeners the process holds already (of other filters) are not
	// ours; the process installs its filter only after "R".
	before := listenerFDs(target)
	fmt.Fprint(resp, "R\n")

	if l, _ := ctl.next(-1); l != "I" {
		os.Exit(0) // "X" or closed: the filter is not being installed
	}
	listener, err := takeListener(pidfd, target, before, ctl)
	if err != nil {
		fail("%v", err)
	}
	if listener < 0 {
		os.Exit(0) // "X" or closed: the filter is not being installed
	}
	fmt.Fprint(resp, "A\n")
	// resp stays open, unwritten, until this process ends: the pledged
	// process's watch reads end of file then.
	lifeline = resp
	serve(notify.NewListener(listener), pidfd, target, ps, ctl)
}

// inheritedListener asks the kernel whether a seccomp filter in force
// holds a notification listener: one this program inherited (the program
// that started it pledged with PenaltyAbort, or runs the unveil command's
// supervisor, or this program executed itself after pledging), or a
// container runtime's. The kernel allows one listener per filter stack,
// so then no supervisor of this process can ever take one, and starting
// one (a fork and an exec of this binary, opening files) would only
// violate the inherited filter: its supervisor would report pledgekit's
// own start-up as a violation.
//
// The question is asked without changing the process: a goroutine locked
// to a thread of its own (never the main thread, which Go keeps when its
// goroutine ends) installs a filter that allows every call, with a
// listener, on that thread alone; EBUSY means some filter of the stack
// holds one. The goroutine ends locked, so the thread ends, and its
// filter with it; inheritedListener waits until the kernel has let the
// thread go (tgkill with signal 0 answers ESRCH), so that the pledge's
// filter can then be synchronized to every thread. It needs only calls
// "stdio" allows (clone of a thread, prctl(PR_SET_NO_NEW_PRIVS),
// seccomp, tgkill to this process). ok is false when it cannot tell (the
// kernel answered something else, or the thread did not end in time).
func inheritedListener() (held, ok bool) {
	type answer struct {
		held, ok bool
		tid      int // the thread that may carry the probe's filter
	}
	probe := func() answer {
		tid := unix.Gettid()
		if tid == unix.Getpid() {
			return answer{} // the main thread: never filtered alone
		}
		allow := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
		// Install locks the goroutine to this thread for good.
		fd, err := loader.Install(allow, loader.NewListener)
		switch {
		case err == nil:
			unix.Close(fd)
			return answer{held: false, ok: true, tid: tid}
		case errors.Is(err, unix.EBUSY):
			return answer{held: true, ok: true, tid: tid}
		}
		return answer{tid: tid}
	}
	ch := make(chan answer, 1)
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			ch <- probe()
			return // still locked: the thread ends with this goroutine
		}
		// On the main thread, which is never ended: probe from another
		// goroutine, which cannot run on this thread while it is locked
		// here, and keep this one.
		inner := make(chan answer, 1)
		go func() {
			runtime.LockOSThread()
			inner <- probe()
		}()
		a := <-inner
		runtime.UnlockOSThread()
		ch <- a
	}()
	a := <-ch
	if a.tid == 0 {
		return false, false
	}
	deadline := time.Now().Add(handshakeTimeout)
	for unix.Tgkill(os.Getpid(), a.tid, 0) != unix.ESRCH {
		if time.Now().After(deadline) {
			return false, false
		}
		time.Sleep(50 * time.Microsecond)
	}
	return a.held, a.ok
}

// heldListener is inheritedListener; tests replace it.
var heldListener = inheritedListener

// takeListener waits for a new seccomp listener to appear among the
// descriptors of process target (not one of before) and takes it. It
// returns -1 without error when the process gives up ("X" or closes ctl).
func takeListener(pidfd, target int, before map[int]bool, ctl *ctlReader) (int, error) {
	deadline := time.Now().Add(handshakeTimeout)
	for wait := 100 * time.Microsecond; ; wait = min(2*wait, 10*time.Millisecond) {
		for n := range listenerFDs(target) {
			if before[n] {
				continue
			}
			l, err := unix.PidfdGetfd(pidfd, n, 0)
			if err == nil && isListener(l) {
				return l, nil
			}
			if err == nil {
				unix.Close(l)
			}
		}
		if l, ok := ctl.next(wait); ok && l == "X" || !ok && ctl.eof {
			return -1, nil
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("no seccomp listener appeared in process %d", target)
		}
	}
}

// listenerFDs returns the descriptors of process pid that are seccomp
// notification listeners.
func listenerFDs(pid int) map[int]bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	ents, err := os.ReadDir(dir)
	out := map[int]bool{}
	if err != nil {
		return out
	}
	for _, e := range ents {
		if l, err := os.Readlink(dir + e.Name()); err == nil && l == notifyLink {
			if n, err := strconv.Atoi(e.Name()); err == nil {
				out[n] = true
			}
		}
	}
	return out
}

func isListener(fd int) bool {
	l, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	return err == nil && l == notifyLink
}

// serve answers notifications until no process uses the filter (then the
// supervisor exits). It also reads the control pipe: "S <promises>"
// updates the promises named in messages (the process sends it before
// further calls), "N <fd>" hands the listener over to a narrowing filter
// (swap). Receiving and decoding are internal/supervise's; the policy is
// here: the pledged process is reported once and killed, a program it
// started has its call fail with EPERM.
func serve(l *notify.Listener, pidfd, target int, ps promises.Set, ctl *ctlReader) {
	seen := map[[2]int64]bool{}
	killed := false
	control := &supervise.Control{Fd: ctl.fd, Ready: func(l *notify.Listener) (*notify.Listener, bool) {
		for !ctl.eof {
			line, ok := ctl.next(0)
			if !ok {
				break
			}
			if s, ok := strings.CutPrefix(line, "S "); ok {
				if set, err := promises.Parse(s); err == nil {
					ps = set
				}
			}
			if s, ok := strings.CutPrefix(line, "N "); ok {
				l = swap(l, pidfd, target, s, ctl)
			}
		}
		return l, !ctl.eof
	}}
	h := supervise.HandlerFunc(func(r *supervise.Request) {
		if !r.Identify() {
			return // the caller died meanwhile; its pid may be reused
		}
		d := supervise.Denial{Prefix: "pledge", Call: r.Call, Pledged: ps, Child: r.Tgid != target}
		if !d.Child {
			// Several threads may be refused before SIGKILL lands (Go's
			// resolver dials A and AAAA at once): print the first only.
			if !killed {
				killed = true
				d.Outcome = "killing the process"
				fmt.Fprintln(os.Stderr, d.String())
			}
			_ = unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0)
			return
		}
		if key := [2]int64{int64(r.Tgid), int64(r.Nr)}; !seen[key] && !isExecHelper(r.Tgid) {
			seen[key] = true
			d.Outcome = "the call fails with EPERM"
			fmt.Fprintln(os.Stderr, d.String())
		}
		_ = r.Errno(unix.EPERM)
	})
	if err := supervise.Serve(l, h, supervise.Options{Control: control}); err != nil {
		fmt.Fprintf(os.Stderr, "pledge: supervisor: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0) // every process using the filter has exited
}

// swap hands the listener over to the filter a narrowing pledge installs
// (the kernel allows one listener per filter stack, so the old one must be
// closed first): it takes the reply pipe the process names (fdArg), closes
// the old listener and says "C", waits for "I" and the new listener, takes
// it and says "A". Meanwhile calls the old filter refuses fail with ENOSYS
// without running. On any failure the supervisor exits: the process's
// watch then ends the process.
func swap(old *notify.Listener, pidfd, target int, fdArg string, ctl *ctlReader) *notify.Listener {
	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "pledge: supervisor: narrowing: "+format+"\n", a...)
		os.Exit(1)
	}
	n, err := strconv.Atoi(fdArg)
	if err != nil {
		fail("malformed request %q", fdArg)
	}
	w, err := unix.PidfdGetfd(pidfd, n, 0)
	if err != nil {
		fail("taking the reply pipe: %v", err)
	}
	reply := os.NewFile(uintptr(w), "pledge-narrow")
	defer reply.Close()
	old.Close()
	before := listenerFDs(target)
	fmt.Fprint(reply, "C\n")
	if l, ok := ctl.next(handshakeTimeout); !ok || l != "I" {
		fail("the process did not install its filter (%q)", l)
	}
	l, err := takeListener(pidfd, target, before, ctl)
	if err != nil || l < 0 {
		fail("%v", err)
	}
	fmt.Fprint(reply, "A\n")
	return notify.NewListener(l)
}

// isExecHelper reports whether pid is still the exec helper of Command
// (before it execs the program): its Go runtime's start-up reads of /sys
// and /proc files are denied harmlessly and not worth a message.
func isExecHelper(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return err == nil && strings.HasPrefix(string(b), roleExec+"\x00")
}
