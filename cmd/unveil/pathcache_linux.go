package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// pathCache resolves paths for one planning: every path component is
// looked up (lstat, readlink) once, however many of the plan's paths pass
// through it (the program, its libraries, the C library's data, what the
// promises imply and the -v paths share /usr, /usr/lib, /etc, ...;
// filepath.EvalSymlinks and os.Stat looked each up again, ~200 system
// calls a launch). It answers as filepath.EvalSymlinks and os.Stat would
// have at the moment each component was first looked up; the plan is a
// snapshot either way (the enforcing process opens every path again). It
// is for planning only: the supervisor, which runs while the program
// changes files, resolves afresh (cleanAbs). A nil *pathCache does not
// cache.
type pathCache struct {
	lstats map[string]lstatResult
	reals  map[string]realResult
	links  int // symlinks followed by the current resolve
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
// filepath.EvalSymlinks does (a link met by an earlier resolution is not
// followed again, so it is not counted again).
const maxLinks = 255

var errTooManyLinks = errors.New("too many links")

func newPathCache() *pathCache {
	return &pathCache{lstats: map[string]lstatResult{}, reals: map[string]realResult{}}
}

func (c *pathCache) lstat(path string) (fs.FileInfo, error) {
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

// stat is os.Stat: the file path names, after every symlink.
func (c *pathCache) stat(path string) (fs.FileInfo, error) {
	if c == nil {
		return os.Stat(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	rp, err := c.evalSymlinks(abs)
	if err != nil {
		return nil, &fs.PathError{Op: "stat", Path: path, Err: underlying(err)}
	}
	return c.lstat(rp) // resolved: not a symlink
}

// underlying is the system error of a path error.
func underlying(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// evalSymlinks is filepath.EvalSymlinks for an absolute path.
func (c *pathCache) evalSymlinks(abs string) (string, error) {
	if c == nil {
		return filepath.EvalSymlinks(abs)
	}
	c.links = 0
	return c.real(filepath.Clean(abs))
}

// real resolves abs (absolute and clean): its parent first (memoised),
// then its last component, following a symlink there.
func (c *pathCache) real(abs string) (string, error) {
	if abs == "/" {
		return abs, nil
	}
	if r, ok := c.reals[abs]; ok {
		return r.path, r.err
	}
	dir, err := c.real(filepath.Dir(abs))
	if err != nil {
		return "", err // not remembered: it depends on the links followed so far
	}
	cand := filepath.Join(dir, filepath.Base(abs))
	fi, err := c.lstat(cand)
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
		target = filepath.Join(dir, target)
	}
	rp, err := c.real(filepath.Clean(target))
	if err == nil {
		c.reals[abs] = realResult{rp, nil}
	}
	return rp, err
}

// cleanAbs is the package's cleanAbs, through the cache.
func (c *pathCache) cleanAbs(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := c.evalSymlinks(abs); err == nil {
		return r, nil
	}
	return abs, nil
}
