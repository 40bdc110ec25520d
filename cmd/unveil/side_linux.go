package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/supervise"
	"github.com/pledgekit/pledgekit/promises"
)

// The supervised mode's topology ("side supervisor"). unveil (P) applies
// the plan to its own main thread and executes the program itself, as -q
// does, so the program keeps unveil's pid and parent: its exit status and
// the signals sent to it are its own. The filter hands denied calls to a
// user-notification listener, served by a supervisor process S that P
// starts once the plan is made, and that executes unveil as the
// supervisor only once the program makes a call for it (sidewait_linux.go):
// P answers its own execve itself, with a thread of its own (respond). S
// is detached: P starts an intermediate that starts S and exits at once,
// and P reaps the intermediate right away, so that S is never the
// program's child (a program that waits for all its children would wait
// for S; one that waits for any child could get S's status as its
// child's) but the nearest subreaper's or init's. Neither child copies P
// (forkSide).
//
// Two unix sockets: over the message socket (S's descriptor sideFd) P
// sends one framed message (sideMsg: what the enforcer needs), and S
// answers a ready byte; over the listener socket (sideListenFd) P sends
// either sideNow or the listener. S prints the denials, and exits when
// the listener reports that no filtered task is left (or, without a word,
// when P closes the sockets without sending the listener: the sandbox
// was not applied, and P says why).

// sideEnv marks a re-executed unveil that is the side supervisor.
const sideEnv = "_UNVEIL_SIDE"

// sideFd is the descriptor S gets the message socket on, sideListenFd
// the one it gets the listener socket on.
const (
	sideFd       = 3
	sideListenFd = 4
)

// sideNow, the first byte on the listener socket, tells S to execute
// unveil now; otherwise the first is the listener's ('L').
const sideNow = 'E'

// maxSideMsg bounds the message S accepts (a plan's enforcer data is a
// few KB; its veil, however many -v, well below this).
const maxSideMsg = 16 << 20

// sideReady is the byte S sends P once it is not dumpable.
const sideReady = 'R'

// sideMsg is what S needs to judge the program's calls: the enforcer's
// part of the plan.
type sideMsg struct {
	Pid       int      `json:"pid"` // P, whose calls until it runs the program are continued
	Arch      string   `json:"arch"`
	Promises  string   `json:"promises"`
	ExecNext  []string `json:"exec_next,omitempty"`
	ReadLayer *llLayer `json:"read_layer,omitempty"`
	Veil      *llLayer `json:"veil,omitempty"`
	UnixEmu   bool     `json:"unix_emu,omitempty"`
	Kill      bool     `json:"kill,omitempty"`
	Trace     bool     `json:"trace,omitempty"`
	Quiet     bool     `json:"quiet,omitempty"`
	KeepCaps  bool     `json:"keep_caps,omitempty"`
	UID       int      `json:"uid"`
	GID       int      `json:"gid"`
}

// newSideMsg takes the enforcer's data out of p, for pid.
func newSideMsg(p *plan, pid int) sideMsg {
	return sideMsg{Pid: pid, Arch: runtime.GOARCH, Promises: p.set.String(), ExecNext: p.execNext,
		ReadLayer: p.readLayer, Veil: p.veil, UnixEmu: p.unixEmu, Kill: p.kill, Trace: p.trace,
		Quiet: p.quiet, KeepCaps: p.KeepCaps, UID: p.UID, GID: p.GID}
}

// plan rebuilds the plan the enforcer reads.
func (m *sideMsg) plan() (*plan, error) {
	set, err := promises.Parse(m.Promises)
	if err != nil {
		return nil, fmt.Errorf("promises: %w", err)
	}
	if m.Pid <= 0 || m.UID < -1 || m.GID < -1 {
		return nil, fmt.Errorf("pid %d, uid %d, gid %d out of range", m.Pid, m.UID, m.GID)
	}
	return &plan{set: set, execNext: m.ExecNext, readLayer: m.ReadLayer, veil: m.Veil, unixEmu: m.UnixEmu,
		kill: m.Kill, trace: m.Trace, quiet: m.Quiet, KeepCaps: m.KeepCaps, UID: m.UID, GID: m.GID}, nil
}

