//go:build unix

package elfdeps

import (
	"io"
	"io/fs"
	"syscall"

	"github.com/pledgekit/pledgekit/internal/rawio"
)

// rfile is a file read with plain system calls. Package os would offer
// every file it opens to the runtime's network poller (a few system calls
// each, which regular files refuse) and set the poller up on the first;
// the resolver opens a handful of files once each and only reads them.
type rfile struct {
	fd   int
	path string
}

func openFile(path string) (*rfile, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return &rfile{fd: fd, path: path}, nil
	}
}

func (f *rfile) Close() error { return syscall.Close(f.fd) }

// ReadAt reads as os.File.ReadAt does: until b is full, the end of the
// file (io.EOF) or an error.
func (f *rfile) ReadAt(b []byte, off int64) (int, error) {
	n := 0
	for n < len(b) {
		m, err := syscall.Pread(f.fd, b[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, &fs.PathError{Op: "read", Path: f.path, Err: err}
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

// kind reports whether the file is a regular file and whether any of its
// execute bits is set (the kernel executes no file without one, not even
// for root).
func (f *rfile) kind() (regular, executable bool, err error) {
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(f.fd, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return false, false, &fs.PathError{Op: "stat", Path: f.path, Err: err}
		}
		return uint32(st.Mode)&syscall.S_IFMT == syscall.S_IFREG, st.Mode&0o111 != 0, nil
	}
}

// readFile is os.ReadFile with plain system calls.
func readFile(path string) ([]byte, error) { return rawio.ReadFile(path, nil) }

// exists reports whether p names a regular file (following symlinks).
func exists(p string) bool {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(p, &st)
		if err == syscall.EINTR {
			continue
		}
		return err == nil && uint32(st.Mode)&syscall.S_IFMT == syscall.S_IFREG
	}
}

// isSymlink reports whether p exists and is a symbolic link itself;
// ok is false when p cannot be examined.
func isSymlink(p string) (link, ok bool) {
	var st syscall.Stat_t
	for {
		err := syscall.Lstat(p, &st)
		if err == syscall.EINTR {
			continue
		}
		return err == nil && uint32(st.Mode)&syscall.S_IFMT == syscall.S_IFLNK, err == nil
	}
}
