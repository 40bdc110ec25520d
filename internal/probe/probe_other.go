//go:build !linux

package probe

import (
	"fmt"
	"runtime"
)

func fresh() *Result {
	err := fmt.Errorf("%w (this is %s)", ErrUnsupportedOS, runtime.GOOS)
	return &Result{
		OS:             runtime.GOOS,
		Arch:           runtime.GOARCH,
		Cgo:            cgoEnabled,
		SeccompErr:     err,
		LandlockErr:    err,
		SeccompFlags:   map[string]bool{},
		SeccompActions: map[string]bool{},
		SeccompFilters: -1,
	}
}

func freshSeccomp() *Result { return fresh() }
