//go:build cgo

package probe

// cgoEnabled is true in builds with cgo (CGO_ENABLED=1).
const cgoEnabled = true
