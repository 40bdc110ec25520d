// Package pathres resolves paths the way filepath.EvalSymlinks and os.Stat
// do, looking each path component up (lstat, readlink) once however many
// paths pass through it. A plan names many files under the same
// directories (a program's libraries, the C library's data, what promises
// imply, the unveiled paths share /usr, /usr/lib, /etc ...): resolved one
// by one, a launch of the unveil command made ~200 such system calls.
//
// A Cache answers as the file system was when it first looked each
// component up: it is for one planning, which is a snapshot anyway (what
// enforces opens every path again), never for a process that watches
// paths change (a supervisor judging a program's calls resolves afresh).
// A nil *Cache caches nothing. A Cache is not safe for concurrent use.
package pathres

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Cache remembers lstat and symlink resolution answers.
type Cache struct {
	lstats map[string]lstatResult
	reals  map[string]realResult
	links  int // symlinks followed by the current resolution
}

type lstatResult struct {
	fi  fs.FileInfo
	err error
}

type realResult struct {
	path string
	err  error
}

// maxLinks bounds the symlinks one resolution follows, as
// filepath.EvalSymlinks does (a link an earlier resolution went through
// is remembered, not followed again, so it is not counted again).
const maxLinks = 255

var errTooManyLinks = errors.New("too many links")

// New returns an empty cache.
func New() *Cache {
	return &Cache{lstats: map[string]lstatResult{}, reals: map[string]realResult{}}
}

// Lstat is os.Lstat.
func (c *Cache) Lstat(path string) (fs.FileInfo, error) {
	if c == nil {
		return os.Lstat(path)
	}
	if r, ok := c.lstats[path]; ok {
		return r.fi, r.err
	}
	fi, err := os.Lstat(path)
	c.lstats[path] = lstatResult{fi, err}
	return fi, err
}

// Stat is os.Stat: the file path names, after every symlink. Its errors
// are *fs.PathError for path.
func (c *Cache) Stat(path string) (fs.FileInfo, error) {
	if c == nil {
		return os.Stat(path)
	}
	abs, err := absolute(path)
	if err != nil {
		return nil, err
	}
	rp, err := c.EvalSymlinks(abs)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: underlying(err)}
	}
	return c.Lstat(rp) // resolved: not a symlink
}

// underlying is the system error of a path error (ELOOP for a chain of
// symlinks too long, as stat(2) says).
func underlying(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if err == errTooManyLinks {
		return syscall.ELOOP
	}
	return err
}

// EvalSymlinks is filepath.EvalSymlinks; a relative path is taken from
// the working directory, as filepath.EvalSymlinks resolves it.
func (c *Cache) EvalSymlinks(path string) (string, error) {
	if c == nil || !filepath.IsAbs(path) {
		return filepath.EvalSymlinks(path) // relative: its answer stays relative
	}
	c.links = 0
	if !isClean(path) {
		path = filepath.Clean(path)
	}
	return c.real(path)
}

// absolute is filepath.Abs, without cleaning a path that is clean.
func absolute(p string) (string, error) {
	if filepath.IsAbs(p) && isClean(p) {
		return p, nil
	}
	return filepath.Abs(p)
}

// isClean reports whether the absolute path p is as filepath.Clean
// leaves it: no empty, "." or ".." element, no trailing slash.
func isClean(p string) bool {
	if p == "/" {
		return true
	}
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' {
		return false
	}
	for i := 0; i < len(p); {
		j := strings.IndexByte(p[i+1:], '/')
		if j < 0 {
			j = len(p) - i - 1
		}
		if e := p[i+1 : i+1+j]; e == "" || e == "." || e == ".." {
			return false
		}
		i += 1 + j
	}
	return true
}

// real resolves abs (absolute and clean): its parent first (remembered),
// then its last component, following a symlink there. The paths are
// split and joined as strings: they are clean already.
func (c *Cache) real(abs string) (string, error) {
	if abs == "/" {
		return abs, nil
	}
	if r, ok := c.reals[abs]; ok {
		return r.path, r.err
	}
	i := strings.LastIndexByte(abs, '/')
	parent := "/"
	if i > 0 {
		parent = abs[:i]
	}
	dir, err := c.real(parent)
	if err != nil {
		return "", err // not remembered: it depends on the links followed so far
	}
	cand := dir + abs[i:]
	if dir == "/" {
		cand = abs[i:]
	}
	fi, err := c.Lstat(cand)
	if err != nil {
		c.reals[abs] = realResult{"", err}
		return "", err
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		c.reals[abs] = realResult{cand, nil}
		return cand, nil
	}
	c.links++
	if c.links > maxLinks {
		return "", &fs.PathError{Op: "lstat", Path: abs, Err: errTooManyLinks}
	}
	target, err := os.Readlink(cand)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(target) {
		// dir holds no symlink: ".." in the target is lexical there.
		target = dir + "/" + target
	}
	rp, err := c.real(filepath.Clean(target))
	if err == nil {
		c.reals[abs] = realResult{rp, nil}
	}
	return rp, err
}

// Clean makes p absolute and clean and resolves its symlinks when it
// exists; a path that does not resolve is returned absolute and clean.
func (c *Cache) Clean(p string) (string, error) {
	abs, err := absolute(p)
	if err != nil {
		return "", err
	}
	if r, err := c.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	return abs, nil
}
