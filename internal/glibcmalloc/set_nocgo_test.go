//go:build !cgo && linux

package glibcmalloc_test

import (
	"testing"

	"github.com/pledgekit/pledgekit/internal/glibcmalloc"
)

func TestSet(t *testing.T) {
	if glibcmalloc.Set() {
		t.Fatal("without cgo there is no glibc malloc to configure, but Set says it was set")
	}
}
