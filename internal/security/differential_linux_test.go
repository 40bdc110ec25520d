package security

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/filter"
	"github.com/pledgekit/pledgekit/internal/notify"
	"github.com/pledgekit/pledgekit/internal/promfacts"
	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/syscalls"
)

// The differential check: for a promise set, the filter pledge installs
// (pledge.Program with PenaltyEPERM, which must be what filter.Compile
// produces) is loaded into the real kernel, and thousands of system calls
// are made under it: every syscall number of the architecture, numbers
// above the table, x32 numbers, and for every syscall with argument
// conditions in the promise table, argument vectors that satisfy each rule,
// miss it by one bit, or carry high bits. The kernel's verdict for each
// call must equal the BPF interpreter's (filter.Run) and the reference
// model's (filter.Reference, the promise table read directly).
//
// No call may actually run: a second filter, installed over the first on
// the probing thread only, hands every call the first one allows to a
// notification listener in this process, which answers it with a sentinel
// errno (errAllowed). The kernel runs both filters and obeys the stricter:
// the pledge filter's EPERM (or its ENOSYS and EPROTONOSUPPORT rules) win
// over the notification, so the errno the probing thread sees is the pledge
// filter's verdict. The few calls the Go runtime needs on that thread
// (futex, and what parking a thread takes) are let through by the second
// filter; they are probed only with arguments that make them fail
// harmlessly.
const errAllowed = syscall.Errno(4001)

// guardAllowed are the calls the second filter lets run: what a locked
// goroutine's thread may need to park and wake. Each is probed only with
// the harmless arguments in safeArgs.
// The vDSO's time calls are among them: where the clock source has no vDSO
// support (QEMU without KVM, for one) the runtime's nanotime makes a real
// clock_gettime system call.
var guardAllowed = []string{"futex", "sched_yield", "nanosleep", "rt_sigreturn", "rt_sigprocmask",
	"sigaltstack", "madvise", "munmap", "mmap", "tgkill", "getpid", "gettid", "exit", "exit_group",
	"clock_gettime", "gettimeofday", "time", "getcpu", "getrandom"}

// neverProbed are calls that would end or upset the probing thread even
// with any arguments; the interpreter and the model still agree on them.
// uretprobe and uprobe (amd64) bypass seccomp by the kernel's design
// (Linux 6.13+ runs them whatever a filter says) and kill a caller that is
// not a uprobe trampoline with SIGILL; TestUprobeSyscalls covers them.
var neverProbed = map[string]bool{"exit": true, "exit_group": true, "rt_sigreturn": true, "uretprobe": true, "uprobe": true}

// safeArgs returns arguments that make a guard-allowed call fail (or do
// nothing) whatever the filter says; for mmap the caller keeps the
// protection and flags arguments (the ones the table examines) and the
// offset of 1 makes the kernel refuse it (EINVAL) before anything else.
func safeArgs(name string, a [6]uint64) [6]uint64 {
	switch name {
	case "futex":
		return [6]uint64{1, 0xdead, 0, 0, 0, 0} // unknown op: ENOSYS
	case "nanosleep", "sigaltstack":
		return [6]uint64{1, 1} // EFAULT
	case "rt_sigprocmask":
		return [6]uint64{0xdead, 0, 0, 8} // EINVAL
	case "madvise", "munmap":
		return [6]uint64{1, 1, 0xdead} // unaligned: EINVAL
	case "mmap":
		return [6]uint64{0, 4096, a[2], a[3], ^uint64(0), 1} // unaligned offset: EINVAL
	case "tgkill":
		return [6]uint64{0, 0, 0} // EINVAL
	case "clock_gettime":
		return [6]uint64{0xdead, 1} // unknown clock: EINVAL
	case "gettimeofday", "time", "getcpu":
		return [6]uint64{1, 1, 1} // EFAULT
	case "getrandom":
		return [6]uint64{1, 1, 0xdead} // unknown flags: EINVAL
	}
	return [6]uint64{}
}

