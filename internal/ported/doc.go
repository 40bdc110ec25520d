// Package ported holds tests only: real OpenBSD Go programs' pledge and
// unveil sequences, run on Linux under pledgekit (issue #15's portability
// requirement).
//
// Each scenario follows one program at one version: its promise,
// execpromises and unveil strings unchanged and in the program's order
// (the comment above each test names the program, the version and the
// file the strings come from), then the kind of work the program does at
// that point: reading its configuration, listening and dialing on
// loopback, writing temporary files, executing a child, logging. No code
// of those programs is copied here; the sequences are reproduced with the
// standard library and go-landlock, which the programs use too.
//
// Every scenario runs in a fresh process (internal/testproc). A scenario
// that needs a program started by the pledged one executes the test binary
// again (selfCommand), as the programs start their helpers and daemons.
package ported
