package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/internal/safeprint"
	"github.com/pledgekit/pledgekit/internal/supervise"
	"github.com/pledgekit/pledgekit/promises"
)

func unsafePointer[T any](p *T) unsafe.Pointer { return unsafe.Pointer(p) }

// handler decides each notified call once the program runs: the policy
// of the supervised mode (enforcer) or of learn (learner); receiving and
// decoding are internal/supervise's.
type handler = supervise.Handler

// stage is a re-executed unveil that will carry out a plan and exec the
// program (learn mode; the default mode applies the plan in unveil itself
// and serves the listener from a side supervisor, side_linux.go). It is started before the plan is built (startStage), so that
// its Go start-up overlaps the planning, and waits for the plan on a pipe;
// it is started before anything is restricted, like every process unveil
// makes, and holds nothing but its standard streams, the descriptors -N
// passes on, the plan's pipe and its end of the socket pair.
type stage struct {
	cmd        *exec.Cmd
	planW      *os.File   // the plan goes here; closed empty, the stage exits quietly
	parentSock int        // the stage hands the seccomp listener over this socket
	inherited  []int      // the descriptors passed at their numbers (-N)
	passed     []*os.File // the same, closed once the plan is sent
}

// spawnStage starts a stage, carries out p in it, receives its seccomp
// listener, and answers notifications with h until the program exits. It
// returns the program's wait status.
func spawnStage(p *plan, h handler) (syscall.WaitStatus, error) {
	s, err := startStage(p.inherited)
	if err != nil {
		return 0, err
	}
	return s.run(p, h)
}

// startStage starts a stage that waits for its plan. inherited are the
// descriptors above 2 to pass on at their numbers (-N; nil otherwise): the
// plan built afterwards must list the same (run checks). A caller that
// does not get as far as a plan calls abandon.
func startStage(inherited []int) (*stage, error) {
	// This process stays unsandboxed and answers for the program. A program
	// of the same user must not be able to reach it: ptrace is the
	// filter's to refuse, but /proc/PID/mem needs only rpath and wpath
	// where no Landlock domain is in force (-V, or a kernel without
	// Landlock), and writing this process's memory would be running code
	// outside the sandbox. A process that is not dumpable cannot be
	// reached that way by anyone without CAP_SYS_PTRACE.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		self = "/proc/self/exe"
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("starting the stage: pipe: %w", err)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("starting the stage: socketpair: %w", err)
	}
	s := &stage{planW: pw, parentSock: fds[0], inherited: inherited}
	childSock := os.NewFile(uintptr(fds[1]), "stage-sock")
	cmd := exec.Command(self)
	cmd.Args = []string{"unveil"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The stage gets the descriptors unveil inherited at the same numbers
	// (-N passes them on to the program; otherwise the stage closes them
	// at exec), and the plan and the socket above them all.
	for _, fd := range inherited {
		for len(cmd.ExtraFiles) < fd-3 {
			cmd.ExtraFiles = append(cmd.ExtraFiles, nil)
		}
		f := os.NewFile(uintptr(fd), fmt.Sprintf("inherited-%d", fd))
		s.passed = append(s.passed, f)
		cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	}
	planFd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, pr, childSock)
	// GOMAXPROCS=1: the stage runs one goroutine, and fewer runtime
	// threads make its start and its execve (which ends every other
	// thread) cheaper: 0.1-0.2 ms a launch. The environment is the
	// stage's only; the program gets the plan's (plan.Env).
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d", stageEnv, planFd, planFd+1), "GOMAXPROCS=1")
	err = cmd.Start()
	pr.Close()
	childSock.Close()
	s.cmd = cmd
	if err != nil {
		s.closeAll()
		return nil, fmt.Errorf("starting the stage: %w", err)
	}
	return s, nil
}

// closeAll closes what the parent holds for the stage.
func (s *stage) closeAll() {
	// unveil itself has no use for the passed descriptors. They stay open
	// until the plan is built, which lists them again.
	for _, f := range s.passed {
		f.Close()
	}
	s.passed = nil
	if s.planW != nil {
		s.planW.Close()
		s.planW = nil
	}
	if s.parentSock >= 0 {
		unix.Close(s.parentSock)
		s.parentSock = -1
	}
}

// abandon ends a stage that will get no plan: it reads an empty plan and
// exits without a word, before it restricts or executes anything; abandon
// waits for it, so nothing is left behind.
func (s *stage) abandon() {
	s.closeAll()
	s.cmd.Wait()
}

