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

// gatingSeries are the Debian kernel series every CI run boots on both
// architectures: Debian 12's 6.12 (Landlock ABI 6) and 6.1 (ABI 2), and
// trixie-backports' 7.3 (ABI 11, the newest; go-landlock's TSYNC path and
// every Landlock branch pledgekit has run there). 6.12 is also booted with
// Landlock left out of lsm=.
var gatingSeries = []string{"7.3", "6.12", "6.1"}

// frontierSeries are the other 7.x series, one Landlock ABI each (7.0: 8,
// 7.1: 9, 7.2: 10). `-matrix full` adds them on amd64; they cost ~4 min each
// under TCG and are not in every CI run (ci/README.md).
var frontierSeries = []string{"7.0", "7.1", "7.2"}

// standardMatrix is what CI runs: the host kernel, the gatingSeries on
// amd64 and arm64, and 6.12 with Landlock left out of lsm= on both.
func standardMatrix(hostArch string) []Cell {
	cells := []Cell{{Arch: hostArch, Kernel: "host"}}
	for _, a := range knownArches {
		for _, k := range gatingSeries {
			cells = append(cells, Cell{Arch: a, Kernel: k})
		}
		cells = append(cells, Cell{Arch: a, Kernel: "6.12", NoLandlock: true})
	}
	return cells
}

// fullMatrix is the standard matrix and the frontierSeries on amd64: a cell
// for every Landlock ABI from 8 to 11.
func fullMatrix(hostArch string) []Cell {
	cells := standardMatrix(hostArch)
	for _, k := range frontierSeries {
		cells = append(cells, Cell{Arch: "amd64", Kernel: k})
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

// selectCells turns the -matrix, -arch, -kernel and -lsm flags into cells.
// With only -matrix set it is the standard or the full matrix; -arch,
// -kernel or -lsm select the cross product of the given values instead,
// where an unset -arch means both architectures, an unset -kernel means
// host and the gatingSeries ("all": host, every 7.x series, 6.12, 6.1), and
// an unset -lsm means the default (Landlock enabled). The host kernel exists only for the host's
// architecture and cannot be rebooted without Landlock; such combinations
// are dropped, and an error is returned if nothing is left.
func selectCells(set, arch, kernel, lsm, hostArch string) ([]Cell, error) {
	if set != "" && set != "standard" && set != "full" {
		return nil, fmt.Errorf("-matrix %q: want standard or full", set)
	}
	if arch == "" && kernel == "" && lsm == "" {
		if set == "full" {
			return fullMatrix(hostArch), nil
		}
		return standardMatrix(hostArch), nil
	}
	if set != "" {
		return nil, fmt.Errorf("-matrix %s selects its own cells: leave -arch, -kernel and -lsm unset", set)
	}
	arches := splitList(arch)
	if len(arches) == 0 || arch == "all" {
		arches = knownArches
	}
	kernels := splitList(kernel)
	if len(kernels) == 0 {
		kernels = append([]string{"host"}, gatingSeries...)
	} else if kernel == "all" {
		kernels = []string{"host", "7.3", "7.2", "7.1", "7.0", "6.12", "6.1"}
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
			return nil, fmt.Errorf("-kernel %q: want host or a Debian kernel series such as 6.1, 6.12 or 7.3", k)
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