// diffSets are the promise sets checked: stdio (the Go runtime needs it on
// the probing thread) alone, with each other Linux promise, everything, and
// random sets. -short checks fewer.
func diffSets(short bool) []promises.Set {
	stdio := promises.Of(promises.Stdio)
	linux := promfacts.LinuxSet().Without(promises.Error)
	// The -short sets come first and are part of the full list: a
	// scenario child runs without -test.short and must find its subtest.
	sets := []promises.Set{stdio, linux, promises.MustParse("stdio rpath wpath cpath inet dns"), promises.MustParse("stdio unix route proc exec tty")}
	if short {
		return sets
	}
	for _, p := range linux.Promises() {
		if p != promises.Stdio {
			sets = append(sets, stdio.With(p))
		}
	}
	sets = append(sets, promises.MustParse("stdio mcast")) // mcast without inet
	rng := rand.New(rand.NewPCG(2026, 7))
	all := linux.Promises()
	for i := 0; i < 6; i++ {
		s := stdio
		for _, p := range all {
			if rng.IntN(3) == 0 {
				s = s.With(p)
			}
		}
		sets = append(sets, s)
	}
	return sets
}

func TestKernelDifferential(t *testing.T) {
	for _, set := range diffSets(testing.Short()) {
		name := strings.ReplaceAll(set.String(), " ", "+")
		t.Run(name, func(t *testing.T) {
			r := testproc.Run(t, "diff", func() { differential(set) },
				testproc.WithEnv("GODEBUG=asyncpreemptoff=1"), testproc.WithTimeout(2*time.Minute))
			if !r.Exited(0) {
				t.Fatalf("%s", r)
			}
			var probes, kernelRuns int
			fmt.Sscanf(lineOf(r.Stdout, "probes "), "%d kernel %d:", &probes, &kernelRuns)
			if probes < 1000 || kernelRuns < 500 {
				t.Fatalf("too few probes (%d, %d in the kernel)\n%s", probes, kernelRuns, r)
			}
			t.Logf("%s", strings.TrimSpace(r.Stdout))
		})
	}
}

// call is one probe: what the model and the interpreter say, and what the
// kernel said.
type call struct {
	d      filter.Data
	name   string
	model  uint32
	kernel syscall.Errno
	run    bool // made in the kernel
}

var progress atomic.Int64

// differential runs in the scenario process.
func differential(set promises.Set) {
	arch := runtime.GOARCH
	tab, err := syscalls.Native()
	must("syscall table", err)
	spec := filter.Spec{Arch: arch, Promises: set, Deny: filter.RetErrno | filter.EPERM, Pid: os.Getpid()}
	prog, err := filter.Compile(spec)
	must("compile", err)
	// The program pledge installs is this one.
	loaded := set
	if s := os.Getenv("PLEDGEKIT_SECURITY_SABOTAGE"); s != "" {
		// Manual check that disagreements are found: load another set.
		loaded = promises.MustParse(s)
	}
	installed, err := pledge.Program(loaded.String(), arch, pledge.PenaltyEPERM)
	must("pledge.Program", err)
	if loaded == set && !slices.Equal(installed, prog.SockFilters()) {
		testproc.Fatalf("pledge.Program differs from filter.Compile for %q", set)
	}

	probes := buildProbes(tab, set)
	bad := 0
	report := func(format string, args ...any) {
		bad++
		if bad <= 30 {
			fmt.Fprintf(os.Stderr, format+"\n", args...)
		}
	}
	for i := range probes {
		p := &probes[i]
		p.model = filter.Reference(spec, p.d)
		vm, _, err := filter.Run(prog, p.d)
		if err != nil || vm != p.model {
			report("interpreter: %s nr=%#x args=%#x: Run %s (%v), Reference %s", p.name, uint32(p.d.Nr), p.d.Args, filter.ActionString(vm), err, filter.ActionString(p.model))
		}
	}

	guard := guardProgram(tab)
	debug.SetGCPercent(-1)
	runtime.GC()
	lfd := make(chan int)
	done := make(chan struct{})
	var finished atomic.Bool
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the process
		if _, err := notify.Install(installed, false); err != nil {
			testproc.Fatalf("installing the pledge filter: %v", err)
		}
		fd, err := notify.Install(guard, true)
		if err != nil {
			testproc.Fatalf("installing the guard filter: %v", err)
		}
		lfd <- fd
		for i := range probes {
			p := &probes[i]
			if !p.run {
				continue
			}
			progress.Store(int64(i))
			a := p.d.Args
			for try := 0; ; try++ {
				_, _, e := syscall.Syscall6(uintptr(uint32(p.d.Nr)), uintptr(a[0]), uintptr(a[1]), uintptr(a[2]), uintptr(a[3]), uintptr(a[4]), uintptr(a[5]))
				p.kernel = e
				if (e != syscall.EINTR && e != 512 /* ERESTARTSYS */) || try > 5 {
					break
				}
			}
		}
		finished.Store(true)
		close(done)
		select {}
	}()
	var l *notify.Listener
	select {
	case fd := <-lfd:
		l = notify.NewListener(fd)
	case <-time.After(30 * time.Second):
		testproc.Fatalf("the probing thread did not install its filters (a call of the Go runtime on it may be missing from guardAllowed)")
	}
	go func() {
		for {
			n, err := l.Recv()
			if err != nil {
				return
			}
			l.Errno(n.ID, errAllowed)
		}
	}()
	if os.Getenv("PLEDGEKIT_SECURITY_DEBUG") != "" {
		go func() {
			for {
				time.Sleep(2 * time.Millisecond)
				i := progress.Load()
				fmt.Fprintf(os.Stderr, "at %d %s %#x %#x\n", i, probes[i].name, uint32(probes[i].d.Nr), probes[i].d.Args)
			}
		}()
	}
	select {
	case <-done:
	case <-time.After(100 * time.Second):
		testproc.Fatalf("the probing thread did not finish")
	}

	kernelRuns := 0
	var counts [3]int // allowed, denied, other errno
	guardSet := map[string]bool{}
	for _, n := range guardAllowed {
		guardSet[n] = true
	}
	for i := range probes {
		p := &probes[i]
		if !p.run {
			continue
		}
		kernelRuns++
		var got uint32
		switch {
		case p.kernel == syscall.EPERM:
			got = filter.RetErrno | filter.EPERM
		case p.kernel == errAllowed:
			got = filter.RetAllow
		case guardSet[p.name] && uint32(p.d.Nr) == mustNumber(tab, p.name):
			got = filter.RetAllow // it ran, harmlessly, and failed on its own
		case p.kernel != 0:
			got = filter.RetErrno | uint32(p.kernel)
		default:
			report("kernel: %s nr=%#x args=%#x ran (returned success): only guard-allowed calls may", p.name, uint32(p.d.Nr), p.d.Args)
			continue
		}
		switch {
		case got == filter.RetAllow:
			counts[0]++
		case got == filter.RetErrno|filter.EPERM:
			counts[1]++
		default:
			counts[2]++
		}
		if got != p.model {
			report("kernel: %s nr=%#x args=%#x: kernel %s (errno %d), model %s", p.name, uint32(p.d.Nr), p.d.Args, filter.ActionString(got), int(p.kernel), filter.ActionString(p.model))
		}
	}
	if bad > 0 {
		testproc.Fatalf("%d disagreements for %q", bad, set)
	}
	say("probes %d kernel %d: allowed %d, denied %d, errno rules %d", len(probes), kernelRuns, counts[0], counts[1], counts[2])
}