// encodeSideMsg frames m: a 4-byte big-endian length, then the JSON.
func encodeSideMsg(m sideMsg) ([]byte, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(data))), data...), nil
}

// errNoMsg: P closed the socket before a message (it failed and says why).
var errNoMsg = errors.New("no message")

// readSideMsg reads one framed message from r.
func readSideMsg(r io.Reader) (sideMsg, error) {
	var m sideMsg
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		// ECONNRESET: P closed its end without reading S's ready byte
		// (the planning failed), which resets a unix stream socket.
		if err == io.EOF || errors.Is(err, syscall.ECONNRESET) {
			return m, errNoMsg
		}
		return m, fmt.Errorf("reading its length: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxSideMsg {
		return m, fmt.Errorf("%d bytes announced, more than the %d accepted", n, maxSideMsg)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return m, fmt.Errorf("reading its %d bytes: %w", n, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("decoding: %w", err)
	}
	return m, nil
}

// fdReader reads a descriptor with plain blocking system calls (an
// os.File would start the network poller).
type fdReader int

func (f fdReader) Read(b []byte) (int, error) {
	for {
		n, err := unix.Read(int(f), b)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

// sideMain is the entry point of the side supervisor.
func sideMain() int {
	// This process stays unsandboxed and answers for the program. A
	// program of the same user must not be able to reach it through
	// /proc/PID/mem (rpath and wpath where no Landlock domain is in force):
	// a process that is not dumpable cannot be reached that way by anyone
	// without CAP_SYS_PTRACE. P waits for the ready byte where that
	// matters (sideRisky).
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "unveil: supervisor: prctl(PR_SET_DUMPABLE, 0): %v\n", err)
		return exitInternal
	}
	if err := unix.SetNonblock(sideFd, false); err != nil {
		fmt.Fprintf(os.Stderr, "unveil: supervisor: descriptor %d: %v\n", sideFd, err)
		return exitInternal
	}
	// P may be gone already (S executes unveil once the program needs
	// it): then nobody reads this.
	unix.Sendto(sideFd, []byte{sideReady}, unix.MSG_NOSIGNAL, nil)
	m, err := readSideMsg(fdReader(sideFd))
	if err == errNoMsg {
		return exitInternal // the planning failed, and unveil said why
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "unveil: supervisor: malformed message from unveil: %v\n", err)
		return exitInternal
	}
	p, err := m.plan()
	if err != nil {
		fmt.Fprintf(os.Stderr, "unveil: supervisor: malformed message from unveil: %v\n", err)
		return exitInternal
	}
	unix.Close(sideFd)
	l, err := supervise.RecvListener(sideListenFd)
	unix.Close(sideListenFd)
	if err != nil {
		// The sandbox could not be applied (unveil said why), or unveil
		// died before the program ran.
		return exitInternal
	}
	e := &enforcer{p: p, arch: m.Arch, out: os.Stderr, seen: map[string]bool{}, creds: newCredStat(p)}
	var end sync.Once
	finish := func() {
		end.Do(func() {
			e.summary()
			os.Exit(exitOK)
		})
	}
	h := &busyHandler{h: e}
	if err := watchHangup(l.Fd(), &h.busy, finish); err != nil {
		fmt.Fprintf(os.Stderr, "unveil: supervisor: %v\n", err)
	}
	serve(l, h, m.Pid)
	finish()
	return exitOK
}

// busyHandler holds busy while h handles a call.
type busyHandler struct {
	busy sync.Mutex
	h    handler
}

func (b *busyHandler) Handle(r *supervise.Request) {
	b.busy.Lock()
	defer b.busy.Unlock()
	b.h.Handle(r)
}

