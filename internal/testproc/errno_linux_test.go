package testproc_test

import (
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/pledgekit/pledgekit/internal/testproc"
)

func TestErrnoName(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "success"},
		{syscall.EACCES, "EACCES"},
		{fmt.Errorf("open /x: %w", syscall.EPERM), "EPERM"},
		{errors.New("no errno here"), "no errno here"},
	} {
		if got := testproc.ErrnoName(c.err); got != c.want {
			t.Errorf("ErrnoName(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
