package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/engine"
	"github.com/pledgekit/pledgekit/internal/reportlink"
	uv "github.com/pledgekit/pledgekit/internal/unveil" // the library's unveil, without libpsx (docs/DESIGN.md)
	"github.com/pledgekit/pledgekit/report"
)

// stageEnv marks a re-executed unveil that must carry out a plan and exec
// the program (learn mode). Its value is "PLAN,SOCK": the
// descriptor to read the plan from and the one to hand the seccomp
// listener over. They are above every descriptor the program inherits
// (-N keeps those at their numbers).
const stageEnv = "_UNVEIL_STAGE"

// bpfProg is a filter program in the plan. It travels to the stage as the
// kernel's own layout (struct sock_filter: code, jt, jf, k; 8 bytes,
// little-endian) in one base64 string: decoding hundreds of JSON objects
// was a third of the stage's work before it could start restricting.
type bpfProg []rawInsn

func (b bpfProg) MarshalJSON() ([]byte, error) {
	raw := make([]byte, 0, 8*len(b))
	for _, in := range b {
		raw = binary.LittleEndian.AppendUint16(raw, in.Code)
		raw = append(raw, in.Jt, in.Jf)
		raw = binary.LittleEndian.AppendUint32(raw, in.K)
	}
	return json.Marshal(raw)
}

func (b *bpfProg) UnmarshalJSON(data []byte) error {
	var raw []byte
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	if len(raw)%8 != 0 {
		return fmt.Errorf("filter: %d bytes, not a whole number of 8-byte instructions", len(raw))
	}
	out := make(bpfProg, len(raw)/8)
	for i := range out {
		r := raw[8*i:]
		out[i] = rawInsn{Code: binary.LittleEndian.Uint16(r), Jt: r[2], Jf: r[3], K: binary.LittleEndian.Uint32(r[4:])}
	}
	*b = out
	return nil
}

// stageFds reads the descriptor numbers from stageEnv's value.
func stageFds(v string) (planFd, sockFd int, err error) {
	a, b, ok := strings.Cut(v, ",")
	if ok {
		planFd, err = strconv.Atoi(a)
		if err == nil {
			sockFd, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || planFd < 3 || sockFd < 3 || planFd == sockFd {
		return 0, 0, fmt.Errorf("%s=%q: want two descriptor numbers PLAN,SOCK above 2", stageEnv, v)
	}
	return planFd, sockFd, nil
}

// inheritedFds lists the descriptors above 2 this process inherited and
// would pass on at exec: those without close-on-exec (every descriptor Go
// opens has it).
func inheritedFds() []int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd < 3 {
			continue
		}
		if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && fl&unix.FD_CLOEXEC == 0 {
			out = append(out, fd)
		}
	}
	sort.Ints(out)
	return out
}

func init() {
	// The filter and the Landlock layers are put on the main thread only,
	// and execve must run on that same thread: lock it from the start.
	runtime.LockOSThread()
}

// stageMain is the entry point of a re-executed stage.
func stageMain() int {
	planFd, sockFd, err := stageFds(os.Getenv(stageEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, "unveil: stage: %v\n", err)
		return exitInternal
	}
	data, err := readPlan(planFd)
	if err != nil {
		fmt.Fprintf(os.Stderr, "unveil: stage: reading the plan: %v\n", err)
		return exitInternal
	}
	if len(data) == 0 {
		// The parent started this stage before planning, and the plan
		// failed (the parent says why) or the parent is gone: nothing was
		// restricted or executed; end without a word.
		return exitInternal
	}
	var p plan
	if err := json.Unmarshal(data, &p); err != nil {
		fmt.Fprintf(os.Stderr, "unveil: stage: decoding the plan: %v\n", err)
		return exitInternal
	}
	if p.SockFd >= 0 {
		if err := unix.Dup3(sockFd, p.SockFd, unix.O_CLOEXEC); err != nil {
			fmt.Fprintf(os.Stderr, "unveil: stage: moving the socket to descriptor %d (needs -O below the hard descriptor limit): %v\n", p.SockFd, err)
			return exitSandbox
		}
		unix.Close(sockFd)
	}
	err = p.apply()
	fmt.Fprintf(os.Stderr, "unveil: %v\n", err)
	if e, ok := err.(*exitError); ok {
		return e.code
	}
	return exitInternal
}