// run sends p to the stage, receives its seccomp listener, and answers
// notifications with h until the program exits. It returns the program's
// wait status.
func (s *stage) run(p *plan, h handler) (syscall.WaitStatus, error) {
	cmd, parentSock := s.cmd, s.parentSock
	if !slices.Equal(p.inherited, s.inherited) {
		s.abandon()
		return 0, fmt.Errorf("the descriptors to pass on changed while planning (%v, then %v); run again", s.inherited, p.inherited)
	}
	for _, f := range s.passed {
		f.Close()
	}
	s.passed = nil
	if p.forPid != nil {
		// The filter's "self" is the stage, which execs the program.
		if err := p.forPid(cmd.Process.Pid); err != nil {
			s.abandon()
			return 0, err
		}
	}
	data, err := json.Marshal(p)
	if err != nil {
		s.abandon()
		return 0, fmt.Errorf("encoding the plan: %w", err)
	}
	pw := s.planW
	s.planW = nil
	go func() {
		pw.Write(data)
		pw.Close()
	}()

	// Forward the usual termination signals to the program.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	go func() {
		for s := range sigs {
			cmd.Process.Signal(s)
		}
	}()

	// The supervisor's goroutine takes its thread and waits for the
	// listener itself, so that the stage's execve, held until it is
	// answered, finds it ready. A stage that exits without sending one
	// (it failed and said why) closes the socket: nothing to serve.
	var wg sync.WaitGroup
	wg.Add(1)
	s.parentSock = -1
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		l, err := supervise.RecvListener(parentSock)
		unix.Close(parentSock)
		if err == nil {
			serve(l, h, cmd.Process.Pid)
		}
	}()
	err = cmd.Wait()
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return ws, err
	}
	// Descendants of the program may still run under the filter; keep
	// answering until they are gone.
	wg.Wait()
	return ws, nil
}

// serve answers notifications with h until every filtered task has exited.
//
// Until the program runs, the only filtered task is unveil's own stage
// (pid stagePid), whose calls are continued, its execve of the program
// included. Whether a notification comes from the stage is asked of the
// kernel (the task is stagePid and its executable is this binary), for
// every execve too, not inferred from having seen one execve: a signal
// (Go's preemption) that interrupts the stage's wait restarts its execve
// as a new notification, even after the answer was sent (the kernel's
// seccomp_do_user_notification), and that restart is still the stage's.
func serve(l *supervise.Listener, h handler, stagePid int) {
	execd := false
	self, selfErr := os.Stat("/proc/self/exe")
	isStage := func(pid int) bool {
		if selfErr != nil || pid != stagePid {
			return false
		}
		st, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid))
		return err == nil && os.SameFile(st, self)
	}
	pass := func(pid int, name string) bool {
		isExec := name == "execve" || name == "execveat"
		switch {
		case selfErr != nil && !execd:
			// No /proc: the first execve ends the stage, as before.
			execd = isExec
			return true
		case (isExec || !execd) && isStage(pid):
			return true
		}
		// Any other task is the program or one it started.
		execd = true
		return false
	}
	if err := supervise.Serve(l, h, supervise.Options{Pass: pass}); err != nil {
		fmt.Fprintf(os.Stderr, "unveil: supervisor: %v\n", err)
	}
}

// enforcer is the handler of the default (supervised) mode.
type enforcer struct {
	p    *plan
	arch string
	out  io.Writer
	mu   sync.Mutex
	seen map[string]bool
	// dropped counts messages not printed because seen was full.
	dropped int
	// chainPos is the next file of p.execNext an execve may run.
	chainPos int
	creds    *credStat // looks paths up as the program would
}

// maxSeen bounds the messages remembered to print each only once: the
// program chooses the paths in them, and this process runs unconfined.
// Past the bound, new messages are counted instead of printed (a program
// that makes that many different denials is told about once in summary).
const maxSeen = 4096

// say prints one message about the program. Everything in it that the
// program chose (its command name, paths, strings) is made printable
// first: the whole line goes through safeprint.String.
func (e *enforcer) say(key, format string, args ...any) {
	if e.p.quiet {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.p.trace {
		if e.seen[key] {
			return
		}
		if len(e.seen) >= maxSeen {
			e.dropped++
			return
		}
		e.seen[key] = true
	}
	fmt.Fprintf(e.out, "unveil: %s\n", safeprint.String(fmt.Sprintf(format, args...)))
}

// summary prints how many messages were left out, if any.
func (e *enforcer) summary() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.dropped > 0 && !e.p.quiet {
		fmt.Fprintf(e.out, "unveil: %d more denials not shown (only the first %d different messages are printed)\n", e.dropped, maxSeen)
	}
}

