package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// checked is a finished download that passed the parent's checks, now a
// private copy under its name in the temp dir.
type checked struct {
	ino uint64
	dev uint64
	sum string // sha256 of the copy
}

// installPrefix names the parent's private copy while it is written; list
// names never start with a dot.
const installPrefix = ".install-"

// openFinished checks a file the child says is complete, refusing anything
// but a plain file with one link, owned by the download user, of the
// expected size (exact, or at most max when exact < 0), and replaces it
// with a private copy (see privateCopy).
func (r *runner) openFinished(name string, exact, max int64) (checked, error) {
	var lst unix.Stat_t
	if err := unix.Fstatat(r.tmpfd, name, &lst, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return checked{}, fmt.Errorf("%s: %w", name, err)
	}
	if lst.Mode&unix.S_IFMT != unix.S_IFREG {
		return checked{}, fmt.Errorf("%w: %s is %s (refused: the downloader may be compromised)", ErrNotRegular, name, fileType(lst.Mode))
	}
	fd, err := unix.Openat(r.tmpfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return checked{}, fmt.Errorf("opening %s: %w", name, err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return checked{}, err
	}
	switch {
	case st.Ino != lst.Ino || st.Dev != lst.Dev || st.Mode&unix.S_IFMT != unix.S_IFREG:
		return checked{}, fmt.Errorf("%w: %s changed while being checked", ErrNotRegular, name)
	case st.Nlink != 1:
		return checked{}, fmt.Errorf("%w: %s has %d links", ErrNotRegular, name, st.Nlink)
	case st.Uid != uint32(r.uid):
		return checked{}, fmt.Errorf("%w: %s is owned by uid %d, not the download user %d", ErrNotRegular, name, st.Uid, r.uid)
	case exact >= 0 && st.Size != exact:
		return checked{}, fmt.Errorf("%w: %s is %d bytes, the list says %d", ErrWrongSize, name, st.Size, exact)
	case exact < 0 && (st.Size > max || st.Size == 0):
		return checked{}, fmt.Errorf("%w: %s is %d bytes (limit %d)", ErrWrongSize, name, st.Size, max)
	}
	return r.privateCopy(fd, name, st.Size)
}

// privateCopy copies exactly size bytes of the child's file into a new
// file this process creates (root's when root, mode 0644), hashing what it
// writes, and renames the copy over the child's file. A process that still
// holds the child's file open for writing (another process of a shared
// download user, or one the child left behind) can change neither the copy
// nor what was hashed, and appending to the original cannot stall the copy.
// The copy's descriptor is closed before returning: none is held per file.
func (r *runner) privateCopy(src int, name string, size int64) (checked, error) {
	tmpName := installPrefix + name
	_ = unix.Unlinkat(r.tmpfd, tmpName, 0) // planted by the child: never ours
	dst, err := unix.Openat(r.tmpfd, tmpName, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return checked{}, fmt.Errorf("creating the copy of %s: %w", name, err)
	}
	defer unix.Close(dst)
	fail := func(err error) (checked, error) {
		_ = unix.Unlinkat(r.tmpfd, tmpName, 0)
		return checked{}, err
	}
	if err := unix.Fchmod(dst, 0o644); err != nil {
		return fail(fmt.Errorf("chmod %s: %w", tmpName, err))
	}
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for off := int64(0); off < size; {
		n, err := unix.Pread(src, buf[:min(int64(len(buf)), size-off)], off)
		if err == nil && n == 0 {
			err = fmt.Errorf("%w: it shrank to %d bytes while being copied", ErrWrongSize, off)
		}
		if err != nil {
			return fail(fmt.Errorf("reading %s: %w", name, err))
		}
		if _, err := unix.Write(dst, buf[:n]); err != nil {
			return fail(fmt.Errorf("writing the copy of %s: %w", name, err))
		}
		h.Write(buf[:n])
		off += int64(n)
	}
	var st unix.Stat_t
	if err := unix.Fstat(dst, &st); err != nil {
		return fail(err)
	}
	if err := unix.Renameat(r.tmpfd, tmpName, r.tmpfd, name); err != nil {
		return fail(fmt.Errorf("replacing %s with its copy: %w", name, err))
	}
	return checked{ino: st.Ino, dev: st.Dev, sum: hex.EncodeToString(h.Sum(nil))}, nil
}

// finish checks, verifies and installs the finished files.
func (r *runner) finish(ctx context.Context, sess *session, childErr error) {
	type cand struct {
		i   int
		f   checked
		sig checked
	}
	var cands []cand
	r.res.Files = make([]FileResult, len(r.files))
	for i, f := range r.files {
		fr := &r.res.Files[i]
		*fr = FileResult{Name: f.Name, Size: f.Size, Signature: "unsigned", Resumed: r.resumed[i]}
		if f.Signed {
			fr.Signature = "unchecked"
		}
		ps := sess.parts[i]
		if ps[partFile].started {
			fr.Mirror = redactURL(r.urls[i][ps[partFile].mirror])
		}
		if !ps[partFile].done || (f.Signed && !ps[partSig].done) {
			fr.Status = statusFailed
			fr.Error = "not downloaded"
			if ps[partFile].failed {
				fr.Error = ps[partFile].fail
			} else if ps[partSig].failed {
				fr.Error = "signature: " + ps[partSig].fail
			} else if childErr != nil {
				fr.Error = "not downloaded: the downloader child stopped early"
			}
			continue
		}
		c, err := r.openFinished(f.Name, f.Size, 0)
		if err != nil {
			fr.Status, fr.Error = statusFailed, err.Error()
			_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
			continue
		}
		if c.sum != f.SHA256 {
			fr.Status, fr.Error = statusFailed, fmt.Sprintf("%v: got %s, the list says %s", ErrBadChecksum, c.sum, f.SHA256)
			_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
			continue
		}
		fr.SHA256 = c.sum
		cd := cand{i: i, f: c}
		if f.Signed {
			s, err := r.openFinished(f.Name+sigSuffix, -1, maxSigSize)
			if err != nil {
				fr.Status, fr.Error, fr.Signature = statusFailed, err.Error(), "bad"
				_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
				continue
			}
			cd.sig = s
		}
		cands = append(cands, cd)
	}
	// Signatures, in their own network-less sandboxed child.
	var want []verifyFile
	for _, c := range cands {
		if r.files[c.i].Signed {
			want = append(want, verifyFile{Index: uint16(c.i), Name: r.files[c.i].Name})
		}
	}
	good := map[int]bool{}
	if len(want) > 0 {
		results, err := r.verify(ctx, want)
		if err != nil {
			r.warn("signature check failed: %v", err)
		}
		for _, w := range want {
			m, ok := results[w.Index]
			fr := &r.res.Files[w.Index]
			switch {
			case ok && m.Code == 1:
				good[int(w.Index)] = true
				fr.Signature = "verified"
			case ok:
				fr.Signature, fr.Error = "bad", fmt.Sprintf("%v: %s", ErrBadSignature, m.Text)
			case ctx.Err() != nil:
				// Interrupted: the checked copy goes back to the cache
				// as NAME.part (salvage), and the next run checks it
				// again without a transfer.
				fr.Status, fr.Signature, fr.Error = statusInterrupted, "unchecked", "interrupted during the signature check; kept for a resume"
			default:
				fr.Signature, fr.Error = "unchecked", "signature not checked"
				if err != nil {
					fr.Error += ": " + err.Error()
				}
			}
		}
	}

	for _, c := range cands {
		f := r.files[c.i]
		fr := &r.res.Files[c.i]
		if f.Signed && !good[c.i] {
			if fr.Status == statusInterrupted {
				continue
			}
			fr.Status = statusFailed
			_ = unix.Unlinkat(r.tmpfd, f.Name, 0)
			_ = unix.Unlinkat(r.tmpfd, f.Name+sigSuffix, 0)
			continue
		}
		if err := r.install(f.Name, c.f); err != nil {
			fr.Status, fr.Error = statusFailed, err.Error()
			continue
		}
		if f.Signed {
			if err := r.install(f.Name+sigSuffix, c.sig); err != nil {
				fr.Status, fr.Error = statusFailed, err.Error()
				continue
			}
		}
		fr.Status = statusOK
		fr.Path = filepath.Join(r.cache, f.Name)
		// A stale partial of the same name is now pointless.
		_ = unix.Unlinkat(r.cachefd, f.Name+partSuffix, 0)
	}
	_ = unix.Fsync(r.cachefd)
}

// install renames a checked file from the temp dir into the cache (same
// file system: atomic) and confirms the cache entry is the checked inode.
func (r *runner) install(name string, c checked) error {
	if err := unix.Renameat(r.tmpfd, name, r.cachefd, name); err != nil {
		return fmt.Errorf("moving %s into the cache: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(r.cachefd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil || st.Ino != c.ino || st.Dev != c.dev {
		_ = unix.Unlinkat(r.cachefd, name, 0)
		return fmt.Errorf("%w: %s changed during the move", ErrNotRegular, name)
	}
	return nil
}

// verify runs the signature child.
func (r *runner) verify(ctx context.Context, files []verifyFile) (map[uint16]Message, error) {
	job := verifyJob{childJob: r.childJob(), PublicKey: r.pubKey, Files: files}
	idx := make([]uint16, len(files))
	for i, f := range files {
		idx[i] = f.Index
	}
	child, err := r.spawn(cmp.Or(r.opts.verifyRole, roleVerify), job)
	if err != nil {
		return nil, err
	}
	sess := newSession(kindVerify, r.sessFiles(), false, idx)
	// Checking one file reads it once: allow 8 MiB/s for the largest.
	var largest int64
	for _, f := range files {
		largest = max(largest, r.files[f.Index].Size)
	}
	idle := 30*time.Second + time.Duration(largest>>23)*time.Second
	if err := child.run(ctx, sess, idle, func(m Message) {
		if m.Type == msgReady {
			rep := sess.report
			r.res.Verifier = &rep
		}
	}); err != nil {
		return nil, err
	}
	if sess.fatal != nil {
		return sess.verify, fmt.Errorf("%w: verifier: %s", ErrChild, sess.fatal.Text)
	}
	if err := child.exitError("verifier"); err != nil {
		if tail := child.stderrTail(); tail != "" {
			err = fmt.Errorf("%w\nchild stderr:\n%s", err, tail)
		}
		return sess.verify, err
	}
	return sess.verify, nil
}