// readPlan reads the plan from fd to its end and closes fd. It reads with
// plain blocking system calls into one buffer (a plan is a few KB): an
// os.File would start the runtime's network poller for the pipe, and
// io.ReadAll reads from 512 bytes up, on the stage's critical path.
func readPlan(fd int) ([]byte, error) {
	defer unix.Close(fd)
	if err := unix.SetNonblock(fd, false); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 32<<10)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return nil, err
		case n == 0:
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// apply carries out the plan in the calling process and execs the program.
// It returns only on failure.
func (p *plan) apply() error { return p.applyWith(nil) }

// applyWith is apply; with sd (supervised mode), the filter's listener is
// handed to the side supervisor sd before the program is executed.
func (p *plan) applyWith(sd *side) error {
	// 1. Descriptors: 0-2 exist, everything else is closed at exec.
	if p.Normalize {
		for fd := 0; fd < 3; fd++ {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == unix.EBADF {
				nfd, err := unix.Open("/dev/null", unix.O_RDWR, 0)
				if err != nil {
					return fail(exitSandbox, "reopening descriptor %d on /dev/null: %v", fd, err)
				}
				if nfd != fd {
					unix.Dup3(nfd, fd, 0)
					unix.Close(nfd)
				}
			}
		}
		if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
			// Older kernels: mark them one by one.
			for fd := 3; fd < 1024; fd++ {
				unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
			}
		}
	}
	// 2. Priority.
	if p.Nice {
		unix.Setpriority(unix.PRIO_PROCESS, 0, 19)
		const ioprioClassIdle, ioprioWhoProcess = 3, 1
		unix.Syscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, 0, ioprioClassIdle<<13)
		param := struct{ prio int32 }{0}
		unix.Syscall(unix.SYS_SCHED_SETSCHEDULER, 0, 5 /* SCHED_IDLE */, uintptr(unsafePointer(&param)))
	}
	// 3. Resource limits (processes, address space and descriptors last:
	// setLateLimits).
	for _, r := range p.Rlimits {
		if r.Res != unix.RLIMIT_NPROC && r.Res != unix.RLIMIT_AS {
			setLimit(r)
		}
	}
	// 4. Capabilities: empty the bounding set and the ambient set, so no
	// exec can regain any, even as root.
	if !p.KeepCaps {
		for c := 0; c < 64; c++ {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
				break // EINVAL past the last capability; EPERM without CAP_SETPCAP
			}
		}
		unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
	}
	// 5. Identity (Go changes it in every thread of this process; the
	// side supervisor was started before, as the user who ran unveil).
	if err := p.switchIDs(); err != nil {
		return err
	}
	if !p.KeepCaps {
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if unix.Capget(&hdr, &data[0]) == nil {
			data[0].Inheritable, data[1].Inheritable = 0, 0
			unix.Capset(&hdr, &data[0])
		}
	}
	// 6-8. The sandbox, through the engine, on this thread, which then
	// execs: no_new_privs (which also keeps setuid files from granting
	// anything at exec), the Landlock layers, then (beforeFilter) the
	// report and the limits, then the seccomp filter, whose listener the
	// engine sends to the supervisor and closes here.
	var argv0p *byte
	var argvp, envvp []*byte
	tight, stat := p.tightLimits() // before the layers, which may hide /proc
	beforeFilter := func() error {
		if err := p.announce(); err != nil {
			return err
		}
		// The arguments are converted now: syscall.Exec would allocate
		// them after the address space limit.
		var err error
		if argv0p, err = syscall.BytePtrFromString(p.Program); err != nil {
			return fail(exitCannotExec, "%s: %v", p.Program, err)
		}
		if argvp, err = syscall.SlicePtrFromStrings(p.Argv); err != nil {
			return fail(exitCannotExec, "%s: arguments: %v", p.Program, err)
		}
		if envvp, err = syscall.SlicePtrFromStrings(p.Env); err != nil {
			return fail(exitCannotExec, "%s: environment: %v", p.Program, err)
		}
		// Under the address space limit the Go runtime can create no
		// thread: the threads it will need must exist before (spareThreads).
		if sd != nil {
			<-sd.running // the responder's
		}
		if tight {
			spareThreads(stat)
		}
		p.setLateLimits()
		return nil
	}
	ep := &engine.Plan{Scope: engine.Thread, NoNewPrivs: true, BeforeFilter: beforeFilter}
	for i := range p.Layers {
		ep.Landlock = append(ep.Landlock, engine.Layer{Commit: func() error { return p.restrictLayer(i) }})
	}
	if p.Filtered {
		// The filter program is built before the address space limit
		// (beforeFilter), so that nothing after it needs the Go runtime
		// to map more memory (a stage under -M 1g died in persistentalloc
		// on arm64 under memory pressure).
		f := &engine.Filter{Prog: make([]unix.SockFilter, len(p.Filter))}
		for i, in := range p.Filter {
			f.Prog[i] = unix.SockFilter{Code: in.Code, Jt: in.Jt, Jf: in.Jf, K: in.K}
		}
		if p.SockFd >= 0 {
			// sendmsg on descriptor p.SockFd is allowed by the filter;
			// everything else from here on is answered by the supervisor.
			// (With a side supervisor, handOver sends it, and keeps it
			// for a responder to P's own execve.)
			f.Listener, f.SendTo = engine.ListenerSend, p.SockFd
		}
		ep.Filter = f
	}
	var handOver func(int) error
	if sd != nil && ep.Filter != nil {
		var err error
		if handOver, err = sd.handOver(p.SockFd); err != nil {
			return err
		}
		ep.Filter.Listener = engine.ListenerKeep
	}
	res, err := engine.Apply(ep)
	if err != nil {
		switch res.Failed {
		case engine.StepNoNewPrivs:
			return fail(exitSandbox, "%v", err)
		case engine.StepFilter:
			return fail(exitSandbox, "installing the seccomp filter: %v", err)
		case engine.StepListener:
			return fail(exitSandbox, "handing the listener to the supervisor: %v", err)
		}
		return err // the layers' and beforeFilter's own errors
	}
	if handOver != nil && res.ListenerFd >= 0 {
		if err := handOver(res.ListenerFd); err != nil {
			return fail(exitSandbox, "handing the listener to the supervisor: %v", err)
		}
	}
	if p.NoFile != nil {
		// execve with the arguments converted above: syscall.Exec would
		// allocate them now, under the program's address space limit. (It
		// also restores the descriptor limit Go raised at start-up; the
		// plan has set its own.)
		// Raw, as syscall.Exec's: see notify.SendFd.
		_, _, errno := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(argv0p)),
			uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envvp[0])))
		runtime.KeepAlive(argv0p)
		runtime.KeepAlive(argvp)
		runtime.KeepAlive(envvp)
		err = errno
	} else {
		err = syscall.Exec(p.Program, p.Argv, p.Env)
	}
	code := exitCannotExec
	if err == syscall.ENOENT {
		code = exitNotFound
	}
	return fail(code, "%s: %v", p.Program, err)
}

