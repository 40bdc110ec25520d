package promises

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestIoctlsOnKernel checks the generic ioctl numbers x/sys does not define
// (FIOCLEX, FIONCLEX, FIONBIO) and FIONREAD by their effect on this kernel.
// They come from asm-generic/ioctls.h, which amd64 and arm64 both use.
func TestIoctlsOnKernel(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	ioctl := func(fd int, req uintptr, arg uintptr) {
		t.Helper()
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg); e != 0 {
			t.Fatalf("ioctl(%#x): %v", req, e)
		}
	}
	cloexec := func() bool {
		v, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETFD, 0)
		if err != nil {
			t.Fatal(err)
		}
		return v&unix.FD_CLOEXEC != 0
	}
	ioctl(p[0], fioclex, 0)
	if !cloexec() {
		t.Error("FIOCLEX did not set close-on-exec")
	}
	ioctl(p[0], fionclex, 0)
	if cloexec() {
		t.Error("FIONCLEX did not clear close-on-exec")
	}
	one := int32(1)
	ioctl(p[0], fionbio, uintptr(unsafe.Pointer(&one)))
	fl, err := unix.FcntlInt(uintptr(p[0]), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_NONBLOCK == 0 {
		t.Errorf("FIONBIO did not set O_NONBLOCK (flags %#x, %v)", fl, err)
	}
	if _, err := unix.Write(p[1], []byte("hello")); err != nil {
		t.Fatal(err)
	}
	var n int32
	ioctl(p[0], fionread, uintptr(unsafe.Pointer(&n)))
	if n != 5 {
		t.Errorf("FIONREAD = %d, want 5", n)
	}
}

// TestAtConstants checks the *at(2) constants x/sys keeps outside its
// zerrors files (ztypes_linux.go is the same for every arch).
func TestAtConstants(t *testing.T) {
	if atEmptyPath != unix.AT_EMPTY_PATH {
		t.Errorf("atEmptyPath = %#x, want AT_EMPTY_PATH %#x", atEmptyPath, unix.AT_EMPTY_PATH)
	}
	if fdcwd := int32(unix.AT_FDCWD); uint32(fdcwd)&fdSignBit == 0 {
		t.Errorf("AT_FDCWD %#x does not have the sign bit %#x the fstat rules refuse", fdcwd, fdSignBit)
	}
}
