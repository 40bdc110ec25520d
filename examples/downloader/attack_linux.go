package main

// The --demo-attack hook: a simulated compromise of the downloader child.
//
// It is compiled in, but reachable only when the parent put an attackJob
// into the child's job (the parent does that only for --demo-attack), and
// it fires only when a mirror's response carries attackHeader. It then
// behaves like exploit code that has taken over the child after the
// sandbox was applied, and reports the outcome of each attempt to the
// parent, which prints them and checks that the parent is intact.

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// attackExitCode is what /bin/sh exits with if the exec attempt succeeds,
// so the parent can tell even though the child is gone.
const attackExitCode = 42

func (f *fetcher) simulateCompromise(victim string) (planted bool) {
	a := f.job.Attack
	send := func(id int, err error, success string) {
		m := Message{Type: msgAttack, Code: uint8(id)}
		if err == nil {
			m.Status, m.Text = attackSucceeded, success
		} else {
			m.Status, m.Text = attackDenied, err.Error()
			var e syscall.Errno
			if errors.As(err, &e) {
				m.Errno = uint32(e)
			}
		}
		_ = f.enc.Send(m)
	}

	// 1. Write outside the download directory (next to the cache).
	fd, err := unix.Open(a.Outside, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err == nil {
		_, _ = unix.Write(fd, []byte("written by a compromised downloader\n"))
		unix.Close(fd)
	}
	send(attackWriteOutside, wrapPath("open", a.Outside, err), "created "+a.Outside)

	// 2. Read the secret (world-readable on purpose: only the sandbox
	// stands in the way, not file permissions).
	fd, err = unix.Open(a.Secret, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	var n int
	if err == nil {
		buf := make([]byte, 256)
		n, _ = unix.Read(fd, buf)
		unix.Close(fd)
	}
	send(attackReadSecret, wrapPath("open", a.Secret, err), fmt.Sprintf("read %d bytes of %s", n, a.Secret))

	// 3. Connect to a listening port that is not a mirror.
	sfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err == nil {
		err = unix.Connect(sfd, &unix.SockaddrInet4{Port: int(a.ForbiddenPort), Addr: [4]byte{127, 0, 0, 1}})
		unix.Close(sfd)
		if err != nil {
			err = fmt.Errorf("connect 127.0.0.1:%d: %w", a.ForbiddenPort, err)
		}
	} else {
		err = fmt.Errorf("socket: %w", err)
	}
	send(attackConnectPort, err, fmt.Sprintf("connected to 127.0.0.1:%d", a.ForbiddenPort))

	// 4. Signal the privileged parent.
	err = unix.Kill(f.job.ParentPID, unix.SIGTERM)
	if err != nil {
		err = fmt.Errorf("kill(%d, SIGTERM): %w", f.job.ParentPID, err)
	}
	send(attackSignalParent, err, fmt.Sprintf("sent SIGTERM to pid %d", f.job.ParentPID))

	// 5. Regain root. A raw single-thread syscall: what exploit code would
	// do, and it avoids libc's all-thread setxid machinery.
	_, _, e := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0)
	err = nil
	if e != 0 {
		err = fmt.Errorf("setuid(0): %w", e)
	}
	send(attackRegainRoot, err, "setuid(0) succeeded")

	// 6. Fill the disk at once (the kernel caps every file the child
	// writes at the largest listed size: RLIMIT_FSIZE).
	fd, err = unix.Openat(f.dirfd, "fill", unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err == nil {
		err = unix.Fallocate(fd, 0, 0, 2<<30)
		unix.Close(fd)
		_ = unix.Unlinkat(f.dirfd, "fill", 0)
		if err != nil {
			err = fmt.Errorf("fallocate 2 GiB: %w", err)
		}
	} else {
		err = fmt.Errorf("open fill: %w", err)
	}
	send(attackFillDisk, err, "allocated 2 GiB")

	// 7. Plant a symlink to the secret under the name of a download and
	// claim it is finished: only the parent's checks can stop this one.
	err = unix.Symlinkat(a.Secret, f.dirfd, victim)
	planted = err == nil
	if err != nil {
		send(attackPlantSymlink, fmt.Errorf("symlink %s: %w", victim, err), "")
	} else {
		_ = f.enc.Send(Message{Type: msgAttack, Code: attackPlantSymlink, Status: attackPlanted,
			Text: fmt.Sprintf("planted %s -> %s, to be claimed as downloaded", victim, a.Secret)})
	}

	// 8. Execute a shell. It comes last because on success the process is
	// replaced (and exits with attackExitCode, which the parent recognises).
	err = syscall.Exec("/bin/sh", []string{"sh", "-c", fmt.Sprintf("exit %d", attackExitCode)}, nil)
	send(attackExecShell, wrapPath("execve", "/bin/sh", err), "executed /bin/sh")

	return planted
}

func wrapPath(op, path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}
