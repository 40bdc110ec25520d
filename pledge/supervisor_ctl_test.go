//go:build linux

package pledge

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A pledged process that writes to its control pipe without a newline
// must not grow the unfiltered supervisor's memory without bound; lines
// after the overlong one still arrive (issue #13 item 7).
func TestCtlReaderBounded(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	c := &ctlReader{fd: p[0]}
	junk := []byte(strings.Repeat("x", 1000))
	peak := 0
	for i := 0; i < 2000; i++ { // 2 MB without a newline
		for {
			if _, err := unix.Write(p[1], junk); err == nil {
				break
			}
			// The pipe is full: let the reader drain it.
			if _, ok := c.next(0); ok {
				t.Fatal("a line appeared in data without a newline")
			}
			peak = max(peak, cap(c.buf))
		}
	}
	unix.Write(p[1], []byte("\nS stdio\n"))
	unix.Close(p[1])
	line, ok := c.next(-1)
	if !ok || line != "S stdio" {
		t.Fatalf("after the overlong line: %q %v, want \"S stdio\"", line, ok)
	}
	if peak > 2*maxCtlLine {
		t.Fatalf("buffer grew to %d bytes (bound %d)", peak, maxCtlLine)
	}
	// Lines below the bound pass whole.
	ok2 := &ctlReader{}
	ok2.add([]byte("S stdio rpath\nI\n"))
	if string(ok2.buf) != "S stdio rpath\nI\n" || ok2.skipping {
		t.Fatalf("short lines: %q", ok2.buf)
	}
}