// watchHangup calls end, from a goroutine of its own, once the kernel
// reports that no task uses the filter of the listener lfd any more
// (POLLHUP) and no call is being handled (it takes busy for good). No
// task can join the filter after that, so nothing is left to serve.
//
// Serve ends by itself when poll reports the hang-up, but not when it
// waits in a receive (SECCOMP_IOCTL_NOTIF_RECV): poll announced a call,
// and P's responder (side.respond), which receives on the same listener
// until P executes the program, took it first. Newer kernels end such a
// receive when the filter's last task goes (kernel commit "seccomp:
// interrupt SECCOMP_IOCTL_NOTIF_RECV when all users have exited", 2024);
// older ones, 6.1 among them (a semaphore that only a new call raises),
// wait for good, and S with them, holding the error stream of whoever ran
// unveil: a caller reading it never saw its end (issue #17's hang on the
// amd64/6.1 cell, where S was found in that receive).
//
// A task under the filter counts until the kernel releases it (on 6.1,
// when it is reaped). A descendant of the program that outlives it keeps
// S serving: its held calls need the answers, its denials the reports,
// and ending S would fail them with ENOSYS, silently. On a kernel that
// releases at reaping, so does a descendant that exited and that its
// parent (init, for an orphan) has not reaped yet: under an init that
// never reaps, S stays until the system ends. S cannot tell such a
// zombie from a live task under the filter, and the choice errs on the
// side of supervision.
//
// POLLERR is not the end: 6.1 reports it when a signal interrupts the
// poll (the kernel's lock wait), while tasks remain.
func watchHangup(lfd int, busy *sync.Mutex, end func()) error {
	fd, err := unix.FcntlInt(uintptr(lfd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("watching the listener for its end: %w", err)
	}
	go func() {
		for {
			// Events 0: only a hang-up or an error wakes the poll.
			fds := []unix.PollFd{{Fd: int32(fd), Events: 0}}
			_, err := unix.Poll(fds, -1)
			switch {
			case err == unix.EINTR:
				continue
			case err != nil || fds[0].Revents&unix.POLLNVAL != 0:
				return // cannot tell: Serve's own wait decides
			case fds[0].Revents&unix.POLLHUP != 0:
				busy.Lock()
				end()
				return
			}
		}
	}()
	return nil
}

// side is P's end of a side supervisor being started.
type side struct {
	sock  int  // P's end of the message socket; -1 once closed
	lsock int  // P's end of the listener socket; -1 once closed
	eager bool // S was told to execute unveil now ('E')
	// The wake pipe: the listener's number goes to the responder through
	// it. Its read end is nonblocking, read through the Go runtime's
	// poller: the waiting responder holds no P, which the runtime would
	// otherwise have to take back with a thread it cannot create under the
	// address space limit.
	wakeR *os.File
	wakeW int     // -1 once closed
	lfdNo [4]byte // what the responder reads there (allocated with s)
	// running is closed once the responder runs on its own thread: the
	// stage waits for it before the address space limit, under which the
	// runtime could not create that thread.
	running chan struct{}
}

// sideArgs are the arguments of the raw fork, converted before it.
type sideArgs struct {
	argv0   *byte
	argv    []*byte
	envv    []*byte
	argvp   **byte  // &argv[0]
	envvp   **byte  // &envv[0]
	sock    int     // S's end of the message socket, above sideListenFd
	lsock   int     // S's end of the listener socket, above sideListenFd
	devnull int     // S's standard input and output
	stack   uintptr // the top of sideWaitStack
	wait    uintptr // sideWait's entry
}

// newSide prepares a side supervisor: the responder to P's own calls,
// on a thread of its own that the filter, put on the main thread only,
// does not restrict, waiting for the listener's number on the wake pipe.
// It starts during the planning (a thread takes a while to create); if
// the planning fails, abandon ends it.
func newSide() (*side, error) {
	s := &side{sock: -1, lsock: -1, running: make(chan struct{})}
	var wake [2]int
	if err := unix.Pipe2(wake[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, fmt.Errorf("starting the supervisor: pipe: %w", err)
	}
	s.wakeR, s.wakeW = os.NewFile(uintptr(wake[0]), "unveil-wake"), wake[1]
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends at execve, or when respond returns
		close(s.running)
		s.respond()
	}()
	return s, nil
}

// start starts the side supervisor, detached (see above). It returns once
// S is started and the intermediate process is reaped: nothing of P's is
// copied (forkSide), so this takes a fraction of a millisecond, and it
// comes before anything P changes in all its threads (its user and
// groups: Go's syscall.Setresuid and the like change every thread). A
// fork made in the background, on a thread of its own, overlapped the
// planning but was no faster (its result reached the main thread through
// the Go scheduler), and when it came late S inherited the program's
// user: it could not look at P's executable (P is not dumpable after the
// switch) and denied P's own execve of the program
// (TestSideKeepsInvokersIdentity).
func (s *side) start() error {
	self, err := os.Executable()
	if err != nil {
		self = "/proc/self/exe"
	}
	// S's ends (not at 0-4, where dup3 puts things) and /dev/null are
	// S's once it is started: P closes its copies.
	var child, lchild int
	if s.sock, child, err = sidePair(); err != nil {
		return err
	}
	defer unix.Close(child)
	if s.lsock, lchild, err = sidePair(); err != nil {
		return err
	}
	defer unix.Close(lchild)
	devnull, err := unix.Open("/dev/null", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err == nil {
		var dn int
		dn, err = unix.FcntlInt(uintptr(devnull), unix.F_DUPFD_CLOEXEC, 10)
		unix.Close(devnull)
		devnull = dn
	}
	if err != nil {
		return fmt.Errorf("starting the supervisor: /dev/null: %w", err)
	}
	defer unix.Close(devnull)
	a := &sideArgs{sock: child, lsock: lchild, devnull: devnull}
	if a.argv0, err = syscall.BytePtrFromString(self); err == nil {
		if a.argv, err = syscall.SlicePtrFromStrings([]string{"unveil"}); err == nil {
			// GOMAXPROCS=1: S serves one listener; fewer runtime threads
			// start faster.
			a.envv, err = syscall.SlicePtrFromStrings(append(os.Environ(), sideEnv+"=1", "GOMAXPROCS=1"))
		}
	}
	if err != nil {
		return fmt.Errorf("starting the supervisor: %w", err)
	}
	a.argvp, a.envvp = &a.argv[0], &a.envv[0]
	a.stack = uintptr(unsafe.Pointer(&sideWaitStack[len(sideWaitStack)-1])) &^ 15
	a.wait = reflect.ValueOf(sideWait).Pointer()
	sideKeep = a
	prepareSideWait()
	// forkSide changes this thread's signal mask, and restores it.
	runtime.LockOSThread()
	mid, errno := forkSide(a)
	runtime.UnlockOSThread()
	runtime.KeepAlive(a)
	if errno != 0 {
		return fmt.Errorf("starting the supervisor: clone: %w", errno)
	}
	return reapSideLauncher(int(mid))
}

// sidePair returns a connected pair of unix stream sockets, P's end and
// S's, S's at 10 or above; both close on exec.
func sidePair() (ours, theirs int, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -1, fmt.Errorf("starting the supervisor: socketpair: %w", err)
	}
	theirs, err = unix.FcntlInt(uintptr(fds[1]), unix.F_DUPFD_CLOEXEC, 10)
	unix.Close(fds[1])
	if err != nil {
		unix.Close(fds[0])
		return -1, -1, fmt.Errorf("starting the supervisor: %w", err)
	}
	return fds[0], theirs, nil
}

// reapSideLauncher waits for the intermediate process, which has exited
// or is exiting (forkSide returns once it released P's memory): the
// program must not inherit it as a child. It exits 1 when it could not
// start S.
func reapSideLauncher(pid int) error {
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("starting the supervisor: waiting for its launcher: %w", err)
		}
		if !ws.Exited() || ws.ExitStatus() != 0 {
			return fmt.Errorf("starting the supervisor: its launcher could not create it (wait status %#x; a process limit?); -q runs without a supervisor", uint32(ws))
		}
		return nil
	}
}

