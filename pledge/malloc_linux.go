package pledge

// A cgo program has glibc's malloc, which opens a file to count CPUs the
// first time the process grows past eight arenas; after a pledge without
// "rpath" that would kill the program. internal/glibcmalloc sets the limit
// at start-up so glibc never needs to (see its documentation).
import _ "github.com/pledgekit/pledgekit/internal/glibcmalloc"
