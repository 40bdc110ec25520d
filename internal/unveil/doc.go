// Package unveil implements package github.com/pledgekit/pledgekit/unveil,
// whose documentation is the reference: that package's types are aliases
// of these, and its functions call these. It is internal so that the
// unveil command can share it without linking libpsx (and so cgo), which
// the public package links through internal/allthreads; see
// docs/DESIGN.md, "The command links no cgo".
package unveil
