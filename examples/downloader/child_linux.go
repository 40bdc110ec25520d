package main

import (
	"fmt"
	"os"
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