// deny refuses the call: it fails with errno, or the program is killed
// (-k).
func (e *enforcer) deny(r *supervise.Request, errno unix.Errno) {
	if e.p.kill {
		r.Kill()
		return
	}
	_ = r.Errno(errno)
}

// denial says that r is refused, once per key.
func (e *enforcer) denial(key string, r *supervise.Request, errno unix.Errno) {
	if e.p.quiet {
		return
	}
	outcome := "the call fails with " + unix.ErrnoName(errno)
	if e.p.kill {
		outcome = "killing the process"
	}
	r.Identify()
	d := supervise.Denial{Call: r.Call, Pledged: e.p.set, Outcome: outcome}
	e.say(key, "%s", d.String())
}

func (e *enforcer) Handle(r *supervise.Request) {
	name, text := r.Name, r.Text
	who := func() string { // read only for a message
		r.Identify()
		return r.Who()
	}
	set := e.p.set
	switch name {
	case "execve", "execveat":
		target := ""
		if len(r.Paths) > 0 {
			target, _ = cleanAbs(r.Paths[0])
		}
		if set.Has(promises.Exec) || e.nextInChain(target) {
			// The exec promise allows it, or it is the next file of the
			// program's own #! chain (a #!/usr/bin/env script's
			// interpreter); Landlock limits which files can be executed
			// either way. Not the ELF interpreter: execve of ld.so with
			// another program as argument runs that program.
			if e.p.trace {
				e.say("", "%s: %s", who(), text)
			}
			_ = r.Continue()
			return
		}
		path := ""
		if len(r.Paths) > 0 {
			path = r.Paths[0]
		}
		if errno := e.creds.unreachable(path); errno != 0 {
			// The kernel would fail it before anything runs (execvp,
			// env and shells try each PATH directory in turn and stop
			// at an error other than ENOENT, EACCES or ENOTDIR). Looked
			// up as the program would, so that the answer is the
			// kernel's (EACCES where the program may not look).
			if e.p.trace {
				e.say("", "%s: %s: %v", who(), text, errno)
			}
			_ = r.Errno(errno)
			return
		}
		e.denial(name+target, r, e.p.denyErrno())
		e.deny(r, e.p.denyErrno())
		return
	}
	if (name == "access" || name == "faccessat" || name == "faccessat2") && len(r.Paths) == 1 && loaderProbes[r.Paths[0]] {
		// glibc's loader checks for a preload list; failing it is harmless
		// (and never worth killing for).
		_ = r.Errno(unix.EPERM)
		return
	}
	allowed, errno := supervise.Allows(set, e.arch, name, r.Args)
	if errno != 0 {
		_ = r.Errno(unix.Errno(errno))
		return
	}
	if !allowed && e.p.unixEmu {
		// An inert AF_UNIX stream socket, and ENOENT for a connect to
		// a socket file that does not exist (unixsock_linux.go).
		if isUnixStreamSocket(name, r.Args) && giveUnixSocket(r) {
			if e.p.trace {
				e.say("", "%s: %s: an unconnected socket (connecting it needs promise unix)", who(), text)
			}
			return
		}
		if e.creds.missingUnixPath(r.Call) {
			if e.p.trace {
				e.say("", "%s: %s: no such file", who(), text)
			}
			_ = r.Errno(unix.ENOENT)
			return
		}
	}
	readOnly := (name == "openat" && r.Args[2]&(oAccmode|oCreat|oTrunc|oTmpfile) == 0) ||
		(name == "open" && r.Args[1]&(oAccmode|oCreat|oTrunc|oTmpfile) == 0)
	if !allowed && readOnly && e.p.readLayer != nil && e.p.readLayer.HandledFS&llaccess.FSReadFile != 0 && len(r.Paths) == 1 {
		// A dynamic program without rpath: its loader may read its own
		// files; Landlock (the promises layer) enforces which.
		path, _ := cleanAbs(r.Paths[0])
		if _, err := os.Stat(path); err != nil {
			if e.p.trace {
				e.say("", "%s: %s: %v", who(), text, err)
			}
			_ = r.Continue() // the kernel answers ENOENT (or the like) itself
			return
		}
		if e.p.readLayer.allows(path, llaccess.FSReadFile) {
			_ = r.Continue()
			return
		}
		e.denial(name+path, r, unix.EACCES)
		e.deny(r, unix.EACCES)
		return
	}
	if allowed {
		// Only in --trace mode: path calls reach the supervisor so it can
		// say which unveil is missing. The kernel decides (Landlock).
		if e.p.veil != nil {
			for _, path := range r.Paths {
				need := needRights(name, r.Args)
				rp, _ := cleanAbs(path)
				if _, err := os.Stat(rp); err != nil && need&createRights == 0 {
					continue
				}
				target := rp
				if need&createRights != 0 {
					target = parentDir(rp)
				}
				if !e.p.veil.allows(target, need) {
					e.say(name+rp, "%s: %s: %s is not unveiled for %q: add -v %s:%s", who(), text, target, rightsPerm(need), rightsPerm(need), target)
				}
			}
		}
		_ = r.Continue()
		return
	}
	if (name == "open" || name == "openat") && len(r.Paths) == 1 && r.Paths[0] == "/dev/null" {
		// OpenBSD lets every pledged process open /dev/null for reading
		// and writing. The supervisor opens it itself and hands the
		// descriptor over, so no path of the program's is trusted.
		flags := r.Args[1]
		if name == "openat" {
			flags = r.Args[2]
		}
		if flags&(oCreat|oTmpfile) == 0 {
			if fd, err := unix.Open("/dev/null", int(flags&3)|unix.O_CLOEXEC, 0); err == nil {
				err = r.SendFd(fd, flags&unix.O_CLOEXEC != 0)
				unix.Close(fd)
				if err == nil {
					return
				}
			}
		}
	}
	e.denial(name+supervise.NeedText(supervise.Needed(set, e.arch, name, r.Args, r.Family)), r, e.p.denyErrno())
	e.deny(r, e.p.denyErrno())
}

