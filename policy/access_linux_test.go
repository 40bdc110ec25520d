package policy

import (
	"testing"

	"golang.org/x/sys/unix"
)

// The package's own copies of the Landlock constants equal the kernel's.
func TestBitsMatchKernelConstants(t *testing.T) {
	check := func(name string, ours, kernel uint64) {
		t.Helper()
		if ours != kernel {
			t.Errorf("%s = %#x, kernel %#x", name, ours, kernel)
		}
	}
	check("execute", fsExecute, unix.LANDLOCK_ACCESS_FS_EXECUTE)
	check("write_file", fsWriteFile, unix.LANDLOCK_ACCESS_FS_WRITE_FILE)
	check("read_file", fsReadFile, unix.LANDLOCK_ACCESS_FS_READ_FILE)
	check("read_dir", fsReadDir, unix.LANDLOCK_ACCESS_FS_READ_DIR)
	check("remove_dir", fsRemoveDir, unix.LANDLOCK_ACCESS_FS_REMOVE_DIR)
	check("remove_file", fsRemoveFile, unix.LANDLOCK_ACCESS_FS_REMOVE_FILE)
	check("make_char", fsMakeChar, unix.LANDLOCK_ACCESS_FS_MAKE_CHAR)
	check("make_dir", fsMakeDir, unix.LANDLOCK_ACCESS_FS_MAKE_DIR)
	check("make_reg", fsMakeReg, unix.LANDLOCK_ACCESS_FS_MAKE_REG)
	check("make_sock", fsMakeSock, unix.LANDLOCK_ACCESS_FS_MAKE_SOCK)
	check("make_fifo", fsMakeFifo, unix.LANDLOCK_ACCESS_FS_MAKE_FIFO)
	check("make_block", fsMakeBlock, unix.LANDLOCK_ACCESS_FS_MAKE_BLOCK)
	check("make_sym", fsMakeSym, unix.LANDLOCK_ACCESS_FS_MAKE_SYM)
	check("refer", fsRefer, unix.LANDLOCK_ACCESS_FS_REFER)
	check("truncate", fsTruncate, unix.LANDLOCK_ACCESS_FS_TRUNCATE)
	check("ioctl_dev", fsIoctlDev, unix.LANDLOCK_ACCESS_FS_IOCTL_DEV)
	check("bind_tcp", netBindTCP, unix.LANDLOCK_ACCESS_NET_BIND_TCP)
	check("connect_tcp", netConnectTCP, unix.LANDLOCK_ACCESS_NET_CONNECT_TCP)
	check("abstract_unix_socket", scopeAbstractUnixSocket, unix.LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET)
	check("signal", scopeSignal, unix.LANDLOCK_SCOPE_SIGNAL)
}
