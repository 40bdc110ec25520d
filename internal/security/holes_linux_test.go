package security

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/testproc"
	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/report"
)

// Holes found by this suite and closed in the promise table, and the one
// only Landlock ABI 9 closes: device nodes with dpath, extended attributes
// with fattr (both reach further as root), and unix datagrams by path
// without "unix".

// dpath makes FIFOs, sockets and regular files, never device nodes: root
// has CAP_MKNOD, and a block device of a disk is raw access to every file
// on it. The penalty is ENOSYS so that the filter's refusal cannot be taken
// for the kernel's own EPERM (CAP_MKNOD missing).
func TestDpathNoDeviceNodes(t *testing.T) {
	dir := testDir(t)
	parentOnly(t, func() error {
		// The control: unsandboxed, root makes a device node (the attempt
		// below would succeed without the filter).
		if !isRoot() {
			return nil
		}
		err := unix.Mknod(filepath.Join(dir, "control"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3)))
		if err != nil {
			t.Logf("root cannot make device nodes here (%v): the attempts below are still refused by the filter", err)
		}
		return nil
	})
	at := func(name string) uintptr { return ptr(filepath.Join(dir, name)) }
	devNull, loop0 := uintptr(unix.Mkdev(1, 3)), uintptr(unix.Mkdev(7, 0))
	type attempt struct {
		name string
		mode uintptr // for mknodat
		dev  uintptr
		ok   bool
	}
	attempts := []attempt{
		{"fifo", unix.S_IFIFO | 0o600, 0, true},
		{"sock", unix.S_IFSOCK | 0o600, 0, true},
		{"reg", unix.S_IFREG | 0o600, 0, true},
		{"type0", 0o600, 0, true}, // type 0 is a regular file
		{"fifo-hi", unix.S_IFIFO | 0o600 | hi, 0, true},
		{"chr", unix.S_IFCHR | 0o666, devNull, false},
		{"blk", unix.S_IFBLK | 0o600, loop0, false},
		{"chr-hi", unix.S_IFCHR | 0o666 | hi, devNull, false},      // bits the kernel drops
		{"chr-17", unix.S_IFCHR | 0o666 | 0x10000, devNull, false}, // above umode_t's 16
		{"blk-31", unix.S_IFBLK | 0o600 | 1<<31, loop0, false},
	}
	t.Run("stdio rpath wpath cpath dpath", func(t *testing.T) {
		r := testproc.Run(t, "dpath", func() {
			apply("stdio rpath wpath cpath dpath", pledge.PenaltyENOSYS)
			for _, a := range attempts {
				say("mknodat %s: %s", a.name, errnoName(raw(unix.SYS_MKNODAT, false, atFdcwd, at(a.name), a.mode, a.dev)))
			}
			if nr, ok := legacySyscall("mknod"); ok {
				say("mknod chr: %s", errnoName(raw(nr, false, at("legacy-chr"), unix.S_IFCHR|0o666, devNull)))
				say("mknod fifo: %s", errnoName(raw(nr, false, at("legacy-fifo"), unix.S_IFIFO|0o600, 0)))
			}
		}, inDir(dir))
		if !r.Exited(0) {
			t.Fatalf("scenario failed:\n%s", r)
		}
		for _, a := range attempts {
			want := "ENOSYS"
			if a.ok {
				want = "success"
			}
			wantLines(t, r, "mknodat "+a.name+": "+want)
			fi, err := os.Lstat(filepath.Join(dir, a.name))
			switch {
			case !a.ok && err == nil:
				t.Errorf("%s: a %v was made", a.name, fi.Mode())
			case a.ok && err != nil:
				t.Errorf("%s: %v", a.name, err)
			case a.ok && fi.Mode()&(os.ModeDevice|os.ModeCharDevice) != 0:
				t.Errorf("%s: a device was made: %v", a.name, fi.Mode())
			}
		}
		if _, ok := legacySyscall("mknod"); ok {
			wantLines(t, r, "mknod chr: ENOSYS", "mknod fifo: success")
			if _, err := os.Lstat(filepath.Join(dir, "legacy-chr")); err == nil {
				t.Error("legacy mknod made a device node")
			}
		}
	})
	// Whatever else is pledged: the widest sandbox refuses a block device.
	t.Run("every promise", func(t *testing.T) {
		r := testproc.Run(t, "dpath-all", func() {
			apply(allLinux, pledge.PenaltyKill)
			e := raw(unix.SYS_MKNODAT, false, atFdcwd, at("all-blk"), unix.S_IFBLK|0o600, loop0)
			say("survived: %s", errnoName(e))
		}, inDir(dir))
		wantKilled(t, r)
		if _, err := os.Lstat(filepath.Join(dir, "all-blk")); err == nil {
			t.Error("a block device was made")
		}
	})
}

// capNetRaw is a version 2 security.capability value granting CAP_NET_RAW
// (permitted and effective): a file capability, what a set-user-ID bit is
// to uids.
func capNetRaw() []byte {
	b := make([]byte, 20)
	binary.LittleEndian.PutUint32(b[0:], 0x02000000|1) // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
	binary.LittleEndian.PutUint32(b[4:], 1<<unix.CAP_NET_RAW)
	return b
}