func mustNumber(tab *syscalls.Table, name string) uint32 {
	nr, ok := tab.Number(name)
	if !ok {
		return ^uint32(0)
	}
	return nr
}

// guardProgram: ALLOW the guard-allowed calls (by native number), hand
// everything else to the listener.
func guardProgram(tab *syscalls.Table) []unix.SockFilter {
	var nrs []uint32
	for _, n := range guardAllowed {
		if nr, ok := tab.Number(n); ok {
			nrs = append(nrs, nr)
		}
	}
	prog := []bpf.Instruction{bpf.LoadAbsolute{Off: 0, Size: 4}}
	for i, nr := range nrs {
		// Equal: jump to the ALLOW at the very end (past the 7 instructions
		// of the write(2) check below).
		prog = append(prog, bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipTrue: uint8(len(nrs) - i + 6)}) // to the last ALLOW
	}
	// write(2, ...) too, so that a crash of the probing thread can be
	// reported instead of waiting forever for a listener the crash stopped.
	write, _ := tab.Number("write")
	prog = append(prog,
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: write, SkipTrue: 5},
		bpf.LoadAbsolute{Off: 16, Size: 4}, // arg0, low half (little-endian)
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 2, SkipTrue: 3},
		bpf.LoadAbsolute{Off: 20, Size: 4}, // arg0, high half
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: 0, SkipTrue: 1},
		bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW},
		bpf.RetConstant{Val: unix.SECCOMP_RET_USER_NOTIF},
		bpf.RetConstant{Val: unix.SECCOMP_RET_ALLOW})
	raw, err := bpf.Assemble(prog)
	must("assemble guard", err)
	out := make([]unix.SockFilter, len(raw))
	for i, r := range raw {
		out[i] = unix.SockFilter{Code: r.Op, Jt: r.Jt, Jf: r.Jf, K: r.K}
	}
	return out
}

