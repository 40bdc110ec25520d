package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// verifyMain is the signature checker: a second child with no network at
// all. no_new_privs → user switch → Landlock (read-only: the download
// directory; no TCP port) → seccomp "stdio rpath" (no sockets) → verify.
// The public key comes in the job, so no key file needs to be readable.
func verifyMain() int {
	enc, fatal, ok := childPipe("verifier child")
	if !ok {
		return exitChildFatal
	}
	var job verifyJob
	if err := readJob(os.Stdin, &job); err != nil {
		return fatal(codeSetup, err)
	}
	for _, f := range job.Files {
		if err := ValidateName(f.Name); err != nil {
			return fatal(codeSetup, err)
		}
	}
	if _, code, err := enterRole(&job.childJob, enc); err != nil {
		return fatal(code, err)
	}
	dirfd, err := unix.Open(job.Dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fatal(codeSetup, fmt.Errorf("opening %s: %w", job.Dir, err))
	}
	defer unix.Close(dirfd)
	policy := sandboxPolicy{
		ReadOnly:     []string{job.Dir},
		NoNetwork:    true,
		Promises:     "stdio rpath",
		ErrnoPenalty: job.Penalty == "errno",
		sandboxOpts:  job.Sandbox,
	}
	if code, err := confine(&job.childJob, enc, policy, "verify"); err != nil {
		return fatal(code, err)
	}
	for _, f := range job.Files {
		m := Message{Type: msgVerify, Index: f.Index, Code: 1, Text: "good signature"}
		if err := verifyAt(dirfd, f.Name, job.PublicKey); err != nil {
			m.Code, m.Text = 0, err.Error()
		}
		if err := enc.Send(m); err != nil {
			return exitChildFatal
		}
	}
	_ = enc.Send(Message{Type: msgBye})
	return 0
}

func verifyAt(dirfd int, name string, pub []byte) error {
	sig, err := readSmall(dirfd, name+sigSuffix, signatureSize)
	if err != nil {
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	if err := VerifyFile(pub, f, sig); err != nil {
		return fmt.Errorf("bad signature for %s: %w", name, err)
	}
	return nil
}

// readSmall reads a regular file of at most max bytes (the .sig).
func readSmall(dirfd int, name string, max int) ([]byte, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) != max {
		return nil, fmt.Errorf("%s is %d bytes, want %d", name, len(b), max)
	}
	return b, nil
}
