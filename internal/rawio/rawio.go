//go:build unix

// Package rawio reads whole files with plain system calls. Package os
// offers every file it opens to the runtime's network poller (system calls
// that regular files refuse, and the poller's set-up on the first file);
// the kernel probe and the ELF resolver read a few small files once each
// on the start-up path of every pledge and every unveil launch.
package rawio

import (
	"io/fs"
	"syscall"
)

// ReadFile reads the whole file at path, as os.ReadFile does. It reads
// into buf's storage (buf[:0]) while that suffices and grows it beyond;
// with no storage (nil) it sizes the buffer from fstat (files in /proc
// report size 0 and grow it as they are read). Errors are *fs.PathError.
func ReadFile(path string, buf []byte) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	b := buf[:0]
	if cap(b) == 0 {
		var st syscall.Stat_t
		size := int64(0)
		if syscall.Fstat(fd, &st) == nil {
			size = st.Size
		}
		// One byte more than the size, to see the end without growing.
		b = make([]byte, 0, max(size+1, 512))
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := syscall.Read(fd, b[len(b):cap(b)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return b, nil
		}
		b = b[:len(b)+m]
	}
}
