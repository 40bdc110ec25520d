package main

import (
	"fmt"
	"os"
	"strings"
)

// childPipe opens the message pipe (fd 3) the parent gives each child role
// and returns its encoder and a fatal function that reports err to the
// parent and gives the child's exit code. ok is false when the role was
// started without the pipe (not by the parent); the message says so.
func childPipe(role string) (enc *Encoder, fatal func(code uint8, err error) int, ok bool) {
	out := os.NewFile(3, "messages")
	if out == nil {
		fmt.Fprintf(os.Stderr, "%s: fd 3 (message pipe) is missing; this role is started by the parent only\n", role)
		return nil, nil, false
	}
	enc = NewEncoder(out)
	fatal = func(code uint8, err error) int {
		_ = enc.Send(Message{Type: msgFatal, Code: code, Text: err.Error()})
		return exitChildFatal
	}
	return enc, fatal, true
}

// enterRole is what every child role does first, in this order: set
// no_new_privs, switch to the download user (and verify it), die with the
// parent, and tell the parent who it now is (hello). On an error, code is
// the class to report it with.
func enterRole(job *childJob, enc *Encoder) (id identity, code uint8, err error) {
	if err := setNoNewPrivs(); err != nil {
		return id, codeSandbox, err
	}
	if id, err = becomeUser(job.Switch, job.UID, job.GID); err != nil {
		return id, codePrivDrop, err
	}
	if err := dieWithParent(job.ParentPID); err != nil {
		return id, codeSetup, err
	}
	id.noNewPrivs = noNewPrivsSet()
	hello := Message{Type: msgHello, UID: id.uid, GID: id.gid, Groups: id.groups, PID: uint32(os.Getpid()), Flags: id.flags()}
	if job.Sandbox.Disable {
		hello.Flags |= helloSandboxOff
	}
	return id, codeSetup, enc.Send(hello)
}

// confine applies a child role's sandbox, sends the parent its report,
// refuses to go on to doing its work when --require-sandbox finds a
// protection missing, and says ready. On an error, code is the class to
// report it with.
func confine(job *childJob, enc *Encoder, p sandboxPolicy, doing string) (code uint8, err error) {
	rep, err := applySandbox(p)
	if err != nil {
		return codeSandbox, fmt.Errorf("applying the sandbox: %w", err)
	}
	if err := sendReport(enc, rep); err != nil {
		return codeSetup, err
	}
	if job.Sandbox.Require {
		if why := sandboxFailures(rep); len(why) > 0 {
			return codeSandbox, fmt.Errorf("--require-sandbox: refusing to %s: %s", doing, strings.Join(why, "; "))
		}
	}
	return codeSetup, enc.Send(Message{Type: msgReady})
}