// restrictLayer enforces layer i on this thread and adds unveil's report
// of it to the plan's report.
func (p *plan) restrictLayer(i int) error {
	lrep, err := p.Layers[i].restrict(p.paths)
	if err != nil {
		code := exitSandbox
		if errors.Is(err, uv.ErrNotExpressible) {
			code = exitPath // a -v path with permissions "" beneath an unveiled directory
		}
		return fail(code, "applying Landlock: %v", err)
	}
	if p.Report != nil && p.Layers[i].Name != "promises" {
		// The promises layer is the command's own emulation, reported
		// as such; the others are unveil's, and so is their report.
		p.Report.Merge(p.settle(*lrep))
	}
	return nil
}

// setLateLimits sets the process, address space and descriptor limits,
// the program's, right before the filter: set before, they bound this Go
// process too. Its runtime maps heap arenas as it goes (a -M below what
// the runtime had reserved made it die with "out of memory" before the
// exec), and starts OS threads when it needs them: RLIMIT_NPROC counts
// every task of the user, and a limit below that count made the runtime
// die with "failed to create new OS thread" (as nobody, beside the user's
// other processes). RLIMIT_NPROC also comes after the switch of user:
// set before it, a limit below the new user's task count (this process's
// threads among them) made the kernel mark the switch as over the limit
// and fail the execve with EAGAIN; set after, it binds the program from
// its first fork on. Nothing may allocate after it.
func (p *plan) setLateLimits() {
	for _, r := range p.Rlimits {
		if r.Res == unix.RLIMIT_AS || r.Res == unix.RLIMIT_NPROC {
			setLimit(r)
		}
	}
	if p.NoFile != nil {
		setLimit(*p.NoFile)
	}
}

