//go:build !cgo || !linux || pledgekit_nomallopt

package glibcmalloc

// Set reports whether this package set glibc's arena limit: never without
// cgo, off Linux, or with the build tag pledgekit_nomallopt.
func Set() bool { return false }