// fattr changes modes and times, not extended attributes: seccomp cannot
// read an attribute's name, and root would set security.capability (file
// capabilities that an exec outside the sandbox honours), security.* or
// trusted.*. Under fattr every call that sets or removes one answers
// EOPNOTSUPP without running; without fattr the penalty applies.
func TestFattrNoXattrChanges(t *testing.T) {
	dir := testDir(t)
	file, keep := filepath.Join(dir, "f"), filepath.Join(dir, "keep")
	var userXattrs, capXattr bool // what the kernel allows unsandboxed (the control)
	parentOnly(t, func() error {
		for _, p := range []string{file, keep} {
			if err := writeFile(p, "x", 0o666); err != nil {
				return err
			}
		}
		// The controls, on another file of the same file system.
		ctl := filepath.Join(dir, "control")
		if err := writeFile(ctl, "x", 0o666); err != nil {
			return err
		}
		userXattrs = unix.Setxattr(keep, "user.kept", []byte("1"), 0) == nil
		if isRoot() {
			err := unix.Setxattr(ctl, "security.capability", capNetRaw(), 0)
			capXattr = err == nil
			if err != nil {
				t.Logf("root cannot set security.capability here (%v)", err)
			}
		}
		if !userXattrs {
			t.Logf("this file system has no user extended attributes (tmpfs before 6.6): the calls below are still refused by the filter")
		}
		return nil
	})
	fd := func() uintptr {
		f, err := unix.Open(file, unix.O_RDWR|unix.O_CLOEXEC, 0)
		must("open", err)
		return uintptr(f)
	}
	name := func(s string) uintptr { return ptr(s) }
	val := capNetRaw()
	calls := func(f uintptr) []struct {
		name string
		nr   uintptr
		args []uintptr
	} {
		return []struct {
			name string
			nr   uintptr
			args []uintptr
		}{
			{"setxattr security.capability", unix.SYS_SETXATTR, []uintptr{ptr(file), name("security.capability"), uintptr(unsafe.Pointer(&val[0])), uintptr(len(val)), 0}},
			{"lsetxattr security.capability", unix.SYS_LSETXATTR, []uintptr{ptr(file), name("security.capability"), uintptr(unsafe.Pointer(&val[0])), uintptr(len(val)), 0}},
			{"fsetxattr security.capability", unix.SYS_FSETXATTR, []uintptr{f, name("security.capability"), uintptr(unsafe.Pointer(&val[0])), uintptr(len(val)), 0}},
			{"setxattr trusted.x", unix.SYS_SETXATTR, []uintptr{ptr(file), name("trusted.x"), uintptr(unsafe.Pointer(&val[0])), 1, 0}},
			{"setxattr user.x", unix.SYS_SETXATTR, []uintptr{ptr(file), name("user.x"), uintptr(unsafe.Pointer(&val[0])), 1, 0}},
			{"removexattr user.kept", unix.SYS_REMOVEXATTR, []uintptr{ptr(keep), name("user.kept")}},
			{"lremovexattr user.kept", unix.SYS_LREMOVEXATTR, []uintptr{ptr(keep), name("user.kept")}},
			{"fremovexattr security.capability", unix.SYS_FREMOVEXATTR, []uintptr{f, name("security.capability")}},
		}
	}
	for _, c := range []struct {
		set, want string
	}{
		{"stdio rpath wpath cpath fattr chown", "ENOTSUP"}, // EOPNOTSUPP, the same number
		{"stdio rpath wpath", "ENOSYS"},                    // the penalty
	} {
		t.Run(c.set, func(t *testing.T) {
			r := testproc.Run(t, "xattr", func() {
				f := fd()
				apply(c.set, pledge.PenaltyENOSYS)
				for _, x := range calls(f) {
					say("%s: %s", x.name, errnoName(raw(x.nr, false, x.args...)))
				}
				say("chmod: %s", errnoName(chmodCall(file, 0o640)))
				_, err := unix.Getxattr(keep, "user.kept", make([]byte, 8))
				say("getxattr: %s", errnoOf(err))
			}, inDir(dir))
			if !r.Exited(0) {
				t.Fatalf("scenario failed:\n%s", r)
			}
			for _, x := range calls(0) {
				wantLines(t, r, x.name+": "+c.want)
			}
			if strings.Contains(c.set, "fattr") {
				wantLines(t, r, "chmod: success") // fattr still changes modes
			} else {
				wantLines(t, r, "chmod: ENOSYS")
			}
			if userXattrs {
				wantLines(t, r, "getxattr: success") // reading is rpath's
			}
		})
	}
	if testproc.InChild() {
		return
	}
	// Nothing happened: no attribute on the file, the kept one still there.
	for _, n := range []string{"security.capability", "trusted.x", "user.x"} {
		if _, err := unix.Getxattr(file, n, make([]byte, 64)); err == nil {
			t.Errorf("%s was set", n)
		}
	}
	if userXattrs {
		if _, err := unix.Getxattr(keep, "user.kept", make([]byte, 8)); err != nil {
			t.Errorf("user.kept was removed: %v", err)
		}
	}
	if capXattr {
		t.Logf("control: root sets security.capability unsandboxed; under fattr it is EOPNOTSUPP")
	}
}

