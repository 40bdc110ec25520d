package main

import (
	"fmt"
	"regexp"
	"strings"
)

// Cell is one kernel/architecture combination of the matrix.
type Cell struct {
	Arch       string // amd64, arm64
	Kernel     string // "host" or a Debian kernel series: "6.1", "6.12"
	NoLandlock bool   // booted with lsm= without landlock
}

// Name is the cell's stable name, e.g. "arm64/6.12-nolandlock".
func (c Cell) Name() string {
	n := c.Arch + "/" + c.Kernel
	if c.NoLandlock {
		n += "-nolandlock"
	}
	return n
}

// IsHost reports whether the cell runs on the host kernel, without QEMU.
func (c Cell) IsHost() bool { return c.Kernel == "host" }

// standardMatrix is what CI runs: the host kernel, the two Debian 12
// kernels (6.1: Landlock ABI 2, 6.12: ABI 6) and 6.12 with Landlock left
// out of lsm=, on amd64 and arm64.
func standardMatrix(hostArch string) []Cell {
	cells := []Cell{{Arch: hostArch, Kernel: "host"}}
	for _, a := range []string{"amd64", "arm64"} {
		cells = append(cells,
			Cell{Arch: a, Kernel: "6.12"},
			Cell{Arch: a, Kernel: "6.1"},
			Cell{Arch: a, Kernel: "6.12", NoLandlock: true},
		)
	}
	return cells
}

var (
	knownArches = []string{"amd64", "arm64"}
	seriesRE    = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// selectCells turns the -arch, -kernel and -lsm flags into cells. With no
// flag set it is the standard matrix; otherwise it is the cross product of
// the given values, where an unset -arch means both architectures, an unset
// -kernel means host, 6.12 and 6.1, and an unset -lsm means the default
// (Landlock enabled). The host kernel exists only for the host's
// architecture and cannot be rebooted without Landlock; such combinations
// are dropped, and an error is returned if nothing is left.
func selectCells(arch, kernel, lsm, hostArch string) ([]Cell, error) {
	if arch == "" && kernel == "" && lsm == "" {
		return standardMatrix(hostArch), nil
	}
	arches := splitList(arch)
	if len(arches) == 0 || arch == "all" {
		arches = knownArches
	}
	kernels := splitList(kernel)
	if len(kernels) == 0 || kernel == "all" {
		kernels = []string{"host", "6.12", "6.1"}
	}
	lsms := splitList(lsm)
	if len(lsms) == 0 {
		lsms = []string{"default"}
	} else if lsm == "all" {
		lsms = []string{"default", "nolandlock"}
	}
	for _, a := range arches {
		if a != "amd64" && a != "arm64" {
			return nil, fmt.Errorf("-arch %q: want amd64, arm64 or all", a)
		}
	}
	for _, k := range kernels {
		if k != "host" && !seriesRE.MatchString(k) {
			return nil, fmt.Errorf("-kernel %q: want host or a Debian kernel series such as 6.1 or 6.12", k)
		}
	}
	for _, l := range lsms {
		if l != "default" && l != "nolandlock" {
			return nil, fmt.Errorf("-lsm %q: want default, nolandlock or all", l)
		}
	}
	var cells []Cell
	for _, a := range arches {
		for _, k := range kernels {
			for _, l := range lsms {
				c := Cell{Arch: a, Kernel: k, NoLandlock: l == "nolandlock"}
				if c.IsHost() && (a != hostArch || c.NoLandlock) {
					continue
				}
				cells = append(cells, c)
			}
		}
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("no cell matches -arch %q -kernel %q -lsm %q (the host kernel runs only on %s and only as booted)", arch, kernel, lsm, hostArch)
	}
	return cells, nil
}

// expectedABI is the Landlock ABI the cell's kernel must report: 0 without
// Landlock, otherwise what the kernel version offers.
func expectedABI(c Cell, kernelRelease string) (int, error) {
	if c.NoLandlock {
		return 0, nil
	}
	v := c.Kernel
	if c.IsHost() {
		v = kernelRelease
	}
	major, minor, err := parseKernelSeries(v)
	if err != nil {
		return 0, err
	}
	abi, known := landlockABIForKernel(major, minor)
	if !known {
		return abi, fmt.Errorf("kernel %s is newer than the matrix's Landlock ABI table (landlockABIForKernel): add its ABI there", v)
	}
	return abi, nil
}