// spareThreadsBelow is the address space headroom under which the stage
// leaves the Go runtime spare threads before the limit (spareThreads).
const spareThreadsBelow = 256 << 20

// tightLimits says whether the program's limits may leave this process
// unable to create a thread once set (see spareThreads): a -P process
// limit, which the user's tasks may already reach (RLIMIT_NPROC counts
// every thread of the user; the default is above every task of the
// system), or an address space limit less than spareThreadsBelow over the
// process's size (vsize in /proc/self/stat; unknown counts as tight).
// When tight it returns that file open, for spareThreads, or -1 without
// /proc. Called before the Landlock layers, which may hide /proc.
func (p *plan) tightLimits() (bool, int) {
	stat, err := unix.Open("/proc/self/stat", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		stat = -1
	}
	tight := p.ProcsSet
	for _, r := range p.Rlimits {
		if !tight && r.Res == unix.RLIMIT_AS && r.Cur != unix.RLIM_INFINITY {
			var buf [1024]byte
			size := statField(stat, buf[:], statVsize)
			tight = size < 0 || r.Cur <= uint64(size)+spareThreadsBelow
		}
	}
	if !tight && stat >= 0 {
		unix.Close(stat)
		stat = -1
	}
	return tight, stat
}

// spareThreads leaves the Go runtime idle OS threads, and this goroutine a
// fresh time slice, for limits that tightLimits finds tight. Under such
// limits the runtime can create no thread (nor, under the address space
// limit, grow its heap), and it needs another thread whenever a P changes
// hands: the monitor preempts a goroutine that ran 10 ms, a locked thread
// hands its P to another to run a goroutine it cannot run itself, the
// poller wakes the responder. A stage under -M 64m died so with "out of
// memory" in newm, about once in a thousand launches on a loaded machine
// (TestLimits), and one under -P 50 as nobody with "failed to create new
// OS thread". The threads come from goroutines that hold one each at
// once, then let them go idle.
//
// Threads are created behind the caller's back: a locked thread (this
// one, a spare) that needs another asks the runtime's template thread,
// which may create it after the limit. -P 1 as nobody died so about once
// in a hundred launches, with every spare idle. So spareThreads then
// waits, up to 50 ms, until every thread the runtime has allocated
// (runtime.ThreadCreateProfile counts them, created or not) runs: until
// the thread count in stat, this process's /proc/self/stat opened before
// the Landlock layers, reaches it. It closes stat (-1: not open, no wait).
func spareThreads(stat int) {
	const spares = 3
	var held, gone sync.WaitGroup
	held.Add(spares)
	gone.Add(spares)
	release := make(chan struct{})
	for range spares {
		go func() {
			runtime.LockOSThread() // a thread of its own while held
			held.Done()
			<-release
			runtime.UnlockOSThread() // back to the runtime, idle
			gone.Done()
		}()
	}
	held.Wait()
	close(release)
	gone.Wait()
	runtime.Gosched() // a fresh time slice, the released threads idle
	if stat < 0 {
		return
	}
	defer unix.Close(stat)
	var buf [1024]byte
	for range 2500 {
		ms, _ := runtime.ThreadCreateProfile(nil)
		if n := statField(stat, buf[:], statThreads); n < 0 || n >= int64(ms) {
			return
		}
		// Raw, holding the P: parking this locked thread would hand the
		// P over, and could ask for yet another thread.
		ts := unix.Timespec{Nsec: 20_000}
		unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
	}
}

// Fields of /proc/PID/stat (proc(5) numbers them from 1).
const (
	statThreads = 20 // num_threads
	statVsize   = 23 // vsize, in bytes
)

