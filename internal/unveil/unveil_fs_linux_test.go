//go:build linux

package unveil

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/report"
)

// r, rw and rwc directories, and one nobody unveiled: read, write,
// create, list, and remove each way.
func TestReadWriteCreateRemove(t *testing.T) {
	needLandlock(t, 1)
	scenario(t, func(base string) {
		ro := mkdir(base, "ro")
		rw := mkdir(base, "rw")
		rwc := mkdir(base, "rwc")
		out := mkdir(base, "outside")
		for _, d := range []string{ro, rw, rwc, out} {
			mkfile("data", d, "f")
			mkdir(d, "sub")
			mkfile("data", d, "victim")
		}
		r := New()
		ok(r.Unveil(ro, "r"), "unveil ro")
		ok(r.Unveil(rw, "rw"), "unveil rw")
		ok(r.Unveil(rwc, "rwc"), "unveil rwc")
		rep := commitOK(r)
		if it, found := item(rep, ro); !found || it.Status != report.Enforced {
			fatalf("report item for %s: %+v\n%s", ro, it, rep)
		}
		if !rep.NoNewPrivs {
			fatalf("no_new_privs not set after commit")
		}

		// read
		readOK(filepath.Join(ro, "f"))
		readOK(filepath.Join(rw, "f"))
		readDenied(filepath.Join(out, "f"))
		// list
		_, err := os.ReadDir(ro)
		ok(err, "list ro")
		_, err = os.ReadDir(out)
		denied(err, "list outside")
		// write an existing file
		denied(writeTo(filepath.Join(ro, "f"), os.O_WRONLY), "write in ro")
		ok(writeTo(filepath.Join(rw, "f"), os.O_WRONLY), "write in rw")
		denied(writeTo(filepath.Join(out, "f"), os.O_WRONLY), "write outside")
		// create
		denied(writeTo(filepath.Join(rw, "new"), os.O_WRONLY|os.O_CREATE), "create in rw")
		ok(writeTo(filepath.Join(rwc, "new"), os.O_WRONLY|os.O_CREATE), "create in rwc")
		denied(os.Mkdir(filepath.Join(rw, "newdir"), 0o755), "mkdir in rw")
		ok(os.Mkdir(filepath.Join(rwc, "newdir"), 0o755), "mkdir in rwc")
		denied(os.Symlink("f", filepath.Join(rw, "ln")), "symlink in rw")
		ok(os.Symlink("f", filepath.Join(rwc, "ln")), "symlink in rwc")
		denied(syscall.Mkfifo(filepath.Join(out, "fifo"), 0o644), "mkfifo outside")
		ok(syscall.Mkfifo(filepath.Join(rwc, "fifo"), 0o644), "mkfifo in rwc")
		// remove: c means create AND remove; unlink/rmdir outside is denied
		// (REMOVE_FILE/REMOVE_DIR are handled, unlike Cosmopolitan's port).
		denied(os.Remove(filepath.Join(rw, "victim")), "unlink in rw")
		denied(os.Remove(filepath.Join(rw, "sub")), "rmdir in rw")
		denied(os.Remove(filepath.Join(out, "victim")), "unlink outside")
		denied(os.Remove(filepath.Join(out, "sub")), "rmdir outside")
		ok(os.Remove(filepath.Join(rwc, "victim")), "unlink in rwc")
		ok(os.Remove(filepath.Join(rwc, "sub")), "rmdir in rwc")
		// the files denied above are still there
		for _, p := range []string{filepath.Join(out, "victim"), filepath.Join(rw, "victim")} {
			if _, err := os.Lstat(p); err != nil {
				fatalf("%s vanished: %v", p, err)
			}
		}
	})
}

func TestTruncate(t *testing.T) {
	needLandlock(t, 3)
	scenario(t, func(base string) {
		rw := mkdir(base, "rw")
		ro := mkdir(base, "ro")
		out := mkdir(base, "out")
		mkfile("0123456789", rw, "f")
		mkfile("0123456789", ro, "f")
		mkfile("0123456789", out, "f")
		single := mkfile("0123456789", base, "single", "w-only")
		r := New()
		ok(r.Unveil(rw, "rw"), "unveil")
		ok(r.Unveil(ro, "r"), "unveil")
		ok(r.Unveil(single, "w"), "unveil single")
		rep := commitOK(r)
		if _, found := item(rep, "truncate"); found {
			fatalf("truncate reported as degraded on ABI >= 3:\n%s", rep)
		}
		ok(os.Truncate(filepath.Join(rw, "f"), 2), "truncate in rw")
		ok(writeTo(filepath.Join(rw, "f"), os.O_WRONLY|os.O_TRUNC), "O_TRUNC in rw")
		denied(os.Truncate(filepath.Join(ro, "f"), 2), "truncate in ro")
		denied(os.Truncate(filepath.Join(out, "f"), 2), "truncate outside")
		denied(writeTo(filepath.Join(out, "f"), os.O_WRONLY|os.O_TRUNC), "O_TRUNC outside")
		// A single file unveiled "w" can be opened with O_TRUNC (w carries
		// TRUNCATE on files too) but not read.
		ok(writeTo(single, os.O_WRONLY|os.O_TRUNC), "O_TRUNC on a w file")
		readDenied(single)
		// An already open file is not rechecked: ftruncate works on an fd
		// opened for writing under the rule.
		f, err := os.OpenFile(filepath.Join(rw, "f"), os.O_WRONLY, 0)
		ok(err, "open rw")
		ok(f.Truncate(0), "ftruncate")
		f.Close()
	})
}

// "c" makes FIFOs and sockets but never device nodes: a root process that
// could mknod a block device of the disk in an unveiled directory would
// read everything. Ruleset.AllowFS grants them explicitly, both ways.
func TestCreateNoDeviceNodes(t *testing.T) {
	needLandlock(t, 1)
	if os.Geteuid() != 0 {
		t.Skip("making device nodes needs root (CAP_MKNOD)")
	}
	scenario(t, func(base string) {
		rwc := mkdir(base, "rwc")
		allowed := mkdir(base, "devices")
		// Unsandboxed, root can make one: the denial below is Landlock's.
		ok(unix.Mknod(filepath.Join(base, "null0"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))), "mknod unsandboxed")
		r := New()
		ok(r.Unveil(rwc, "rwc"), "unveil rwc")
		ok(r.Unveil(allowed, "rwc"), "unveil devices rwc")
		ok(r.AllowFS(allowed, unix.LANDLOCK_ACCESS_FS_MAKE_CHAR|unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK), "AllowFS devices")
		commitOK(r)
		denied(unix.Mknod(filepath.Join(rwc, "null"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))), "char device in rwc")
		denied(unix.Mknod(filepath.Join(rwc, "loop"), unix.S_IFBLK|0o600, int(unix.Mkdev(7, 0))), "block device in rwc")
		ok(unix.Mkfifo(filepath.Join(rwc, "fifo"), 0o600), "mkfifo in rwc")
		ok(unix.Mknod(filepath.Join(rwc, "sock"), unix.S_IFSOCK|0o600, 0), "socket node in rwc")
		ok(unix.Mknod(filepath.Join(allowed, "null"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))), "char device where AllowFS grants it")
		for _, n := range []string{"null", "loop"} {
			if _, err := os.Lstat(filepath.Join(rwc, n)); !os.IsNotExist(err) {
				fatalf("%s exists after a denied mknod: %v", n, err)
			}
		}
	})
}
