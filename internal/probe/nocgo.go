//go:build !cgo

package probe

// cgoEnabled is false in builds without cgo (CGO_ENABLED=0).
const cgoEnabled = false