// Without "unix", a pledge refuses unix sockets, but stdio's socketpair
// makes AF_UNIX datagram sockets, and the addressed sendto of inet, dns and
// route (sendfd's sendmsg too) works on them: seccomp sees a descriptor's
// number, never its family. Such a socket reaches any unconnected unix
// datagram socket by path the file permissions allow (/dev/log, a
// service's notify socket). Only Landlock ABI 9 (unveil) can refuse it;
// the report says so. This test checks that exactly: the datagrams arrive
// where the kernel cannot stop them, and the report says "partial".
func TestUnixDatagramWithoutUnix(t *testing.T) {
	abi := landlockABI(t)
	root := makeTree(t)
	sock := filepath.Join(root, "outside", "log")
	var srv int
	if !testproc.InChild() {
		var err error
		srv, err = unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(srv)
		if err := unix.Bind(srv, &unix.SockaddrUnix{Name: sock}); err != nil {
			t.Fatal(err)
		}
		os.Chmod(sock, 0o777)
	}
	received := func() []string {
		var got []string
		buf := make([]byte, 128)
		for {
			n, _, err := unix.Recvfrom(srv, buf, 0)
			if err != nil {
				return got
			}
			got = append(got, string(buf[:n]))
		}
	}
	// send makes the attempt from a socketpair: sendto with the address,
	// or sendmsg with it when useMsg.
	send := func(msg string, useMsg bool) {
		sv, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		say("socketpair: %s", errnoOf(err))
		if err != nil {
			return
		}
		to := &unix.SockaddrUnix{Name: sock}
		if useMsg {
			err = unix.Sendmsg(sv[0], []byte(msg), nil, to, 0)
		} else {
			err = unix.Sendto(sv[0], []byte(msg), 0, to)
		}
		say("send: %s", errnoOf(err))
		_, err = unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM, 0)
		say("socket: %s", errnoOf(err))
	}
	partial := func(rep *report.Report) string {
		for _, it := range rep.Items {
			if it.Layer == report.LayerPromise && it.What == "unix datagrams by path" {
				return string(it.Status)
			}
		}
		return "none"
	}
	// With a promise that reaches them (inet, dns, route, sendfd) but no
	// "unix", the pledge refuses unix sockets themselves but not an
	// addressed send on a socketpair's: the kernel cannot, and the report
	// says so. stdio alone: sendto needs a null address, sendmsg is not
	// stdio's. With "unix" sending is promised: no report item.
	for _, c := range []struct {
		set          string
		useMsg       bool
		send, report string
	}{
		{"stdio inet", false, "success", "partial"},
		{"stdio rpath dns", false, "success", "partial"},
		{"stdio route", false, "success", "partial"},
		{"stdio sendfd", true, "success", "partial"},
		{"stdio", false, "ENOSYS", "none"},
		{"stdio", true, "ENOSYS", "none"},
		{"stdio unix", false, "success", "none"},
	} {
		t.Run(c.set+map[bool]string{true: " sendmsg"}[c.useMsg], func(t *testing.T) {
			r := testproc.Run(t, "unixdgram", func() {
				rep := apply(c.set, pledge.PenaltyENOSYS)
				say("report: %s", partial(rep))
				send(c.set, c.useMsg)
			}, inDir(root))
			if !r.Exited(0) {
				t.Fatalf("scenario failed:\n%s", r)
			}
			wantLines(t, r, "socketpair: success", "send: "+c.send, "report: "+c.report)
			if c.report == "partial" {
				wantLines(t, r, "socket: ENOSYS")
			}
			got := received()
			if c.send == "success" && (len(got) != 1 || got[0] != c.set) || c.send != "success" && len(got) != 0 {
				t.Fatalf("received %q after send %s, want the scenario's datagram exactly when it was sent", got, c.send)
			}
		})
	}
	// With unveil: Landlock ABI 9 refuses the send (EACCES); below, the
	// datagram arrives and both reports say so.
	t.Run("stdio inet with unveil", func(t *testing.T) {
		r := testproc.Run(t, "unixdgram-unveil", func() {
			commitJail(root)
			rep := apply("stdio inet", pledge.PenaltyENOSYS)
			say("report: %s", partial(rep))
			send("unveiled", false)
		}, inDir(root))
		if !r.Exited(0) {
			t.Fatalf("scenario failed:\n%s", r)
		}
		got := received()
		switch {
		case abi >= 9:
			wantLines(t, r, "send: EACCES")
			if len(got) != 0 {
				t.Fatalf("received %q through Landlock ABI %d", got, abi)
			}
		default:
			wantLines(t, r, "send: success", "report: partial")
			if abi > 0 {
				wantLines(t, r, "report landlock-fs unix sockets by path: partial")
			}
			if len(got) != 1 {
				t.Fatalf("received %q", got)
			}
			t.Logf("Landlock ABI %d cannot restrict sends to unix sockets by path; the reports say so", abi)
		}
	})
}