// statField reads field n (n > 2) of the /proc/PID/stat open as fd into
// buf and returns it; -1 if it cannot. The fields are counted after the
// last ')', which ends the command name (any bytes, the process's own).
func statField(fd int, buf []byte, n int) int64 {
	if fd < 0 {
		return -1
	}
	m, err := unix.Pread(fd, buf, 0)
	if err != nil || m <= 0 || m == len(buf) { // a full buffer may have cut the line
		return -1
	}
	i := bytes.LastIndexByte(buf[:m], ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(buf[i+1 : m]))
	if len(f) <= n-3 {
		return -1
	}
	v, err := strconv.ParseInt(f[n-3], 10, 64) // f[0] is field 3, the state
	if err != nil {
		return -1
	}
	return v
}

// settle marks the items of unveil's report that the filter settles
// (p.Moot) as having no effect, with the reason, and closes the holes of
// the layer that the filter closes (p.Closes), as package pledge does.
func (p *plan) settle(r report.Report) report.Report {
	items := make([]report.Item, len(r.Items))
	for i, it := range r.Items {
		if why, ok := p.Moot[it.What]; ok && (it.Status == report.Partial || it.Status == report.Dropped) {
			it.Status, it.Reason = report.NoEffect, why
		}
		items[i] = it
	}
	r.Items = items
	for _, h := range p.Closes {
		reportlink.Close(&r, h)
	}
	return r
}

// announce prints the report (--report), then the one-line warning when
// the sandbox is degraded, or refuses to run (--strict). It runs in the
// process that enforces, once Landlock's layers are in place, so the
// report is what the kernel took.
func (p *plan) announce() error {
	if p.Report == nil {
		return nil
	}
	if p.Show.Report {
		if p.Show.JSON {
			os.Stderr.Write(append(p.Report.JSON(), '\n'))
		} else {
			p.Report.WriteTable(os.Stderr)
		}
	}
	if p.Show.Quiet && !p.Show.Strict {
		return nil // the summary would be neither shown nor acted on
	}
	if s := p.Report.Summary(); s != "" {
		if p.Show.Strict {
			return fail(exitSandbox, "--strict: refusing to run: %s", s)
		}
		if !p.Show.Quiet {
			fmt.Fprintf(os.Stderr, "unveil: %s\n", s)
		}
	}
	return nil
}

func setLimit(r rlim) {
	l := unix.Rlimit{Cur: r.Cur, Max: r.Max}
	if unix.Setrlimit(r.Res, &l) == nil {
		return
	}
	// As Cosmopolitan's pledge: retry capped at the current hard limit.
	var cur unix.Rlimit
	if unix.Getrlimit(r.Res, &cur) == nil {
		if l.Max > cur.Max {
			l.Max = cur.Max
		}
		if l.Cur > l.Max {
			l.Cur = l.Max
		}
		unix.Setrlimit(r.Res, &l)
	}
}

// switchIDs changes group and user as APT does: supplementary groups,
// then gid, then uid, and checks the result, including that the change
// cannot be undone.
func (p *plan) switchIDs() error {
	if p.UID < 0 && p.GID < 0 {
		return nil
	}
	gid := p.GID
	if gid < 0 {
		gid = os.Getgid()
	}
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return fail(exitSandbox, "setgroups(%d): %v", gid, err)
	}
	if err := syscall.Setresgid(gid, gid, gid); err != nil {
		return fail(exitSandbox, "setresgid(%d): %v", gid, err)
	}
	if p.UID >= 0 {
		if err := syscall.Setresuid(p.UID, p.UID, p.UID); err != nil {
			return fail(exitSandbox, "setresuid(%d): %v", p.UID, err)
		}
	}
	r, e, s := unix.Getresgid()
	if r != gid || e != gid || s != gid {
		return fail(exitSandbox, "group switch did not take: real/effective/saved gid %d/%d/%d, want %d", r, e, s, gid)
	}
	if g, _ := unix.Getgroups(); len(g) > 1 || (len(g) == 1 && g[0] != gid) {
		return fail(exitSandbox, "supplementary groups %v remain after setgroups", g)
	}
	if p.UID >= 0 {
		r, e, s = unix.Getresuid()
		if r != p.UID || e != p.UID || s != p.UID {
			return fail(exitSandbox, "user switch did not take: real/effective/saved uid %d/%d/%d, want %d", r, e, s, p.UID)
		}
		if p.UID != 0 {
			if _, _, errno := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0); errno == 0 {
				return fail(exitSandbox, "setuid(0) still succeeds after switching to uid %d", p.UID)
			}
		}
	}
	return nil
}
