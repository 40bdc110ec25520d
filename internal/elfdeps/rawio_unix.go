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

// openFile opens a regular file for reading, and nothing else: the paths
// come from the program (#! lines, PT_INTERP, DT_NEEDED), and opening a
// FIFO would block and opening a device may act (a watchdog starts when
// opened). The file is checked before it is opened and again after (the
// same file, still regular); the open cannot block or take a terminal.
func openFile(path string) (*rfile, error) {
	var before, after syscall.Stat_t
	if err := retry(func() error { return syscall.Stat(path, &before) }); err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if before.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
		return err
	})
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if err := retry(func() error { return syscall.Fstat(fd, &after) }); err != nil || after.Dev != before.Dev || after.Ino != before.Ino || after.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: path, Err: errNotRegular}
	}
	return &rfile{fd: fd, path: path}, nil
}

// retry calls f again while it fails with EINTR.
func retry(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
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

// executable reports whether any of the file's execute bits is set (the
// kernel executes no file without one, not even for root).
func (f *rfile) executable() (bool, error) {
	var st syscall.Stat_t
	if err := retry(func() error { return syscall.Fstat(f.fd, &st) }); err != nil {
		return false, &fs.PathError{Op: "stat", Path: f.path, Err: err}
	}
	return st.Mode&0o111 != 0, nil
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
