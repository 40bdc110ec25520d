package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
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

// plan is the validated work for one run.
type plan struct {
	opts     Options
	files    []FileSpec
	urls     [][]string
	pubKey   []byte
	caPEM    []byte
	switchTo bool
	uid, gid int
	userName string
	// releaseUID frees a dynamic download user at the end of the run.
	releaseUID func()
	ports      []uint16
	udpPorts   []uint16
	eps        []string
	readOnly   []string
}

func makePlan(opts Options) (*plan, error) {
	p := &plan{opts: opts}
	for _, m := range opts.Mirrors {
		if _, err := parseMirrorURL(m); err != nil {
			return nil, fmt.Errorf("%w: --mirror %q: %w", ErrUsage, m, err)
		}
	}
	if opts.DisableSandbox && opts.RequireSandbox {
		return nil, fmt.Errorf("%w: --disable-sandbox and --require-sandbox contradict each other", ErrUsage)
	}
	if opts.Parallel < 1 || opts.Parallel > 64 {
		return nil, fmt.Errorf("%w: --parallel %d out of range 1..64", ErrUsage, opts.Parallel)
	}
	l := opts.List
	if l == nil {
		if opts.ListFile == "" {
			return nil, fmt.Errorf("%w: --list FILE is required (or --demo)", ErrUsage)
		}
		data, err := os.ReadFile(opts.ListFile)
		if err != nil {
			return nil, fmt.Errorf("reading the download list: %w", err)
		}
		if l, err = ParseList(data); err != nil {
			return nil, fmt.Errorf("%s: %w", opts.ListFile, err)
		}
	} else if err := l.validate(); err != nil {
		return nil, err
	}
	p.files = l.Files
	needDNS := false
	ports := map[uint16]bool{}
	eps := map[string]bool{}
	anySigned := false
	for i := range l.Files {
		f := &l.Files[i]
		us := l.URLsFor(f, opts.Mirrors)
		if len(us) == 0 {
			return nil, fmt.Errorf("%w: file %q has no URL and there is no mirror (--mirror URL)", ErrUsage, f.Name)
		}
		for _, s := range us {
			u, err := parseFileURL(s)
			if err != nil {
				return nil, fmt.Errorf("%w: %q: %w", ErrBadList, s, err)
			}
			port, _ := urlPort(u)
			ports[port] = true
			eps[endpoint(u)] = true
			if !hostIsIP(u) {
				needDNS = true
			}
		}
		p.urls = append(p.urls, us)
		anySigned = anySigned || f.Signed
	}
	if needDNS {
		ports[53] = true // DNS over TCP; over UDP: udpPorts
		p.udpPorts = []uint16{53}
		for _, f := range []string{"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf"} {
			if _, err := os.Stat(f); err == nil {
				p.readOnly = append(p.readOnly, f)
			}
		}
	}
	for port := range ports {
		p.ports = append(p.ports, port)
	}
	sort.Slice(p.ports, func(i, j int) bool { return p.ports[i] < p.ports[j] })
	for e := range eps {
		p.eps = append(p.eps, e)
	}
	sort.Strings(p.eps)

	switch {
	case len(opts.PublicKey) > 0:
		k, err := parsePublicKey(opts.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		p.pubKey = k
	case opts.KeyFile != "":
		b, err := os.ReadFile(opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		if p.pubKey, err = parsePublicKey(b); err != nil {
			return nil, fmt.Errorf("--key %s: %w", opts.KeyFile, err)
		}
	case l.PublicKey != "":
		p.pubKey, _ = parsePublicKey([]byte(l.PublicKey))
	}
	if anySigned && p.pubKey == nil {
		return nil, fmt.Errorf("%w: the list has signed files; give the public key with --key FILE or public_key in the list", ErrNoKey)
	}
	switch {
	case len(opts.CAPEM) > 0:
		p.caPEM = opts.CAPEM
	case opts.CAFile != "":
		b, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		p.caPEM = b
	}
	if err := p.resolveUser(); err != nil {
		return nil, err
	}
	return p, nil
}

// resolveUser decides whether and to whom the child switches. Only root
// switches (pacman 7.0 broke non-root use by always trying). --user equal
// to the current user, or root, means no switch.
func (p *plan) resolveUser() error {
	euid := os.Geteuid()
	name := p.opts.User
	explicit := name != ""
	if euid != 0 {
		if !explicit {
			p.uid, p.gid = euid, os.Getegid()
			return nil
		}
		uid, gid, err := lookupUser(name)
		if err != nil {
			return err
		}
		if uid != euid {
			return fmt.Errorf("%w: --user %s (uid %d) while running as uid %d; run as root or drop --user", ErrNeedRoot, name, uid, euid)
		}
		p.uid, p.gid = uid, gid
		return nil
	}
	if !explicit {
		uid, release, err := allocateUID()
		if err != nil {
			return err
		}
		p.uid, p.gid, p.userName, p.releaseUID = uid, uid, fmt.Sprintf("dynamic uid %d", uid), release
		p.switchTo = true
		return nil
	}
	uid, gid, err := lookupUser(name)
	if err != nil {
		return err
	}
	p.uid, p.gid, p.userName = uid, gid, name
	p.switchTo = uid != 0
	return nil
}

func lookupUser(name string) (uid, gid int, err error) {
	var u *user.User
	if n, perr := strconv.Atoi(name); perr == nil {
		if n < 0 || n > 1<<31-2 {
			return 0, 0, fmt.Errorf("%w: --user %s out of range", ErrUsage, name)
		}
		u, err = user.LookupId(name)
		if err != nil {
			// A bare uid with no passwd entry: use it as its own group.
			return n, n, nil
		}
	} else if u, err = user.Lookup(name); err != nil {
		return 0, 0, fmt.Errorf("%w: download user %q: %w (create it, or pass --user UID)", ErrUsage, name, err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}

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

// checkCache refuses a cache another user could change: it must belong to
// the user running the downloader (root when root) and be writable by no
// one else, sticky bit or not. Its owner, or anyone who may write to it,
// could otherwise hold the lock forever and replace installed files.
func (r *runner) checkCache() error {
	var st unix.Stat_t
	if err := unix.Fstat(r.cachefd, &st); err != nil {
		return fmt.Errorf("checking the cache %s: %w", r.cache, err)
	}
	euid := os.Geteuid()
	if st.Uid != uint32(euid) || st.Mode&0o022 != 0 {
		return fmt.Errorf("%w: %s is owned by uid %d with mode %04o; it must be owned by uid %d and writable by no one else (chown %d %s && chmod go-w %s)",
			ErrUnsafeCache, r.cache, st.Uid, st.Mode&0o7777, euid, euid, r.cache, r.cache)
	}
	return nil
}

// lock takes an exclusive lock on the cache, so that temp dirs found at
// start are known to be leftovers of crashed runs.
func (r *runner) lock() (func(), error) {
	fd, err := unix.Openat(r.cachefd, lockFileName, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating the lock file in %s: %w", r.cache, err)
	}
	// A short wait: a copy of a lock descriptor lives on briefly in a
	// process forked by another goroutine before its exec closes it.
	for deadline := time.Now().Add(time.Second); ; {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked (%s)", ErrLocked, r.cache, lockFileName)
		}
		return nil, fmt.Errorf("locking %s: %w", r.cache, err)
	}
	return func() { unix.Close(fd) }, nil
}

// removeLeftovers deletes download-* dirs left by a crashed run (pacman
// #209), after moving their partial files of listed names back into the
// cache so the downloads resume.
func (r *runner) removeLeftovers() {
	entries, _ := os.ReadDir(r.cache)
	for _, e := range entries {
		n := e.Name()
		if !strings.HasPrefix(n, tempDirPrefix) {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(r.cachefd, n, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue
		}
		path := filepath.Join(r.cache, n)
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			_ = unix.Unlinkat(r.cachefd, n, 0)
			r.res.Leftovers = append(r.res.Leftovers, path)
			continue
		}
		salvaged := 0
		if fd, err := r.takeLeftover(n); err != nil {
			r.warn("not salvaging partial files from %s: %v", path, err)
		} else {
			for i := range r.files {
				// A complete file of a run killed before it installed
				// it is kept too; the next transfer is then none.
				_ = unix.Renameat2(fd, r.files[i].Name, fd, r.files[i].Name+partSuffix, unix.RENAME_NOREPLACE)
				if r.movePartial(fd, r.cachefd, r.files[i].Name+partSuffix, r.files[i].Size, true) {
					salvaged++
				}
			}
			unix.Close(fd)
		}
		if err := removeAt(r.cachefd, n); err != nil {
			r.warn("could not remove the leftover %s: %v", path, err)
			continue
		}
		r.res.Leftovers = append(r.res.Leftovers, path)
		r.info("removed %s left by an earlier run (%d partial files kept for resume)", path, salvaged)
	}
}

// takeLeftover opens a leftover download dir and makes it root's (ours
// when not root), mode 0700, before anything in it is looked at: a process
// of the download user, even one holding a descriptor of it, can then no
// longer rename or swap its entries (RENAME_EXCHANGE) between the checks
// and the move.
func (r *runner) takeLeftover(name string) (int, error) {
	fd, err := unix.Openat(r.cachefd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if os.Geteuid() == 0 {
		err = unix.Fchown(fd, 0, 0)
	}
	if err == nil {
		err = unix.Fchmod(fd, 0o700)
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("taking it back: %w", err)
	}
	return fd, nil
}

// makeTempDir creates the private download dir inside the cache (same
// file system, so finished files are renamed, never copied) and gives it
// to the download user.
func (r *runner) makeTempDir() error {
	tmp, err := os.MkdirTemp(r.cache, tempDirPrefix)
	if err != nil {
		return fmt.Errorf("creating the download directory in %s: %w", r.cache, err)
	}
	r.tmp = tmp
	r.tmpfd, err = unix.Open(tmp, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("opening %s: %w", tmp, err)
	}
	if r.switchTo {
		if err := unix.Fchown(r.tmpfd, r.uid, r.gid); err != nil {
			unix.Close(r.tmpfd)
			os.Remove(tmp)
			return fmt.Errorf("giving %s to uid %d: %w (on NFS with root_squash or in a user namespace, pass --user with a usable uid, or run without root)", tmp, r.uid, err)
		}
	}
	return nil
}

// restorePartials moves <name>.part files of an interrupted run from the
// cache into the new temp dir, so the child resumes them with Range.
func (r *runner) restorePartials() {
	r.resumed = map[int]int64{}
	for i := range r.files {
		n := r.files[i].Name + partSuffix
		if r.movePartial(r.cachefd, r.tmpfd, n, r.files[i].Size, false) {
			var st unix.Stat_t
			if unix.Fstatat(r.tmpfd, n, &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
				r.resumed[i] = st.Size
			}
		}
	}
}

// movePartial moves one partial file between directories after checking
// it is a plain file of at most limit bytes. toCache: give it to root;
// otherwise to the download user. Anything else under that name (a
// symlink, a fifo, an over-long file) is deleted with a warning.
func (r *runner) movePartial(fromfd, tofd int, name string, limit int64, toCache bool) bool {
	var lst unix.Stat_t
	if err := unix.Fstatat(fromfd, name, &lst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false
	}
	reject := func(why string) bool {
		r.warn("discarding the partial file %s: %s", name, why)
		_ = unix.Unlinkat(fromfd, name, 0)
		return false
	}
	if lst.Mode&unix.S_IFMT != unix.S_IFREG {
		return reject(fmt.Sprintf("%v: %s", ErrNotRegular, fileType(lst.Mode)))
	}
	if lst.Size == 0 {
		_ = unix.Unlinkat(fromfd, name, 0)
		return false
	}
	if lst.Size > limit || lst.Nlink != 1 {
		return reject(fmt.Sprintf("%d bytes, %d links", lst.Size, lst.Nlink))
	}
	fd, err := unix.Openat(fromfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return reject(err.Error())
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Ino != lst.Ino || st.Dev != lst.Dev {
		return reject("it changed while being checked")
	}
	if os.Geteuid() == 0 {
		uid, gid := 0, 0
		if !toCache && r.switchTo {
			uid, gid = r.uid, r.gid
		}
		if err := unix.Fchown(fd, uid, gid); err != nil {
			return reject(err.Error())
		}
	}
	_ = unix.Fchmod(fd, 0o644)
	if err := unix.Renameat(fromfd, name, tofd, name); err != nil {
		return reject(err.Error())
	}
	// What was renamed must be what was checked (the source directory
	// may be writable by the download user).
	var moved unix.Stat_t
	if unix.Fstatat(tofd, name, &moved, unix.AT_SYMLINK_NOFOLLOW) != nil || moved.Ino != st.Ino || moved.Dev != st.Dev {
		r.warn("discarding the partial file %s: it was replaced while being moved", name)
		_ = unix.Unlinkat(tofd, name, 0)
		return false
	}
	return true
}

func fileType(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFLNK:
		return "a symlink"
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFIFO:
		return "a fifo"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFCHR, unix.S_IFBLK:
		return "a device"
	}
	return "a regular file"
}

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

// download runs the downloader child to completion.
func (r *runner) download(ctx context.Context) (*session, error) {
	penalty := "kill"
	if r.opts.errnoPenalty {
		penalty = "errno"
	}
	job := fetchJob{
		ParentPID: os.Getpid(), Dir: r.tmp, Switch: r.switchTo, UID: r.uid, GID: r.gid,
		CAPEM: r.caPEM, Parallel: r.opts.Parallel, ReadOnly: r.readOnly, Ports: r.ports, UDPPorts: r.udpPorts, Endpoints: r.eps,
		Sandbox: sandboxOpts{Disable: r.opts.DisableSandbox, Require: r.opts.RequireSandbox, SimulateNoLandlock: r.opts.simulateNoLandlock},
		Penalty: penalty, ConnectTimeout: r.opts.ConnectTimeout, HeaderTimeout: r.opts.HeaderTimeout,
		StallTimeout: r.opts.StallTimeout, FileTimeout: r.opts.FileTimeout, Attack: r.opts.attack,
	}
	sf := make([]sessFile, len(r.files))
	for i, f := range r.files {
		job.Files = append(job.Files, jobFile{Name: f.Name, Size: f.Size, Signed: f.Signed, URLs: r.urls[i]})
		sf[i] = sessFile{size: uint64(f.Size), signed: f.Signed, urls: len(r.urls[i])}
	}
	role := roleFetch
	if r.opts.fetchRole != "" {
		role = r.opts.fetchRole
	}
	child, err := r.spawn(role, job)
	if err != nil {
		return nil, err
	}
	sess := newSession(kindFetch, sf, r.opts.attack != nil, nil)
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

// takeBack makes the temp dir root's again now that the downloader is
// gone, so nothing running as the download user can change its entries
// between the checks below and the rename.
func (r *runner) takeBack() error {
	if !r.switchTo {
		return nil
	}
	if err := unix.Fchown(r.tmpfd, 0, 0); err != nil {
		return fmt.Errorf("taking back %s: %w", r.tmp, err)
	}
	if err := unix.Fchmod(r.tmpfd, 0o755); err != nil {
		return fmt.Errorf("taking back %s: %w", r.tmp, err)
	}
	return nil
}

// checked is a finished download that passed the parent's checks, now a
// private copy under its name in the temp dir.
type checked struct {
	ino uint64
	dev uint64
	sum string // sha256 of the copy
}

// installPrefix names the parent's private copy while it is written; list
// names never start with a dot.
const installPrefix = ".install-"

// openFinished checks a file the child says is complete, refusing anything
// but a plain file with one link, owned by the download user, of the
// expected size (exact, or at most max when exact < 0), and replaces it
// with a private copy (see privateCopy).
func (r *runner) openFinished(name string, exact, max int64) (checked, error) {
	var lst unix.Stat_t
	if err := unix.Fstatat(r.tmpfd, name, &lst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return checked{}, fmt.Errorf("%s: %w", name, err)
	}
	if lst.Mode&unix.S_IFMT != unix.S_IFREG {
		return checked{}, fmt.Errorf("%w: %s is %s (refused: the downloader may be compromised)", ErrNotRegular, name, fileType(lst.Mode))
	}
	fd, err := unix.Openat(r.tmpfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return checked{}, fmt.Errorf("opening %s: %w", name, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return checked{}, err
	}
	switch {
	case st.Ino != lst.Ino || st.Dev != lst.Dev || st.Mode&unix.S_IFMT != unix.S_IFREG:
		return checked{}, fmt.Errorf("%w: %s changed while being checked", ErrNotRegular, name)
	case st.Nlink != 1:
		return checked{}, fmt.Errorf("%w: %s has %d links", ErrNotRegular, name, st.Nlink)
	case st.Uid != uint32(r.uid):
		return checked{}, fmt.Errorf("%w: %s is owned by uid %d, not the download user %d", ErrNotRegular, name, st.Uid, r.uid)
	case exact >= 0 && st.Size != exact:
		return checked{}, fmt.Errorf("%w: %s is %d bytes, the list says %d", ErrWrongSize, name, st.Size, exact)
	case exact < 0 && (st.Size > max || st.Size == 0):
		return checked{}, fmt.Errorf("%w: %s is %d bytes (limit %d)", ErrWrongSize, name, st.Size, max)
	}
	return r.privateCopy(fd, name, st.Size)
}

// privateCopy copies exactly size bytes of the child's file into a new
// file this process creates (root's when root, mode 0644), hashing what it
// writes, and renames the copy over the child's file. A process that still
// holds the child's file open for writing (another process of a shared
// download user, or one the child left behind) can change neither the copy
// nor what was hashed, and appending to the original cannot stall the copy.
// The copy's descriptor is closed before returning: none is held per file.
func (r *runner) privateCopy(src int, name string, size int64) (checked, error) {
	tmpName := installPrefix + name
	_ = unix.Unlinkat(r.tmpfd, tmpName, 0) // planted by the child: never ours
	dst, err := unix.Openat(r.tmpfd, tmpName, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return checked{}, fmt.Errorf("creating the copy of %s: %w", name, err)
	}
	defer unix.Close(dst)
	fail := func(err error) (checked, error) {
		_ = unix.Unlinkat(r.tmpfd, tmpName, 0)
		return checked{}, err
	}
	if err := unix.Fchmod(dst, 0o644); err != nil {
		return fail(fmt.Errorf("chmod %s: %w", tmpName, err))
	}
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for off := int64(0); off < size; {
		n, err := unix.Pread(src, buf[:min(int64(len(buf)), size-off)], off)
		if err == nil && n == 0 {
			err = fmt.Errorf("%w: it shrank to %d bytes while being copied", ErrWrongSize, off)
		}
		if err != nil {
			return fail(fmt.Errorf("reading %s: %w", name, err))
		}
		if _, err := unix.Write(dst, buf[:n]); err != nil {
			return fail(fmt.Errorf("writing the copy of %s: %w", name, err))
		}
		h.Write(buf[:n])
		off += int64(n)
	}
	var st unix.Stat_t
	if err := unix.Fstat(dst, &st); err != nil {
		return fail(err)
	}
	if err := unix.Renameat(r.tmpfd, tmpName, r.tmpfd, name); err != nil {
		return fail(fmt.Errorf("replacing %s with its copy: %w", name, err))
	}
	return checked{ino: st.Ino, dev: st.Dev, sum: hex.EncodeToString(h.Sum(nil))}, nil
}

// finish checks, verifies and installs the finished files.
func (r *runner) finish(ctx context.Context, sess *session, childErr error) {
	type cand struct {
		i   int
		f   checked
		sig checked
	}
	var cands []cand
	r.res.Files = make([]FileResult, len(r.files))
	for i, f := range r.files {
		fr := &r.res.Files[i]
		*fr = FileResult{Name: f.Name, Size: f.Size, Signature: "unsigned", Resumed: r.resumed[i]}
		if f.Signed {
			fr.Signature = "unchecked"
		}
		ps := sess.parts[i]
		if ps[partFile].started {
			fr.Mirror = redactURL(r.urls[i][ps[partFile].mirror])
		}
		if !ps[partFile].done || (f.Signed && !ps[partSig].done) {
			fr.Status = statusFailed
			fr.Error = "not downloaded"
			if ps[partFile].failed {
				fr.Error = ps[partFile].fail
			} else if ps[partSig].failed {
				fr.Error = "signature: " + ps[partSig].fail
			} else if childErr != nil {
				fr.Error = "not downloaded: the downloader child stopped early"
			}
			continue
		}
		c, err := r.openFinished(f.Name, f.Size, 0)
		if err != nil {
			fr.Status, fr.Error = statusFailed, err.Error()
			_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
			continue
		}
		if c.sum != f.SHA256 {
			fr.Status, fr.Error = statusFailed, fmt.Sprintf("%v: got %s, the list says %s", ErrBadChecksum, c.sum, f.SHA256)
			_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
			continue
		}
		fr.SHA256 = c.sum
		cd := cand{i: i, f: c}
		if f.Signed {
			s, err := r.openFinished(f.Name+sigSuffix, -1, maxSigSize)
			if err != nil {
				fr.Status, fr.Error, fr.Signature = statusFailed, err.Error(), "bad"
				_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
				continue
			}
			cd.sig = s
		}
		cands = append(cands, cd)
	}
	// Signatures, in their own network-less sandboxed child.
	var want []verifyFile
	for _, c := range cands {
		if r.files[c.i].Signed {
			want = append(want, verifyFile{Index: uint16(c.i), Name: r.files[c.i].Name})
		}
	}
	good := map[int]bool{}
	if len(want) > 0 {
		results, err := r.verify(ctx, want)
		if err != nil {
			r.warn("signature check failed: %v", err)
		}
		for _, w := range want {
			m, ok := results[w.Index]
			fr := &r.res.Files[w.Index]
			switch {
			case ok && m.Code == 1:
				good[int(w.Index)] = true
				fr.Signature = "verified"
			case ok:
				fr.Signature, fr.Error = "bad", fmt.Sprintf("%v: %s", ErrBadSignature, m.Text)
			case ctx.Err() != nil:
				// Interrupted: the checked copy goes back to the cache
				// as NAME.part (salvage), and the next run checks it
				// again without a transfer.
				fr.Status, fr.Signature, fr.Error = statusInterrupted, "unchecked", "interrupted during the signature check; kept for a resume"
			default:
				fr.Signature, fr.Error = "unchecked", "signature not checked"
				if err != nil {
					fr.Error += ": " + err.Error()
				}
			}
		}
	}

	for _, c := range cands {
		f := r.files[c.i]
		fr := &r.res.Files[c.i]
		if f.Signed && !good[c.i] {
			if fr.Status == statusInterrupted {
				continue
			}
			fr.Status = statusFailed
			_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
			_ = unix.Unlinkat(r.tmpfd, f.Name+sigSuffix, 0)
			continue
		}
		if err := r.install(f.Name, c.f); err != nil {
			fr.Status, fr.Error = statusFailed, err.Error()
			continue
		}
		if f.Signed {
			if err := r.install(f.Name+sigSuffix, c.sig); err != nil {
				fr.Status, fr.Error = statusFailed, err.Error()
				continue
			}
		}
		fr.Status = statusOK
		fr.Path = filepath.Join(r.cache, f.Name)
		// A stale partial of the same name is now pointless.
		_ = unix.Unlinkat(r.cachefd, f.Name+partSuffix, 0)
	}
	_ = unix.Fsync(r.cachefd)
}

// install renames a checked file from the temp dir into the cache (same
// file system: atomic) and confirms the cache entry is the checked inode.
func (r *runner) install(name string, c checked) error {
	if err := unix.Renameat(r.tmpfd, name, r.cachefd, name); err != nil {
		return fmt.Errorf("moving %s into the cache: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(r.cachefd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Ino != c.ino || st.Dev != c.dev {
		_ = unix.Unlinkat(r.cachefd, name, 0)
		return fmt.Errorf("%w: %s changed during the move", ErrNotRegular, name)
	}
	return nil
}

// verify runs the signature child.
func (r *runner) verify(ctx context.Context, files []verifyFile) (map[uint16]Message, error) {
	penalty := "kill"
	if r.opts.errnoPenalty {
		penalty = "errno"
	}
	job := verifyJob{
		ParentPID: os.Getpid(), Dir: r.tmp, Switch: r.switchTo, UID: r.uid, GID: r.gid,
		PublicKey: r.pubKey, Files: files, Penalty: penalty,
		Sandbox: sandboxOpts{Disable: r.opts.DisableSandbox, Require: r.opts.RequireSandbox, SimulateNoLandlock: r.opts.simulateNoLandlock},
	}
	idx := make([]uint16, len(files))
	for i, f := range files {
		idx[i] = f.Index
	}
	sf := make([]sessFile, len(r.files))
	for i, f := range r.files {
		sf[i] = sessFile{size: uint64(f.Size), signed: f.Signed, urls: len(r.urls[i])}
	}
	role := roleVerify
	if r.opts.verifyRole != "" {
		role = r.opts.verifyRole
	}
	child, err := r.spawn(role, job)
	if err != nil {
		return nil, err
	}
	sess := newSession(kindVerify, sf, false, idx)
	// Checking one file reads it once: allow 8 MiB/s for the largest.
	var largest int64
	for _, f := range files {
		largest = max(largest, r.files[f.Index].Size)
	}
	idle := 30*time.Second + time.Duration(largest>>23)*time.Second
	if err := child.run(ctx, sess, idle, func(m Message) {
		if m.Type == msgReady {
			rep := sess.report
			r.res.Verifier = &rep
		}
	}); err != nil {
		return nil, err
	}
	if sess.fatal != nil {
		return sess.verify, fmt.Errorf("%w: verifier: %s", ErrChild, sess.fatal.Text)
	}
	if err := child.exitError("verifier"); err != nil {
		if tail := child.stderrTail(); tail != "" {
			err = fmt.Errorf("%w\nchild stderr:\n%s", err, tail)
		}
		return sess.verify, err
	}
	return sess.verify, nil
}

// salvage moves unfinished downloads back into the cache as <name>.part
// (owned by root) so the next run resumes them. Files that are complete
// but were not installed (interrupted before the checks) are kept the
// same way: the next run finalizes them without a transfer and checks them.
func (r *runner) salvage() {
	if r.switchTo {
		_ = r.takeBack()
	}
	for i := range r.files {
		f := r.files[i]
		if i < len(r.res.Files) && r.res.Files[i].Status == statusOK {
			continue
		}
		var st unix.Stat_t
		if unix.Fstatat(r.tmpfd, f.Name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && (i >= len(r.res.Files) || r.res.Files[i].Status == statusInterrupted) {
			if st.Mode&unix.S_IFMT == unix.S_IFREG && unix.Renameat2(r.tmpfd, f.Name, r.tmpfd, f.Name+partSuffix, unix.RENAME_NOREPLACE) != nil {
				_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
			}
		}
		r.movePartialOwned(f.Name+partSuffix, f.Size)
	}
}

// movePartialOwned is movePartial from the temp dir to the cache, also
// requiring the file to belong to the download user.
func (r *runner) movePartialOwned(name string, limit int64) {
	var st unix.Stat_t
	if unix.Fstatat(r.tmpfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return
	}
	if st.Uid != uint32(r.uid) && st.Uid != 0 {
		r.warn("discarding the partial file %s: owned by uid %d", name, st.Uid)
		return
	}
	r.movePartial(r.tmpfd, r.cachefd, name, limit, true)
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
