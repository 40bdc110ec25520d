package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/report"
)

// fetchMain is the unprivileged downloader. Its order of steps is the
// point of the example:
//
//	job from stdin → no_new_privs → user switch + verify → load CA roots,
//	open the download dir → Landlock → seccomp (pledge) → report →
//	network → messages over fd 3 → exit
//
// Nothing from the network is read before the last sandbox step.
func fetchMain() int {
	enc, fatal, ok := childPipe("downloader child")
	if !ok {
		return exitChildFatal
	}
	var job fetchJob
	if err := readJob(os.Stdin, &job); err != nil {
		return fatal(codeSetup, err)
	}
	for _, f := range job.Files {
		if err := ValidateName(f.Name); err != nil {
			return fatal(codeSetup, err)
		}
	}
	if len(job.Files) > maxFiles || job.Parallel < 1 {
		return fatal(codeSetup, errors.New("bad job: file count or parallelism out of range"))
	}
	// Signals: stop cleanly (partial files stay for a resume).
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	if err := capFileSize(&job); err != nil {
		return fatal(codeSetup, err)
	}
	id, code, err := enterRole(&job.childJob, enc)
	if err != nil {
		return fatal(code, err)
	}

	// Everything that reads system files lazily is loaded now, before
	// Landlock: the CA roots and the download directory.
	pool, err := rootPool(job.CAPEM)
	if err != nil {
		return fatal(codeSetup, err)
	}
	dirfd, err := openDownloadDir(job.Dir, id.uid)
	if err != nil {
		return fatal(codeSetup, err)
	}
	defer unix.Close(dirfd)

	if code, err := confine(&job.childJob, enc, fetchPolicy(&job), "download"); err != nil {
		return fatal(code, err)
	}

	f := newFetcher(&job, enc, dirfd, pool)
	f.run(ctx)
	if ctx.Err() != nil {
		_ = enc.Send(Message{Type: msgFatal, Code: codeInterrupted, Text: "interrupted by a signal; partial files kept for resume"})
		return exitChildFatal
	}
	_ = enc.Send(Message{Type: msgBye})
	return 0
}

// fetchPolicy is the downloader child's sandbox.
func fetchPolicy(job *fetchJob) sandboxPolicy {
	return sandboxPolicy{
		ReadOnly:     job.ReadOnly,
		ReadWrite:    []string{job.Dir},
		ConnectTCP:   job.Ports,
		ConnectUDP:   job.UDPPorts,
		Promises:     "stdio rpath wpath cpath inet dns",
		ErrnoPenalty: job.Penalty == "errno",
		sandboxOpts:  job.Sandbox,
	}
}

// capFileSize makes the kernel refuse (EFBIG) any write or fallocate past
// the largest size the list allows, in every file the child writes: the
// parent's size checks come only after the child is done. Soft and hard
// limit: without CAP_SYS_RESOURCE the child cannot raise it again. The
// number of files is not capped (no kernel limit short of disk quotas).
func capFileSize(job *fetchJob) error {
	limit := uint64(maxSigSize)
	for _, f := range job.Files {
		limit = max(limit, uint64(f.Size))
	}
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: limit, Max: limit}); err != nil {
		return fmt.Errorf("setrlimit(RLIMIT_FSIZE, %d): %w", limit, err)
	}
	return nil
}

func sendReport(enc *Encoder, rep *report.Report) error {
	for _, m := range reportMessages(rep) {
		if err := enc.Send(m); err != nil {
			return err
		}
	}
	return nil
}

// reportMessages encodes a report as a header and one message per item
// (at most maxReportItems).
func reportMessages(rep *report.Report) []Message {
	h := Message{Type: msgReportHeader, ABI: uint8(min(max(rep.LandlockABI, 0), 255)), Arch: rep.Arch, Kernel: rep.Kernel}
	if rep.Seccomp {
		h.Flags |= repSeccomp
	}
	if rep.Landlock {
		h.Flags |= repLandlock
	}
	if rep.NoNewPrivs {
		h.Flags |= repNoNewPrivs
	}
	out := []Message{h}
	for i, it := range rep.Items {
		if i == maxReportItems {
			break
		}
		out = append(out, Message{Type: msgReportItem, Status: statusCode(it.Status), Layer: string(it.Layer), What: it.What, Reason: it.Reason, Detail: it.Detail})
	}
	return out
}

