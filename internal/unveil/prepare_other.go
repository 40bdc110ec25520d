//go:build !linux

package unveil

// prepared is Linux's (see prepare_linux.go).
type prepared struct{}