// respond waits for the listener's number on the wake pipe, then
// continues every call it receives, until the main thread's execve ends
// its thread (see handOver). It allocates nothing once it waits: the
// address space limit is set before the listener exists (a -M below what
// the runtime would map next made an allocation here fatal). It waits
// parked in the runtime's poller, holding no P, and receives and answers
// with raw ioctl(2)s on its own stack (notify.ContinueAll; a blocking
// receive ends with the thread).
func (s *side) respond() {
	if _, err := io.ReadFull(s.wakeR, s.lfdNo[:]); err != nil {
		return // the program was not executed: nothing to answer
	}
	supervise.ContinueAll(int(binary.LittleEndian.Uint32(s.lfdNo[:])))
}

// abandon ends a side supervisor that will get no message: it exits
// without a word once it reads the end of the socket.
func (s *side) abandon() {
	if s.sock >= 0 {
		unix.Close(s.sock)
		s.sock = -1
	}
	if s.lsock >= 0 {
		unix.Close(s.lsock) // S, waiting for its first byte, exits
		s.lsock = -1
	}
	if s.wakeW >= 0 {
		unix.Close(s.wakeW) // the responder reads the end, and returns
		s.wakeW = -1
	}
}

// send sends S the enforcer's message (encodeSideMsg), whose plan P then
// applies to itself. The socket's buffer takes it: P does not wait for S.
//
// S reads it only once it executes unveil, which it may do only once the
// program made a call for it to answer (sideWait). A message larger than
// the socket's buffer would wait for that: P then tells S to execute
// unveil now.
func (s *side) send(data []byte) error {
	if !s.eager {
		if err := unix.SetNonblock(s.sock, true); err != nil {
			return fmt.Errorf("sending the supervisor its message: %w", err)
		}
	}
	for len(data) > 0 {
		n, err := unix.Write(s.sock, data)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			if err := s.startNow(); err != nil {
				return err
			}
			if err := unix.SetNonblock(s.sock, false); err != nil {
				return fmt.Errorf("sending the supervisor its message: %w", err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("sending the supervisor its message: %w", err)
		}
		data = data[n:]
	}
	return nil
}

// startNow tells S to execute unveil now rather than when the program
// first needs it.
func (s *side) startNow() error {
	if s.eager {
		return nil
	}
	s.eager = true
	if _, err := unix.Write(s.lsock, []byte{sideNow}); err != nil {
		return fmt.Errorf("starting the supervisor: %w", err)
	}
	return nil
}

// waitReady waits until S, told to start now (startNow), is not
// dumpable: its first byte on the message socket, which send left
// blocking.
func (s *side) waitReady() error {
	var b [1]byte
	for {
		n, err := unix.Read(s.sock, b[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n != 1 || b[0] != sideReady {
			return fmt.Errorf("the supervisor did not start (read %d bytes: %v)", n, err)
		}
		return nil
	}
}

// sideRisky reports whether the program could reach S through
// /proc/PID/mem before S made itself not dumpable: it runs as S's user
// and under no Landlock domain (which forbids ptrace access to processes
// outside it). P then waits for S to be ready before it runs the program.
func (p *plan) sideRisky() bool {
	return len(p.Layers) == 0 && (p.UID < 0 || p.UID == os.Geteuid())
}

// handOver prepares the hand-over of the listener, before anything is
// restricted, and returns the function that hands it over once the filter
// is in force. Preparing: the socket moves to descriptor sockFd (where the
// filter lets sendmsg through; above the program's descriptor limit).
// Handing over, on the main thread under the filter: the listener's
// number goes into the wake pipe, which wakes the responder (a thread of
// its own, which the filter, put on the main thread only, does not
// restrict) in the kernel, and the listener to S; the main thread then
// executes the program without waiting for either. The responder
// continues every call it receives, until the main thread's execve ends
// its thread. Those calls are P's own: the main thread is the only
// filtered task until the program runs, and the program runs only once
// every other thread of P has ended. S continues P's calls too when it
// gets them first (serve).
func (s *side) handOver(sockFd int) (func(lfd int) error, error) {
	if err := unix.Dup3(s.lsock, sockFd, unix.O_CLOEXEC); err != nil {
		return nil, fail(exitSandbox, "moving the supervisor's socket to descriptor %d (needs -O below the hard descriptor limit): %v", sockFd, err)
	}
	unix.Close(s.lsock)
	s.lsock = sockFd
	return func(lfd int) error {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(lfd))
		// Raw calls from here to the execve (see notify.SendFd): failing,
		// S answers P's execve instead.
		unix.RawSyscall(unix.SYS_WRITE, uintptr(s.wakeW), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
		// The socket stays open until P's execve closes it: S takes that
		// as the end of P's own calls.
		return supervise.SendListener(sockFd, lfd)
	}, nil
}

var (
	allSignals = ^uint64(0)
	oldSignals uint64
	sigDefault [4]uint64 // struct sigaction: SIG_DFL, no flags, empty mask
)
