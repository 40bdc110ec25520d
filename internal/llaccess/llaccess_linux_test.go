//go:build linux

package llaccess

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
	"golang.org/x/sys/unix"
)

// The table's bits are the kernel's, as golang.org/x/sys/unix spells
// them under the uapi name the table gives, and go-landlock's (whose
// all-thread calls the library uses).
func TestBitsMatchUnix(t *testing.T) {
	kernel := map[string][2]uint64{
		"LANDLOCK_ACCESS_FS_EXECUTE":           {unix.LANDLOCK_ACCESS_FS_EXECUTE, llsys.AccessFSExecute},
		"LANDLOCK_ACCESS_FS_WRITE_FILE":        {unix.LANDLOCK_ACCESS_FS_WRITE_FILE, llsys.AccessFSWriteFile},
		"LANDLOCK_ACCESS_FS_READ_FILE":         {unix.LANDLOCK_ACCESS_FS_READ_FILE, llsys.AccessFSReadFile},
		"LANDLOCK_ACCESS_FS_READ_DIR":          {unix.LANDLOCK_ACCESS_FS_READ_DIR, llsys.AccessFSReadDir},
		"LANDLOCK_ACCESS_FS_REMOVE_DIR":        {unix.LANDLOCK_ACCESS_FS_REMOVE_DIR, llsys.AccessFSRemoveDir},
		"LANDLOCK_ACCESS_FS_REMOVE_FILE":       {unix.LANDLOCK_ACCESS_FS_REMOVE_FILE, llsys.AccessFSRemoveFile},
		"LANDLOCK_ACCESS_FS_MAKE_CHAR":         {unix.LANDLOCK_ACCESS_FS_MAKE_CHAR, llsys.AccessFSMakeChar},
		"LANDLOCK_ACCESS_FS_MAKE_DIR":          {unix.LANDLOCK_ACCESS_FS_MAKE_DIR, llsys.AccessFSMakeDir},
		"LANDLOCK_ACCESS_FS_MAKE_REG":          {unix.LANDLOCK_ACCESS_FS_MAKE_REG, llsys.AccessFSMakeReg},
		"LANDLOCK_ACCESS_FS_MAKE_SOCK":         {unix.LANDLOCK_ACCESS_FS_MAKE_SOCK, llsys.AccessFSMakeSock},
		"LANDLOCK_ACCESS_FS_MAKE_FIFO":         {unix.LANDLOCK_ACCESS_FS_MAKE_FIFO, llsys.AccessFSMakeFifo},
		"LANDLOCK_ACCESS_FS_MAKE_BLOCK":        {unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK, llsys.AccessFSMakeBlock},
		"LANDLOCK_ACCESS_FS_MAKE_SYM":          {unix.LANDLOCK_ACCESS_FS_MAKE_SYM, llsys.AccessFSMakeSym},
		"LANDLOCK_ACCESS_FS_REFER":             {unix.LANDLOCK_ACCESS_FS_REFER, llsys.AccessFSRefer},
		"LANDLOCK_ACCESS_FS_TRUNCATE":          {unix.LANDLOCK_ACCESS_FS_TRUNCATE, llsys.AccessFSTruncate},
		"LANDLOCK_ACCESS_FS_IOCTL_DEV":         {unix.LANDLOCK_ACCESS_FS_IOCTL_DEV, llsys.AccessFSIoctlDev},
		"LANDLOCK_ACCESS_FS_RESOLVE_UNIX":      {unix.LANDLOCK_ACCESS_FS_RESOLVE_UNIX, llsys.AccessFSResolveUnix},
		"LANDLOCK_ACCESS_NET_BIND_TCP":         {unix.LANDLOCK_ACCESS_NET_BIND_TCP, llsys.AccessNetBindTCP},
		"LANDLOCK_ACCESS_NET_CONNECT_TCP":      {unix.LANDLOCK_ACCESS_NET_CONNECT_TCP, llsys.AccessNetConnectTCP},
		"LANDLOCK_ACCESS_NET_BIND_UDP":         {unix.LANDLOCK_ACCESS_NET_BIND_UDP, llsys.AccessNetBindUDP},
		"LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP": {unix.LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP, llsys.AccessNetConnectSendUDP},
		"LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET":  {unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, llsys.ScopeAbstractUnixSocket},
		"LANDLOCK_SCOPE_SIGNAL":                {unix.LANDLOCK_SCOPE_SIGNAL, llsys.ScopeSignal},
	}
	if len(table) != len(kernel) {
		t.Errorf("table has %d rights, x/sys/unix %d", len(table), len(kernel))
	}
	for _, r := range table {
		want, ok := kernel[r.UAPI]
		if !ok {
			t.Errorf("%s %s: uapi name %q unknown", r.Kind, r.Name, r.UAPI)
			continue
		}
		if r.Bit != want[0] || r.Bit != want[1] {
			t.Errorf("%s = %#x, x/sys/unix %#x, go-landlock %#x", r.UAPI, r.Bit, want[0], want[1])
		}
	}
}

