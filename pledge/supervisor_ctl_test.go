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

// Whatever the pledged process writes, in whatever pieces, the buffer
// stays bounded and every line of at most maxCtlLine bytes arrives whole
// and in order; longer lines are dropped.
func FuzzCtlReaderAdd(f *testing.F) {
	f.Add([]byte("P\nI\nS stdio rpath\n"), uint8(3))
	f.Add([]byte(strings.Repeat("x", 5000)+"\nS stdio\n"), uint8(200))
	f.Add([]byte(strings.Repeat("x", 4000)+strings.Repeat("y", 200)+"\nI\n"), uint8(255)) // the newline arrives past the bound
	f.Add([]byte(strings.Repeat("z", 4096)+"\n"), uint8(7))                               // exactly the bound
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		n := int(chunk)%256 + 1
		c := &ctlReader{}
		var got []string
		for i := 0; i < len(data); i += n {
			c.add(data[i:min(i+n, len(data))])
			if len(c.buf) > maxCtlLine+n {
				t.Fatalf("buffer %d bytes", len(c.buf))
			}
			for {
				j := strings.IndexByte(string(c.buf), '\n')
				if j < 0 {
					break
				}
				got = append(got, string(c.buf[:j]))
				c.buf = c.buf[j+1:]
			}
		}
		var want []string
		lines := strings.Split(string(data), "\n")
		for _, l := range lines[:len(lines)-1] { // the last has no newline yet
			if len(l) <= maxCtlLine {
				want = append(want, l)
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(got) != len(want) {
			t.Fatalf("lines %q, want %q", got, want)
		}
	})
}
