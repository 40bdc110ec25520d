//go:build linux

package main

import (
	"strings"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
)

func TestHello(t *testing.T) {
	r := testproc.Run(t, "main", main)
	if !r.Signaled(syscall.SIGKILL) {
		t.Fatalf("want the process killed, got %s", r)
	}
	for _, want := range []string{"read /etc/hostname: ", "err=<nil>", "goroutine 0 ran", "goroutine 2 ran", "dialing example.org:80"} {
		if !strings.Contains(r.Stdout, want) {
			t.Fatalf("stdout lacks %q\n%s", want, r)
		}
	}
	if strings.Contains(r.Stdout, "not reached") {
		t.Fatalf("the dial was not stopped\n%s", r)
	}
	if !strings.Contains(r.Stderr, "pledge: denied socket(") || !strings.Contains(r.Stderr, `needs promise "inet"`) {
		t.Fatalf("no violation message\n%s", r)
	}
	if n := strings.Count(r.Stderr, "pledge: denied"); n != 1 {
		t.Fatalf("the violation is reported %d times, want once\n%s", n, r)
	}
}