// nextInChain reports whether target is the next file of the program's #!
// chain not yet executed, and if so takes it: each file of p.execNext
// runs at most once, in order. The call is continued after its path was
// read from the caller's memory, which another thread could change in
// between; the caller is then the chain's own file (env, named by the
// script's #! line, with LD_PRELOAD and LD_AUDIT removed), before any
// code of the program's has run.
func (e *enforcer) nextInChain(target string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := e.chainPos; i < len(e.p.execNext); i++ {
		if target != "" && e.p.execNext[i] == target {
			e.chainPos = i + 1
			return true
		}
	}
	return false
}

// loaderProbes are files dynamic loaders test for at start-up; denying the
// test is harmless and not worth a message.
var loaderProbes = map[string]bool{"/etc/ld.so.preload": true}

func parentDir(p string) string {
	d := p[:strings.LastIndexByte(p, '/')+1]
	if len(d) > 1 {
		d = strings.TrimSuffix(d, "/")
	}
	return d
}

// needRights is the Landlock access a path call needs.
func needRights(name string, a [6]uint64) uint64 {
	openNeed := func(f uint64) uint64 {
		var r uint64
		switch f & 3 {
		case 0:
			r = llaccess.FSReadFile
		case 1:
			r = llaccess.FSWriteFile
		default:
			r = llaccess.FSReadFile | llaccess.FSWriteFile
		}
		if f&oCreat != 0 {
			r |= llaccess.FSMakeReg
		}
		if f&oTrunc != 0 {
			r |= llaccess.FSTruncate
		}
		return r
	}
	switch name {
	case "open":
		return openNeed(a[1])
	case "openat":
		return openNeed(a[2])
	case "creat":
		return llaccess.FSWriteFile | llaccess.FSMakeReg
	case "mkdir", "mkdirat":
		return llaccess.FSMakeDir
	case "unlink", "rmdir":
		return llaccess.FSRemoveFile
	case "unlinkat":
		if a[2]&0x200 != 0 {
			return llaccess.FSRemoveDir
		}
		return llaccess.FSRemoveFile
	case "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat":
		return llaccess.FSMakeReg | llaccess.FSRemoveFile
	case "truncate":
		return llaccess.FSTruncate
	case "execve", "execveat":
		return llaccess.FSExecute
	case "mknod", "mknodat":
		return llaccess.FSMakeFifo
	}
	return 0
}
