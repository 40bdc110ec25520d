//go:build linux

package unveil

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/report"
)

const (
	llRead  = unix.LANDLOCK_ACCESS_FS_READ_FILE | unix.LANDLOCK_ACCESS_FS_READ_DIR
	llWrite = unix.LANDLOCK_ACCESS_FS_WRITE_FILE
)

// AllowFS grants exactly its rights beneath its path; the rights it
// handles are denied elsewhere, the others stay free.
func TestAllowFS(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		in := mkfile("in", base, "in", "f")
		out := mkfile("out", base, "out", "f")
		file := mkfile("file", base, "single")
		r := New()
		ok(r.AllowFS(filepath.Dir(in), llRead), "AllowFS dir")
		// Directory rights on a file are left out, not an error.
		ok(r.AllowFS(file, unix.LANDLOCK_ACCESS_FS_READ_FILE|unix.LANDLOCK_ACCESS_FS_MAKE_REG), "AllowFS file")
		ok(r.AllowFS(filepath.Join(base, "missing"), llRead), "AllowFS missing")
		rep := commitOK(r)
		readOK(in)
		readOK(file)
		readDenied(out)
		_, err := os.ReadDir(filepath.Dir(out))
		denied(err, "list "+filepath.Dir(out))
		// Writing is not handled: still allowed everywhere.
		ok(writeTo(out, os.O_WRONLY), "write (unhandled) "+out)

		if it, _ := item(rep, filepath.Dir(in)+" "); it.Status != report.Enforced || !strings.Contains(it.Reason, "directory") {
			fatalf("dir item: %+v", it)
		}
		if it, _ := item(rep, file+" "); it.Status != report.Partial || !strings.Contains(it.Reason, "make_reg") {
			fatalf("file item: %+v", it)
		}
		if it, _ := item(rep, filepath.Join(base, "missing")+" "); it.Status != report.Dropped || !strings.Contains(it.Reason, "does not exist") {
			fatalf("missing item: %+v", it)
		}
	})
}

// HandleFS alone denies a right everywhere but where a rule allows it.
func TestHandleFS(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		w := mkfile("w", base, "w", "f")
		other := mkfile("o", base, "o", "f")
		r := New().HandleFS(llWrite | unix.LANDLOCK_ACCESS_FS_EXECUTE)
		ok(r.AllowFS(filepath.Dir(w), llWrite), "AllowFS")
		commitOK(r)
		ok(writeTo(w, os.O_WRONLY), "write "+w)
		denied(writeTo(other, os.O_WRONLY), "write "+other)
		readOK(other) // reading is not handled
		// Execution is handled and allowed nowhere; /bin/false would exit 1.
		err := syscall.Exec("/bin/false", []string{"false"}, nil)
		denied(err, "exec (handled, allowed nowhere)")
	})
}

const writeEnv = "PLEDGEKIT_UNVEIL_TEST_WRITE"

// TestHelperWrite is not a test: started by TestCommitThread, it writes to
// the file $PLEDGEKIT_UNVEIL_TEST_WRITE and exits 0, or 3 on EACCES.
func TestHelperWrite(t *testing.T) {
	path := os.Getenv(writeEnv)
	if path == "" {
		t.Skip("helper process for TestCommitThread")
	}
	err := writeTo(path, os.O_WRONLY)
	switch {
	case err == nil:
		os.Exit(0)
	case errors.Is(err, syscall.EACCES):
		os.Exit(3)
	}
	os.Stderr.WriteString(err.Error() + "\n")
	os.Exit(1)
}

// CommitThread restricts the calling thread and what it starts; another
// thread, and what it starts, stays free.
func TestCommitThread(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		allowed := mkfile("a", base, "a", "f")
		other := mkfile("o", base, "o", "f")
		exe, err := os.Executable()
		ok(err, "executable")
		helper := func(path string) int {
			cmd := exec.Command(exe, "-test.run=^TestHelperWrite$")
			cmd.Env = append(os.Environ(), writeEnv+"="+path)
			// Our own descriptors: the restricted thread may not open
			// /dev/null for writing.
			cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode()
			}
			ok(err, "run helper")
			return 0
		}
		free := newThread()
		r := New().HandleFS(llWrite)
		ok(r.AllowFS(filepath.Dir(allowed), llWrite), "AllowFS")
		rep, err := r.CommitThread()
		ok(err, "CommitThread")
		if !rep.Landlock || !rep.NoNewPrivs {
			fatalf("report: %+v", rep)
		}
		ok(writeTo(allowed, os.O_WRONLY), "restricted thread: write "+allowed)
		denied(writeTo(other, os.O_WRONLY), "restricted thread: write "+other)
		if c := helper(other); c != 3 {
			fatalf("a process the restricted thread started: want EACCES (exit 3), got exit %d", c)
		}
		if c := helper(allowed); c != 0 {
			fatalf("a process the restricted thread started: writing %s exits %d", allowed, c)
		}
		if nnp := threadNNP(); nnp != 1 {
			fatalf("restricted thread: NoNewPrivs %d", nnp)
		}
		free.run(func() {
			ok(writeTo(other, os.O_WRONLY), "other thread: write "+other)
			if c := helper(other); c != 0 {
				fatalf("a process another thread started: exit %d, want 0 (unrestricted)", c)
			}
			if nnp := threadNNP(); nnp != 0 {
				fatalf("other thread: NoNewPrivs %d", nnp)
			}
		})
	})
}

