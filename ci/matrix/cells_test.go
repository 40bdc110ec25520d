package main

import (
	"reflect"
	"strings"
	"testing"
)

func names(cells []Cell) []string {
	var n []string
	for _, c := range cells {
		n = append(n, c.Name())
	}
	return n
}

func TestSelectCells(t *testing.T) {
	// CI's matrix: at least one Landlock ABI >= 8 kernel per architecture.
	standard := []string{"amd64/host",
		"amd64/7.3", "amd64/6.12", "amd64/6.1", "amd64/6.12-nolandlock",
		"arm64/7.3", "arm64/6.12", "arm64/6.1", "arm64/6.12-nolandlock"}
	tests := []struct {
		set, arch, kernel, lsm string
		want                   []string
		err                    string
	}{
		{want: standard},
		{set: "standard", want: standard},
		{set: "full", want: append(standard[:len(standard):len(standard)], "amd64/7.0", "amd64/7.1", "amd64/7.2")},
		{set: "full", kernel: "7.0", err: "leave -arch"},
		{set: "frontier", err: "-matrix"},
		{arch: "arm64", kernel: "6.1", want: []string{"arm64/6.1"}},
		{arch: "amd64", kernel: "all", want: []string{"amd64/host", "amd64/7.3", "amd64/7.2", "amd64/7.1", "amd64/7.0", "amd64/6.12", "amd64/6.1"}},
		{arch: "arm64", kernel: "7.3", want: []string{"arm64/7.3"}},
		{arch: "arm64", kernel: "6.1", lsm: "nolandlock", want: []string{"arm64/6.1-nolandlock"}},
		{arch: "amd64", kernel: "6.12", lsm: "all", want: []string{"amd64/6.12", "amd64/6.12-nolandlock"}},
		{arch: "arm64", want: []string{"arm64/7.3", "arm64/6.12", "arm64/6.1"}}, // host kernel is amd64 only
		{kernel: "host", want: []string{"amd64/host"}},                          // both arches asked, host only fits amd64
		{kernel: "6.12", lsm: "nolandlock", want: []string{"amd64/6.12-nolandlock", "arm64/6.12-nolandlock"}},
		{arch: "amd64,arm64", kernel: "6.1", want: []string{"amd64/6.1", "arm64/6.1"}},
		{kernel: "host", lsm: "nolandlock", err: "no cell matches"},
		{arch: "riscv64", err: "-arch"},
		{kernel: "latest", err: "-kernel"},
		{lsm: "selinux", err: "-lsm"},
	}
	for _, tt := range tests {
		got, err := selectCells(tt.set, tt.arch, tt.kernel, tt.lsm, "amd64")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("selectCells(%q,%q,%q,%q) err = %v, want %q", tt.set, tt.arch, tt.kernel, tt.lsm, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(names(got), tt.want) {
			t.Errorf("selectCells(%q,%q,%q,%q) = %v, %v; want %v", tt.set, tt.arch, tt.kernel, tt.lsm, names(got), err, tt.want)
		}
	}
}

func TestExpectedABI(t *testing.T) {
	tests := []struct {
		c       Cell
		release string
		want    int
		err     bool
	}{
		{Cell{Arch: "amd64", Kernel: "6.12"}, "6.12.117+deb12-cloud-amd64", 6, false},
		{Cell{Arch: "arm64", Kernel: "6.1"}, "6.1.0-57-arm64", 2, false},
		{Cell{Arch: "arm64", Kernel: "6.12", NoLandlock: true}, "6.12.117+deb12-arm64", 0, false},
		{Cell{Arch: "amd64", Kernel: "host"}, "6.18.44-fc-v595", 7, false},
		{Cell{Arch: "amd64", Kernel: "7.0"}, "7.0.13+deb13-cloud-amd64", 8, false},
		{Cell{Arch: "amd64", Kernel: "7.1"}, "7.1.13+deb13-cloud-amd64", 9, false},
		{Cell{Arch: "amd64", Kernel: "7.2"}, "7.2.12+deb13-cloud-amd64", 10, false},
		{Cell{Arch: "arm64", Kernel: "7.3"}, "7.3.4+deb13-arm64", 11, false},
		{Cell{Arch: "amd64", Kernel: "host"}, "7.2.0", 10, false},
		{Cell{Arch: "amd64", Kernel: "host"}, "7.4.0", 11, true}, // newer than the table: say so
		{Cell{Arch: "amd64", Kernel: "8.0"}, "8.0.1+deb14-cloud-amd64", 11, true},
	}
	for _, tt := range tests {
		got, err := expectedABI(tt.c, tt.release)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("expectedABI(%s, %s) = %d, %v; want %d, error %v", tt.c.Name(), tt.release, got, err, tt.want, tt.err)
		}
	}
}
