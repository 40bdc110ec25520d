package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/probe"
)

// Tests for what the confined program must not be able to do to unveil
// itself: write to the user's terminal through unveil's messages, fill
// unveil's memory (issue #13).

// needSupervisor skips where the supervised mode cannot run.
func needSupervisor(t *testing.T) {
	t.Helper()
	r := probe.Get()
	if !r.Seccomp || !r.SeccompFlags[probe.FlagNewListener] || !r.SeccompActions[probe.ActionUserNotif] {
		t.Skip("this kernel lacks seccomp user notification")
	}
}

// TestMessagesEscaped: a program named with terminal escape sequences and a
// newline, asking for a path that holds some too, gets its denial printed
// with every such character replaced; no line of unveil's output is one the
// program wrote.
func TestMessagesEscaped(t *testing.T) {
	needSupervisor(t)
	sh := need(t, "sh")
	dir := t.TempDir()
	// The command name (comm) is the file name, cut to 15 bytes.
	evil := filepath.Join(dir, "\x1b[2J\x07\nunveil: x")
	b, err := os.ReadFile(sh)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(evil, b, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "out\x1b]0;title\x07\nunveil: forged")
	r := unveil(t, "-p", "stdio rpath", "-v", "r:"+dir, "--", evil, "-c", `exec 2>/dev/null; echo x > "$1"`, "sh", target)
	if r.code == 0 {
		t.Fatalf("the write was allowed: %v", r)
	}
	if strings.ContainsAny(r.stderr, "\x1b\x07\r") {
		t.Errorf("unveil printed control characters: %q", r.stderr)
	}
	found := false
	for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		if strings.HasPrefix(line, "unveil: x") || strings.Contains(line, "unveil: forged") && !strings.Contains(line, "denied") {
			t.Errorf("a line of the program's making: %q", line)
		}
		if strings.Contains(line, "denied") && strings.Contains(line, "?[2J??unveil: x[") {
			found = true
		}
	}
	if !found {
		t.Errorf("no denial naming the program with its name escaped: %q", r.stderr)
	}
	if _, err := os.Stat(target); err == nil {
		t.Errorf("%q was created", target)
	}
}

// TestMessagesBounded: the messages unveil remembers (to print each once)
// are bounded; past the bound it counts them and says how many it left
// out.
func TestMessagesBounded(t *testing.T) {
	var out bytes.Buffer
	e := &enforcer{p: &plan{}, out: &out, seen: map[string]bool{}}
	for i := 0; i < maxSeen+10; i++ {
		key := fmt.Sprintf("openat/path/%d", i)
		e.say(key, "denied %d", i)
		e.say(key, "denied %d again", i) // printed once
	}
	if len(e.seen) != maxSeen {
		t.Errorf("remembered %d messages, want at most %d", len(e.seen), maxSeen)
	}
	if n := strings.Count(out.String(), "\n"); n != maxSeen {
		t.Errorf("printed %d lines, want %d", n, maxSeen)
	}
	out.Reset()
	e.summary()
	if want := fmt.Sprintf("unveil: 20 more denials not shown (only the first %d different messages are printed)\n", maxSeen); out.String() != want {
		t.Errorf("summary %q, want %q", out.String(), want)
	}
	// (each of the 10 keys past the bound was denied twice.)
	// Nothing left out, nothing said.
	out.Reset()
	e = &enforcer{p: &plan{}, out: &out, seen: map[string]bool{}}
	e.say("k", "one")
	e.summary()
	if out.String() != "unveil: one\n" {
		t.Errorf("got %q", out.String())
	}
}