func threadNNP() int {
	b, err := os.ReadFile("/proc/thread-self/status")
	ok(err, "thread status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, found := strings.CutPrefix(line, "NoNewPrivs:"); found {
			return int(strings.TrimSpace(v)[0] - '0')
		}
	}
	fatalf("no NoNewPrivs line")
	return -1
}

// lockedThread is a goroutine locked to an OS thread of its own that runs
// functions on request.
type lockedThread struct {
	do   chan func()
	done chan struct{}
}

func newThread() *lockedThread {
	th := &lockedThread{do: make(chan func()), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread()
		for f := range th.do {
			f()
			th.done <- struct{}{}
		}
	}()
	th.run(func() {})
	return th
}

func (th *lockedThread) run(f func()) { th.do <- f; <-th.done }

// Hiding a path beneath a directory an AllowFS rule grants rights cannot
// be expressed; a visible Unveil rule there is reported partial.
func TestAllowFSWithUnveil(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		d := mkdir(base, "d")
		sub := mkdir(base, "d", "sub")
		f := mkfile("x", base, "d", "sub", "f")
		r := New()
		ok(r.AllowFS(d, llRead), "AllowFS")
		ok(r.Unveil(sub, ""), "Unveil hide")
		_, err := r.Commit()
		if !errors.Is(err, ErrNotExpressible) {
			fatalf("hide beneath an AllowFS directory: want ErrNotExpressible, got %v", err)
		}
		readOK(f) // nothing enforced
		ok(writeTo(f, os.O_WRONLY), "nothing enforced")

		r = New()
		ok(r.AllowFS(d, llRead), "AllowFS")
		ok(r.Unveil(sub, "w"), "Unveil")
		rep := commitOK(r)
		if it, _ := item(rep, sub+` "w"`); it.Status != report.Partial || !strings.Contains(it.Reason, "from the rule for "+d) {
			fatalf("overlap item: %+v\n%s", it, rep)
		}
		readOK(f)
		ok(writeTo(f, os.O_WRONLY), "write beneath w")
		denied(writeTo(filepath.Join(d, "new"), os.O_WRONLY|os.O_CREATE), "create beneath r only")
	})
}

// Rights the kernel lacks are dropped and reported, or fail the commit
// when required; unknown rights and bad paths are errors.
func TestAllowFSErrors(t *testing.T) {
	if err := New().AllowFS("", llRead); !errors.Is(err, ErrPath) {
		t.Errorf("empty path: %v", err)
	}
	if err := New().AllowFS("/tmp", 1<<40); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("unknown rights: %v", err)
	}
	r := New()
	if err := r.AllowFS("/tmp", 0); err != nil || !r.empty() {
		t.Errorf("rights 0: %v, empty %v", err, r.empty())
	}
	res := probe.Get()
	if res.LandlockABI < 1 {
		t.Skip("no Landlock here")
	}
	p := New().HandleFS(1<<40).plan(res, planOptions{})
	if len(p.errs) == 0 || !strings.Contains(errors.Join(p.errs...).Error(), "unknown Landlock") {
		t.Errorf("HandleFS unknown rights: %v", p.errs)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	r = New()
	r.AllowFS(filepath.Join(file, "sub"), llRead)
	if p := r.plan(res, planOptions{}); !errors.Is(errors.Join(p.errs...), syscall.ENOTDIR) {
		t.Errorf("a path that cannot be examined: %v", p.errs)
	}

	if res.LandlockABI < 3 {
		return
	}
	old := fake(2)
	r = New().HandleFS(unix.LANDLOCK_ACCESS_FS_TRUNCATE)
	if p := r.plan(old, planOptions{}); len(p.errs) != 0 || p.handledFS != 0 {
		t.Errorf("prefer: errs %v, handled %#x", p.errs, p.handledFS)
	} else if it, _ := item(&report.Report{Items: p.items}, "handled"); it.Status != report.Dropped || !strings.Contains(it.Reason, "ABI 3") {
		t.Errorf("dropped item: %+v", it)
	}
	r.Require(Truncate)
	var ue *UnavailableError
	if p := r.plan(old, planOptions{}); !errors.As(errors.Join(p.errs...), &ue) || ue.Protection != Truncate {
		t.Errorf("require: %v", p.errs)
	}
}
