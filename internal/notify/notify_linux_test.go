package notify

import (
	"errors"
	"os"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/loader"
)

// Install is internal/loader's single-thread install; a request refused
// up front changes nothing (so it can run in this process).
func TestInstallRefused(t *testing.T) {
	fd, err := Install(nil, true)
	if fd != -1 || !errors.Is(err, loader.ErrInvalid) || !strings.HasPrefix(err.Error(), "notify: ") {
		t.Fatalf("Install(nil): %d, %v", fd, err)
	}
}

// ReadString reads up to the NUL even when the string ends right before
// an unreadable page, and says so when there is no NUL.
func TestReadString(t *testing.T) {
	page := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	base := uint64(uintptr(unsafe.Pointer(&mem[0])))
	// Unmap the second page (/proc/PID/mem reads PROT_NONE pages anyway).
	// Raw calls: unix.Munmap only takes whole mappings.
	if _, _, e := unix.Syscall(unix.SYS_MUNMAP, uintptr(base)+uintptr(page), uintptr(page), 0); e != 0 {
		t.Fatal(e)
	}
	defer unix.Syscall(unix.SYS_MUNMAP, uintptr(base), uintptr(page), 0)
	mem = mem[:page:page]
	pid := os.Getpid()

	copy(mem[page-4:], "abc\x00")
	if s, err := ReadString(pid, base+uint64(page-4), 4096); s != "abc" || err != nil {
		t.Errorf("string before an unreadable page: %q, %v", s, err)
	}
	copy(mem[page-3:], "xyz") // no NUL before the unreadable page
	if s, err := ReadString(pid, base+uint64(page-3), 4096); s != "xyz" || err == nil {
		t.Errorf("unterminated string: %q, %v", s, err)
	}
	copy(mem, "0123456789\x00")
	if s, err := ReadString(pid, base, 4); s != "0123" || err == nil {
		t.Errorf("string longer than max: %q, %v", s, err)
	}
	if _, err := ReadString(pid, 0, 10); err == nil {
		t.Error("NULL: no error")
	}
	if b, err := ReadMem(pid, base, 5); string(b) != "01234" || err != nil {
		t.Errorf("ReadMem: %q, %v", b, err)
	}
}

// SendFd and RecvFd pass a working descriptor, received close-on-exec.
func TestSendRecvFd(t *testing.T) {
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sp[0])
	defer unix.Close(sp[1])
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if err := SendFd(sp[0], int(w.Fd())); err != nil {
		t.Fatal(err)
	}
	fd, err := RecvFd(sp[1])
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
		t.Errorf("received descriptor: F_GETFD %#x, %v; want close-on-exec", fl, err)
	}
	if _, err := unix.Write(fd, []byte("via fd")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "via fd" {
		t.Errorf("read %q through the passed descriptor", buf[:n])
	}
	unix.Close(sp[0])
	if _, err := RecvFd(sp[1]); err == nil {
		t.Error("RecvFd on a closed socket: no error")
	}
}