func rootPool(caPEM []byte) (*x509.CertPool, error) {
	if len(caPEM) > 0 {
		p := x509.NewCertPool()
		if !p.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("--ca: no PEM certificates found")
		}
		return p, nil
	}
	p, err := x509.SystemCertPool()
	if err != nil {
		return nil, fmt.Errorf("loading the system CA certificates: %w", err)
	}
	return p, nil
}

// openDownloadDir opens the temporary directory and checks that it is a
// real directory owned by us and private to us.
func openDownloadDir(dir string, uid uint32) (int, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("opening the download directory %s as uid %d: %w (the download user needs search permission on every directory above the cache)", dir, uid, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("fstat %s: %w", dir, err)
	}
	if st.Uid != uid || st.Mode&0o077 != 0 {
		unix.Close(fd)
		return -1, fmt.Errorf("download directory %s is owned by uid %d with mode %o; want uid %d, mode 0700", dir, st.Uid, st.Mode&0o7777, uid)
	}
	return fd, nil
}

type fetcher struct {
	job      *fetchJob
	enc      *Encoder
	dirfd    int
	client   *http.Client
	attacked sync.Once
}

func newFetcher(job *fetchJob, enc *Encoder, dirfd int, pool *x509.CertPool) *fetcher {
	allowed := make(map[string]bool, len(job.Endpoints))
	for _, e := range job.Endpoints {
		allowed[e] = true
	}
	resolver := &net.Resolver{PreferGo: true}
	dialer := &net.Dialer{Timeout: job.ConnectTimeout, Resolver: resolver}
	tr := &http.Transport{
		Proxy:                  nil, // the environment is not trusted and is cleared anyway
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    job.ConnectTimeout,
		ResponseHeaderTimeout:  job.HeaderTimeout,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     true, // exact bytes, no decompression bombs
		ForceAttemptHTTP2:      true,
		MaxIdleConnsPerHost:    job.Parallel,
		IdleConnTimeout:        30 * time.Second,
	}
	client := &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			u := req.URL
			if u.Scheme != "https" && u.Scheme != "http" {
				return fmt.Errorf("redirect to the %q scheme refused", u.Scheme)
			}
			if via[0].URL.Scheme == "https" && u.Scheme != "https" {
				return fmt.Errorf("redirect from https to %s refused (downgrade)", u.Scheme)
			}
			if !allowed[endpoint(u)] {
				return fmt.Errorf("redirect to %s refused: not one of the mirrors", endpoint(u))
			}
			return nil
		},
	}
	return &fetcher{job: job, enc: enc, dirfd: dirfd, client: client}
}

// endpoint is scheme://host:port, the unit redirects are checked against.
func endpoint(u *url.URL) string {
	p, _ := urlPort(u)
	return u.Scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), strconv.Itoa(int(p)))
}

func (f *fetcher) run(ctx context.Context) {
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(f.job.Parallel, len(f.job.Files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f.fetchFile(ctx, i)
			}
		}()
	}
	for i := range f.job.Files {
		select {
		case work <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
}

func (f *fetcher) fetchFile(ctx context.Context, i int) {
	if !f.fetchPart(ctx, i, partFile) {
		return
	}
	if f.job.Files[i].Signed {
		f.fetchPart(ctx, i, partSig)
	}
}

func (f *fetcher) note(i int, part uint8, format string, args ...any) {
	_ = f.enc.Send(Message{Type: msgNote, Index: uint16(i), Part: part, Text: fmt.Sprintf(format, args...)})
}

// fetchPart tries each URL in turn until one delivers the part.
func (f *fetcher) fetchPart(ctx context.Context, i int, part uint8) bool {
	jf := &f.job.Files[i]
	var last *fetchError
	// Bytes one mirror wrote in this run are never continued on another:
	// a mirror with an older, shorter file or garbage before a dropped
	// connection would otherwise break the file on every mirror after it.
	// A partial of an earlier run still resumes (its hash is checked).
	wrote := false
	for mi, raw := range jf.URLs {
		if ctx.Err() != nil {
			return false
		}
		if part == partSig {
			raw = sigURL(raw)
		}
		err := f.attempt(ctx, i, part, mi, raw, &wrote)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		var fe *fetchError
		if !errors.As(err, &fe) {
			fe = &fetchError{code: codeOther, err: err}
		}
		last = fe
		if mi+1 < len(jf.URLs) {
			f.note(i, part, "%s: %v; trying the next mirror", redactURL(raw), fe.err)
		}
	}
	msg := "no URLs"
	code := uint8(codeOther)
	if last != nil {
		msg, code = last.err.Error(), last.code
	}
	_ = f.enc.Send(Message{Type: msgFail, Index: uint16(i), Part: part, Code: code, Text: msg})
	return false
}

func sigURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw + sigSuffix
	}
	u.Path += sigSuffix
	u.RawPath = ""
	return u.String()
}