// buildProbes lists the calls to make: every number with a few fixed
// argument vectors, and for syscalls the table examines, vectors derived
// from every condition of every rule (all promises, not just the pledged
// ones, so that what the set does not allow is probed too).
func buildProbes(tab *syscalls.Table, set promises.Set) []call {
	rng := rand.New(rand.NewPCG(uint64(set), 1))
	var out []call
	guard := map[string]bool{}
	for _, n := range guardAllowed {
		guard[n] = true
	}
	add := func(nr uint32, name string, args [6]uint64) {
		run := !neverProbed[name]
		if guard[name] && nr == mustNumber(tab, name) {
			args = safeArgs(name, args)
		}
		if name == "write" && args[0] == 2 {
			args[0] = 0xdead // write(2, ...) is what the guard lets through
		}
		out = append(out, call{d: filter.Data{Nr: int32(nr), Arch: tab.AuditArch, Args: args}, name: name, run: run})
	}
	fixed := [][6]uint64{
		{},
		{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)},
		{1 << 32, 1 << 32, 1 << 32, 1 << 32, 1 << 32, 1 << 32},
	}
	// Every number of the table and a margin above it.
	for nr := uint32(0); nr <= tab.Max()+16; nr++ {
		name, ok := tab.Name(nr)
		if !ok {
			name = fmt.Sprintf("unassigned_%d", nr)
		}
		for _, a := range fixed {
			add(nr, name, a)
		}
		add(nr, name, randArgs(rng))
	}
	// Odd numbers: negative, huge; x32 on amd64.
	for _, nr := range []uint32{0xffffffff, 0x7fffffff, 0x80000000, 0xfffff000} {
		add(nr, "odd", [6]uint64{})
	}
	if tab.X32SyscallBit != 0 {
		for nr := uint32(0); nr <= tab.Max(); nr++ {
			name, _ := tab.Name(nr)
			add(tab.X32SyscallBit|nr, "x32 "+name, [6]uint64{})
		}
	}
	// Argument vectors from the table's conditions.
	byName := map[string][]promises.Rule{}
	for _, r := range promises.Baseline() {
		byName[r.Syscall] = append(byName[r.Syscall], r)
	}
	for _, p := range promises.All() {
		for _, r := range promises.Rules(p) {
			byName[r.Syscall] = append(byName[r.Syscall], r)
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		nr, ok := tab.Number(name)
		if !ok {
			continue
		}
		for _, r := range byName[name] {
			if !r.AppliesTo(tab.Arch) || len(r.Args) == 0 {
				continue
			}
			for _, v := range condVectors(r.Args, rng) {
				add(nr, name, v)
			}
		}
	}
	return out
}

func randArgs(rng *rand.Rand) [6]uint64 {
	var a [6]uint64
	for i := range a {
		a[i] = rng.Uint64()
		if rng.IntN(2) == 0 {
			a[i] &= 0xffffffff
		}
	}
	return a
}

// condVectors returns argument vectors for one rule: one satisfying every
// condition (with random bits outside the masks), the same with random
// upper halves on 32-bit conditions, and for each condition one vector
// that misses it by one bit of its mask.
func condVectors(conds []promises.Cond, rng *rand.Rand) [][6]uint64 {
	// Conditions on the caller's pid, bound as the filter binds them.
	conds = slices.Clone(conds)
	for i, c := range conds {
		conds[i], _ = c.For(os.Getpid())
	}
	base := randArgs(rng)
	for i := range base {
		base[i] &= 0xffff // small values: closer to real arguments
	}
	set := func(a *[6]uint64, c promises.Cond) {
		m := c.EffectiveMask()
		a[c.Arg] = a[c.Arg]&^m | c.Value&m
	}
	ok := base
	for _, c := range conds {
		set(&ok, c)
	}
	out := [][6]uint64{ok}
	high := ok
	for _, c := range conds {
		if c.Width == promises.W32 {
			high[c.Arg] |= rng.Uint64() << 32
		}
	}
	out = append(out, high)
	for i, c := range conds {
		m := c.EffectiveMask()
		if m == 0 {
			continue
		}
		// One bit of the mask, chosen at random among the set ones.
		bits := []uint64{}
		for b := uint(0); b < 64; b++ {
			if m&(1<<b) != 0 {
				bits = append(bits, 1<<b)
			}
		}
		miss := ok
		miss[c.Arg] ^= bits[rng.IntN(len(bits))]
		out = append(out, miss)
		if c.Width == promises.W64 {
			hi := ok
			hi[conds[i].Arg] |= 1 << 63
			out = append(out, hi)
		}
	}
	return out
}
