//go:build linux

package pledge

import (
	"os"

	"golang.org/x/sys/unix"
)

// The supervisor and the exec helper are this program's own binary,
// re-executed with a marker as argv[0]. This init function recognizes
// them before main runs (and before the init functions of packages that
// import pledge), runs the role, and exits. A program started with such an
// argv[0] by someone else is protected by the role itself: the helper only
// narrows and executes, the supervisor only reports on its parent.
// Set-user-ID and file-capability programs (AT_SECURE) never take a role.
func init() {
	if len(os.Args) == 0 || secureExec() {
		return
	}
	switch os.Args[0] {
	case roleSupervisor:
		supervisorMain(os.Args)
	case roleExec:
		execHelperMain(os.Args)
	}
}

// secureExec reports whether the kernel started this program in secure
// mode (AT_SECURE: set-user-ID, set-group-ID, file capabilities).
func secureExec() bool {
	const atSecure = 23
	auxv, err := unix.Auxv()
	if err != nil {
		return os.Getuid() != os.Geteuid() || os.Getgid() != os.Getegid()
	}
	for _, kv := range auxv {
		if kv[0] == atSecure {
			return kv[1] != 0
		}
	}
	return false
}
