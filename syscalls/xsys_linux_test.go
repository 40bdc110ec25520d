package syscalls

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAgainstCompiledXSys checks the host arch's table against the x/sys
// constants compiled into this test binary (no module-cache access needed).
func TestAgainstCompiledXSys(t *testing.T) {
	tb, err := Native()
	if err != nil {
		t.Skipf("no table for %s", runtime.GOARCH)
	}
	for name, want := range map[string]uintptr{
		"read": unix.SYS_READ, "write": unix.SYS_WRITE, "openat": unix.SYS_OPENAT, "close": unix.SYS_CLOSE,
		"mmap": unix.SYS_MMAP, "mprotect": unix.SYS_MPROTECT, "clone": unix.SYS_CLONE, "clone3": unix.SYS_CLONE3,
		"execve": unix.SYS_EXECVE, "socket": unix.SYS_SOCKET, "ioctl": unix.SYS_IOCTL, "fcntl": unix.SYS_FCNTL,
		"prctl": unix.SYS_PRCTL, "newfstatat": unix.SYS_NEWFSTATAT, "exit_group": unix.SYS_EXIT_GROUP,
		"tgkill": unix.SYS_TGKILL, "rt_sigreturn": unix.SYS_RT_SIGRETURN, "openat2": unix.SYS_OPENAT2,
		"landlock_restrict_self": unix.SYS_LANDLOCK_RESTRICT_SELF, "fchmodat2": unix.SYS_FCHMODAT2,
	} {
		got, ok := tb.Number(name)
		if !ok || uintptr(got) != want {
			t.Errorf("%s = %d, %v; x/sys (compiled) says %d", name, got, ok, want)
		}
	}
}
