package main

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// cpioWriter writes a "newc" (SVR4, no CRC) cpio archive, the format the
// Linux kernel unpacks as an initramfs. Every entry is owned by root with
// mtime 0, so the same tree gives the same archive.
type cpioWriter struct {
	w      io.Writer
	ino    uint32
	n      int64
	err    error
	closed bool
	seen   map[string]bool
}

func newCpioWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1, seen: map[string]bool{}}
}

// File mode type bits as cpio stores them (the st_mode of Linux).
const (
	cpioSIFDIR = 0o040000
	cpioSIFREG = 0o100000
	cpioSIFLNK = 0o120000
	cpioSIFCHR = 0o020000
)

func (c *cpioWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
}

func (c *cpioWriter) pad() {
	if r := c.n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

// header writes one entry header and name. name is relative ("init",
// "dev/console"), without a leading slash.
func (c *cpioWriter) header(name string, mode uint32, size int64, nlink uint32, rmaj, rmin uint32) error {
	if c.closed {
		return errors.New("cpio: write after Close")
	}
	if size < 0 || size > 0xffffffff {
		return fmt.Errorf("cpio: %s: size %d does not fit newc's 32 bits", name, size)
	}
	if name != "TRAILER!!!" {
		clean := path.Clean(strings.TrimPrefix(name, "/"))
		if clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("cpio: bad entry name %q", name)
		}
		if c.seen[clean] {
			return fmt.Errorf("cpio: duplicate entry %q", clean)
		}
		c.seen[clean] = true
		name = clean
	}
	ino := c.ino
	c.ino++
	if name == "TRAILER!!!" {
		ino = 0
	}
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, uint32(size), 0, 0, rmaj, rmin, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write([]byte(name))
	c.write([]byte{0})
	c.pad()
	return c.err
}

// Dir adds a directory.
func (c *cpioWriter) Dir(name string, perm fs.FileMode) error {
	return c.header(name, cpioSIFDIR|uint32(perm.Perm()), 0, 2, 0, 0)
}

// File adds a regular file with the given contents.
func (c *cpioWriter) File(name string, perm fs.FileMode, data []byte) error {
	if err := c.header(name, cpioSIFREG|uint32(perm.Perm()), int64(len(data)), 1, 0, 0); err != nil {
		return err
	}
	c.write(data)
	c.pad()
	return c.err
}

// FileFrom adds a regular file of size bytes read from r.
func (c *cpioWriter) FileFrom(name string, perm fs.FileMode, size int64, r io.Reader) error {
	if err := c.header(name, cpioSIFREG|uint32(perm.Perm()), size, 1, 0, 0); err != nil {
		return err
	}
	if c.err == nil {
		n, err := io.CopyN(c.w, r, size)
		c.n += n
		if err != nil {
			c.err = fmt.Errorf("cpio: %s: %w", name, err)
		}
	}
	c.pad()
	return c.err
}

// Symlink adds a symbolic link.
func (c *cpioWriter) Symlink(name, target string) error {
	if err := c.header(name, cpioSIFLNK|0o777, int64(len(target)), 1, 0, 0); err != nil {
		return err
	}
	c.write([]byte(target))
	c.pad()
	return c.err
}

// CharDev adds a character device node.
func (c *cpioWriter) CharDev(name string, perm fs.FileMode, major, minor uint32) error {
	return c.header(name, cpioSIFCHR|uint32(perm.Perm()), 0, 1, major, minor)
}

// Tree adds every file, directory and symlink under dir, in lexical order,
// with names relative to dir. Other file types are an error.
func (c *cpioWriter) Tree(dir string) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, p := range names {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			err = c.Dir(rel, fi.Mode())
		case fi.Mode()&fs.ModeSymlink != 0:
			var t string
			if t, err = os.Readlink(p); err == nil {
				err = c.Symlink(rel, t)
			}
		case fi.Mode().IsRegular():
			var f *os.File
			if f, err = os.Open(p); err == nil {
				err = c.FileFrom(rel, fi.Mode(), fi.Size(), f)
				f.Close()
			}
		default:
			err = fmt.Errorf("cpio: %s: unsupported file type %v", p, fi.Mode().Type())
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Close writes the trailer. It does not close the underlying writer.
func (c *cpioWriter) Close() error {
	if c.closed {
		return c.err
	}
	if err := c.header("TRAILER!!!", 0, 0, 1, 0, 0); err != nil {
		return err
	}
	c.closed = true
	return c.err
}

// writeInitramfs writes dir as a gzip-compressed newc archive to out, with
// /dev/console added (the kernel opens it for init's stdio before any
// devtmpfs is mounted).
func writeInitramfs(dir, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		return err
	}
	cw := newCpioWriter(zw)
	if err := cw.Tree(dir); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	if !cw.seen["dev"] {
		if err := cw.Dir("dev", 0o755); err != nil {
			return err
		}
	}
	if !cw.seen["dev/console"] {
		if err := cw.CharDev("dev/console", 0o600, 5, 1); err != nil {
			return err
		}
	}
	if err := cw.Close(); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("initramfs: %w", err)
	}
	return f.Close()
}
