//go:build linux

package unveil

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// The OpenBSD-style functions: accumulate, commit with UnveilBlock (adding
// the paths Go opens lazily, each listed), then a new layer.
func TestUnveilBlock(t *testing.T) {
	needLandlock(t, 1)
	truePath, _ := exec.LookPath("true") // absent in the QEMU guests
	scenario(t, func(base string) {
		d := mkdir(base, "d")
		f := mkfile("x", d, "f")
		out := mkfile("x", base, "out")
		if Pending() {
			fatalf("pending before any Unveil")
		}
		if rep, err := Block(); err != nil || rep != nil {
			fatalf("UnveilBlock with nothing pending: %v %v", rep, err)
		}
		ok(Unveil(d, "rwc"), "Unveil d")
		if truePath != "" {
			ok(Unveil("/usr", "rx"), "Unveil /usr")
			ok(Unveil("/etc/ld.so.cache", "r"), "Unveil ld.so.cache")
		}
		if !Pending() {
			fatalf("not pending after Unveil")
		}
		readOK(out) // nothing happens before the commit
		rep, err := Block()
		ok(err, "UnveilBlock")
		if !rep.Landlock || Pending() {
			fatalf("landlock=%v pending=%v\n%s", rep.Landlock, Pending(), rep)
		}
		// Every implied path that exists here is listed, with its promise.
		for _, ip := range impliedPaths(blockImplied) {
			it, found := item(rep, ip.Path)
			if _, err := os.Stat(ip.Path); err != nil {
				if !found || it.Status != report.NoEffect {
					fatalf("missing implied path %s: %+v", ip.Path, it)
				}
				continue
			}
			if !found || !strings.Contains(it.What, "implied by "+ip.Promise.String()) || it.Status == report.Dropped {
				fatalf("implied path %s not listed properly: %+v\n%s", ip.Path, it, rep)
			}
		}
		readDenied(out)
		readOK(f)
		// Go's lazily opened files keep working.
		if truePath != "" {
			ok(exec.Command(truePath).Run(), "os/exec with /dev/null")
		}
		if _, err := os.Stat("/usr/share/zoneinfo/Europe/Berlin"); err == nil {
			_, err := time.LoadLocation("Europe/Berlin")
			ok(err, "time.LoadLocation")
		}
		if _, err := os.Stat("/etc/hosts"); err == nil {
			_, err = net.LookupHost("localhost")
			ok(err, "resolve localhost (/etc/hosts)")
		}

		// Unveil after the commit starts a new layer, which narrows.
		ok(Unveil(d, "r"), "Unveil after commit")
		ok(UnveilBlock(), "second UnveilBlock")
		readOK(f)
		denied(writeTo(f, os.O_WRONLY), "write after narrowing")
	})
}

// pledge's hook: with "unveil" it keeps the unveils pending; without, it
// commits them with the promises' implied paths and locks Unveil.
func TestCommitPending(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		d := mkdir(base, "d")
		out := mkfile("x", base, "out")
		if rep, err := commitPending(promises.MustParse("stdio unveil"), true); err != nil || len(rep.Items) != 0 || rep.Landlock {
			fatalf("nothing pending: %+v %v", rep, err)
		}
		ok(Unveil(d, "r"), "Unveil")
		rep, err := commitPending(promises.MustParse("stdio rpath unveil"), true)
		if err != nil || rep.Landlock || !Pending() {
			fatalf("with unveil promise: committed=%v pending=%v err=%v", rep.Landlock, Pending(), err)
		}
		readOK(out)
		rep, err = commitPending(promises.MustParse("stdio rpath"), true)
		ok(err, "commitPending")
		if !rep.Landlock || Pending() {
			fatalf("without unveil promise: landlock=%v pending=%v", rep.Landlock, Pending())
		}
		if it, found := item(&rep, "/dev/null"); !found || !strings.Contains(it.What, "implied by stdio") {
			fatalf("stdio's implied path missing:\n%s", rep)
		}
		if _, found := item(&rep, "/etc/resolv.conf"); found {
			fatalf("dns path implied without dns:\n%s", rep)
		}
		readDenied(out)
		err = Unveil(d, "r")
		if !errors.Is(err, ErrLocked) || !errors.Is(err, syscall.EPERM) {
			fatalf("Unveil after pledge without unveil: %v", err)
		}
		if rep, err := commitPending(promises.MustParse("stdio"), true); err != nil || rep.Landlock {
			fatalf("second commitPending: %v %v", rep.Landlock, err)
		}
	})
}

func TestArgumentErrors(t *testing.T) {
	r := New()
	for _, bad := range []string{"rwxz", "R", "r w", "rwxcr"} {
		err := r.Unveil("/tmp", bad)
		if !errors.Is(err, ErrPermission) {
			t.Errorf("perms %q: %v", bad, err)
		}
	}
	if err := r.Unveil("", "r"); !errors.Is(err, ErrPath) || !errors.Is(err, syscall.EINVAL) {
		t.Errorf("empty path: %v", err)
	}
	if err := r.Unveil("/tmp/a\x00b", "r"); !errors.Is(err, ErrPath) {
		t.Errorf("NUL: %v", err)
	}
	if len(r.paths) != 0 {
		t.Errorf("bad calls recorded rules: %v", r.paths)
	}
	// Relative paths are taken relative to the current directory now, and
	// unveiling a path again replaces its permissions.
	ok := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	ok(r.Unveil(".", "r"))
	ok(r.Unveil(".", "rw"))
	wd, _ := os.Getwd()
	if len(r.paths) != 1 || r.paths[0].path != wd || r.paths[0].perm != PermRead|PermWrite {
		t.Errorf("rules %+v, want one %s rw", r.paths, wd)
	}
}

// go-landlock sets no_new_privs before landlock_restrict_self, on every
// thread, and the ruleset reaches threads that existed before the commit.
func TestAllThreads(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		d := mkdir(base, "d")
		out := mkfile("x", base, "out")
		// Park goroutines on threads of their own, before the commit.
		const n = 4
		start, locked, results := make(chan struct{}), make(chan struct{}), make(chan error, n)
		for range n {
			go func() {
				runtime.LockOSThread()
				locked <- struct{}{}
				<-start
				_, err := os.ReadFile(out)
				results <- err
			}()
		}
		for range n {
			<-locked // each goroutine now owns a thread created before the commit
		}
		r := New()
		ok(r.Unveil(d, "r"), "unveil")
		ok(r.Unveil("/proc/self", "r"), "unveil /proc/self")
		commitOK(r)
		close(start)
		for range n {
			denied(<-results, "read from a thread that existed before the commit")
		}
		tasks, err := os.ReadDir("/proc/self/task")
		ok(err, "list tasks")
		if len(tasks) < 2 {
			fatalf("only %d threads", len(tasks))
		}
		for _, task := range tasks {
			b, err := os.ReadFile(filepath.Join("/proc/self/task", task.Name(), "status"))
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
				continue // the thread ended meanwhile (its goroutine returned while locked to it)
			}
			ok(err, "task status")
			if !strings.Contains(string(b), "NoNewPrivs:\t1") {
				fatalf("thread %s lacks no_new_privs", task.Name())
			}
		}
	})
}