// redactURL drops the query (it may carry tokens) for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(bad url)"
	}
	u.RawQuery = ""
	return u.String()
}

type fetchError struct {
	code uint8
	err  error
}

func (e *fetchError) Error() string { return e.err.Error() }
func (e *fetchError) Unwrap() error { return e.err }

func ferr(code uint8, format string, args ...any) error {
	return &fetchError{code: code, err: fmt.Errorf(format, args...)}
}

var errStalled = errors.New("transfer stalled")

// attempt downloads one part from one URL into <name>.part, resuming what
// is there (from 0 when *wrote: another mirror wrote it in this run), and
// renames it to <name> when complete. It sets *wrote once it writes.
func (f *fetcher) attempt(ctx context.Context, i int, part uint8, mirror int, raw string, wrote *bool) error {
	jf := &f.job.Files[i]
	name := jf.Name
	limit := jf.Size
	var total uint64 = uint64(jf.Size)
	if part == partSig {
		name += sigSuffix
		limit = maxSigSize
		total = 0
	}
	partName := name + partSuffix
	fd, err := unix.Openat(f.dirfd, partName, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0o644)
	if err != nil {
		return ferr(codeOther, "opening %s: %w", partName, err)
	}
	file := os.NewFile(uintptr(fd), partName)
	defer file.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return ferr(codeOther, "fstat %s: %w", partName, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Nlink != 1 {
		return ferr(codeOther, "%s is not a plain file (mode %o, %d links)", partName, st.Mode, st.Nlink)
	}
	offset := st.Size
	if offset > limit || (part == partSig && offset > 0) || *wrote {
		// Over-long leftovers are garbage; signatures are tiny, refetch;
		// another mirror's bytes of this run are not trusted to continue.
		if err := file.Truncate(0); err != nil {
			return ferr(codeOther, "truncating %s: %w", partName, err)
		}
		offset = 0
	}
	if err := f.enc.Send(Message{Type: msgStart, Index: uint16(i), Part: part, Mirror: uint8(mirror), Offset: uint64(offset), Total: total}); err != nil {
		return err
	}
	if part == partFile && offset == limit && limit > 0 {
		// A complete partial from an interrupted run: finalize it; the
		// parent checks the hash like for any other download.
		return f.finish(i, part, partName, name, offset)
	}

	if f.job.FileTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.job.FileTimeout)
		defer cancel()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return ferr(codeOther, "bad url: %w", err)
	}
	req.Header.Set("User-Agent", "pledgekit-downloader/1")
	req.Header.Set("Accept-Encoding", "identity")
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := f.client.Do(req)
	if err != nil {
		if c := context.Cause(ctx); c != nil && c != context.Canceled {
			err = c
		}
		return ferr(codeNetwork, "%w", unwrapURLError(err))
	}
	defer resp.Body.Close()

	if f.job.Attack != nil && resp.Header.Get(attackHeader) == "1" {
		var planted bool
		f.attacked.Do(func() { planted = f.simulateCompromise(name) })
		if planted {
			return f.enc.Send(Message{Type: msgDone, Index: uint16(i), Part: part, Offset: uint64(limit)})
		}
	}

	switch resp.StatusCode {
	case http.StatusOK:
		if offset > 0 {
			f.note(i, part, "%s ignored the range request; restarting from 0", redactURL(raw))
			if err := file.Truncate(0); err != nil {
				return ferr(codeOther, "truncating %s: %w", partName, err)
			}
			offset = 0
			_ = f.enc.Send(Message{Type: msgStart, Index: uint16(i), Part: part, Mirror: uint8(mirror), Offset: 0, Total: total})
		}
	case http.StatusPartialContent:
		if offset == 0 {
			return ferr(codeRange, "206 Partial Content for a request without a range")
		}
		if err := checkContentRange(resp.Header.Get("Content-Range"), offset, part == partFile, limit); err != nil {
			return ferr(codeRange, "%w", err)
		}
	case http.StatusRequestedRangeNotSatisfiable:
		// Our partial does not fit this mirror's file; start over.
		_ = unix.Unlinkat(f.dirfd, partName, 0)
		return ferr(codeRange, "416 Range Not Satisfiable for bytes=%d-; partial discarded", offset)
	default:
		return ferr(codeHTTP, "HTTP %s", SanitizeText(resp.Status, 80))
	}
	if resp.ContentLength >= 0 && offset+resp.ContentLength > limit {
		_ = unix.Unlinkat(f.dirfd, partName, 0)
		return ferr(codeSize, "server announces %d bytes from offset %d; the file has only %d", resp.ContentLength, offset, limit)
	}
	if _, err := file.Seek(offset, io.SeekStart); err != nil {
		return ferr(codeOther, "seek: %w", err)
	}

	// Stall watchdog: fewer than lowSpeedBytes in a StallTimeout window
	// cancels the request (curl's low-speed limit, which pacman uses).
	var moved atomic.Int64
	if f.job.StallTimeout > 0 {
		done := make(chan struct{})
		defer close(done)
		go func() {
			t := time.NewTicker(f.job.StallTimeout)
			defer t.Stop()
			last := int64(0)
			for {
				select {
				case <-done:
					return
				case <-t.C:
					n := moved.Load()
					if n-last < lowSpeedBytes {
						cancel(fmt.Errorf("%w: under %d bytes in %v", errStalled, lowSpeedBytes, f.job.StallTimeout))
						return
					}
					last = n
				}
			}
		}()
	}

	buf := make([]byte, 64<<10)
	pos := offset
	lastSent := time.Now()
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if pos+int64(n) > limit {
				_ = unix.Unlinkat(f.dirfd, partName, 0)
				return ferr(codeSize, "server sent more than the expected %d bytes; partial discarded", limit)
			}
			*wrote = true
			if _, err := file.Write(buf[:n]); err != nil {
				return ferr(codeOther, "writing %s: %w", partName, err)
			}
			pos += int64(n)
			moved.Add(int64(n))
			if time.Since(lastSent) >= 100*time.Millisecond {
				lastSent = time.Now()
				_ = f.enc.Send(Message{Type: msgProgress, Index: uint16(i), Part: part, Offset: uint64(pos)})
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			if c := context.Cause(ctx); c != nil && c != context.Canceled {
				rerr = c
			}
			return ferr(codeNetwork, "after %d of %d bytes: %w", pos, limit, rerr)
		}
	}
	if part == partFile && pos != limit {
		return ferr(codeSize, "truncated: got %d of %d bytes (kept for resume)", pos, limit)
	}
	if part == partSig && pos == 0 {
		return ferr(codeSize, "empty signature")
	}
	return f.finish(i, part, partName, name, pos)
}

// lowSpeedBytes: less than this in a stall window counts as a stall.
const lowSpeedBytes = 1024

func (f *fetcher) finish(i int, part uint8, partName, name string, size int64) error {
	if err := unix.Renameat2(f.dirfd, partName, f.dirfd, name, unix.RENAME_NOREPLACE); err != nil {
		return ferr(codeOther, "renaming %s to %s: %w", partName, name, err)
	}
	return f.enc.Send(Message{Type: msgDone, Index: uint16(i), Part: part, Offset: uint64(size)})
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