// Mask agrees with go-landlock's ABI list (landlock.V1 ... V11) for every
// ABI go-landlock knows, and go-landlock names each right as the table
// does.
func TestMatchesGoLandlock(t *testing.T) {
	versions := []landlock.Config{landlock.V1, landlock.V2, landlock.V3, landlock.V4, landlock.V5, landlock.V6,
		landlock.V7, landlock.V8, landlock.V9, landlock.V10, landlock.V11}
	for i, v := range versions {
		abi := i + 1
		if got, want := Mask(FS, abi), uint64(v.HandledAccessFS); got != want {
			t.Errorf("ABI %d fs: %s, go-landlock %s", abi, String(FS, got), v.HandledAccessFS)
		}
		if got, want := Mask(Net, abi), uint64(v.HandledAccessNet); got != want {
			t.Errorf("ABI %d net: %s, go-landlock %s", abi, String(Net, got), v.HandledAccessNet)
		}
		if got, want := Mask(Scope, abi), uint64(v.Scoped); got != want {
			t.Errorf("ABI %d scopes: %s, go-landlock %s", abi, String(Scope, got), v.Scoped)
		}
	}
	if Mask(FS, len(versions)+5) != Known(FS) || Mask(FS, 0) != 0 || Mask(Net, 3) != 0 || Mask(Scope, 5) != 0 {
		t.Error("Mask outside the ABIs go-landlock lists")
	}
	for _, r := range table {
		var golandlock string
		switch r.Kind {
		case FS:
			golandlock = landlock.AccessFSSet(r.Bit).String()
		case Net:
			golandlock = landlock.AccessNetSet(r.Bit).String()
		case Scope:
			golandlock = landlock.ScopedSet(r.Bit).String()
		}
		if want := "{" + r.Name + "}"; golandlock != want || String(r.Kind, r.Bit) != want {
			t.Errorf("%s: go-landlock prints %s, the table %s, want %s", r.UAPI, golandlock, String(r.Kind, r.Bit), want)
		}
	}
	if got, want := String(FS, FSExecute|FSReadFile|FSRefer), landlock.AccessFSSet(FSExecute|FSReadFile|FSRefer).String(); got != want {
		t.Errorf("String = %q, go-landlock %q", got, want)
	}
	if String(Scope, 0) != landlock.ScopedSet(0).String() {
		t.Errorf("empty set: %q", String(Scope, 0))
	}
	if want := uint64(llsys.AccessFSResolveUnix<<1 - 1); AllFS != want || Known(FS) != want {
		t.Errorf("AllFS %#x, Known(FS) %#x, want %#x", AllFS, Known(FS), want)
	}
}

// On the running kernel: a ruleset handling one right is accepted exactly
// when the kernel's ABI is at least the right's; a rule on a regular file
// is accepted exactly for the rights the table marks File (Landlock
// refuses rights of directories there with EINVAL).
func TestKernelAgrees(t *testing.T) {
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil {
		t.Skipf("Landlock unavailable: %v", err)
	}
	for _, r := range table {
		var attr llsys.RulesetAttr
		switch r.Kind {
		case FS:
			attr.HandledAccessFS = r.Bit
		case Net:
			attr.HandledAccessNet = r.Bit
		case Scope:
			attr.Scoped = r.Bit
		}
		fd, err := llsys.LandlockCreateRuleset(&attr, 0)
		if err == nil {
			syscall.Close(fd)
		}
		switch {
		case r.ABI <= abi && err != nil:
			t.Errorf("%s (ABI %d) refused by a kernel of ABI %d: %v", r.UAPI, r.ABI, abi, err)
		case r.ABI > abi:
			// A kernel whose struct landlock_ruleset_attr has the right's
			// field refuses an unknown bit with EINVAL; one whose struct
			// ends before the field (handled_access_net came with ABI 4,
			// scoped with ABI 6) refuses the non-zero bytes it does not
			// know with E2BIG (copy_struct_from_user).
			want := syscall.EINVAL
			if (r.Kind == Net && abi < 4) || (r.Kind == Scope && abi < 6) {
				want = syscall.E2BIG
			}
			if !errors.Is(err, want) {
				t.Errorf("%s (ABI %d) on a kernel of ABI %d: %v, want %v", r.UAPI, r.ABI, abi, err, want)
			}
		}
	}

	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	fileFD, err := syscall.Open(file, unix.O_PATH|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fileFD)
	dirFD, err := syscall.Open(filepath.Dir(file), unix.O_PATH|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(dirFD)
	rfd, err := llsys.LandlockCreateRuleset(&llsys.RulesetAttr{HandledAccessFS: Mask(FS, abi)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(rfd)
	for _, r := range Rights(FS) {
		if r.ABI > abi {
			continue
		}
		if err := llsys.LandlockAddPathBeneathRule(rfd, &llsys.PathBeneathAttr{AllowedAccess: r.Bit, ParentFd: dirFD}, 0); err != nil {
			t.Errorf("%s on a directory: %v", r.UAPI, err)
		}
		err := llsys.LandlockAddPathBeneathRule(rfd, &llsys.PathBeneathAttr{AllowedAccess: r.Bit, ParentFd: fileFD}, 0)
		switch {
		case r.File && err != nil:
			t.Errorf("%s on a file: %v, the table says files take it", r.UAPI, err)
		case !r.File && !errors.Is(err, syscall.EINVAL):
			t.Errorf("%s on a file: %v, want EINVAL (a right of directories)", r.UAPI, err)
		}
	}
}
