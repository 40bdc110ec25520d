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
	tests := []struct {
		arch, kernel, lsm string
		want              []string
		err               string
	}{
		{want: []string{"amd64/host", "amd64/6.12", "amd64/6.1", "amd64/6.12-nolandlock", "arm64/6.12", "arm64/6.1", "arm64/6.12-nolandlock"}},
		{arch: "arm64", kernel: "6.1", want: []string{"arm64/6.1"}},
		{arch: "arm64", kernel: "6.1", lsm: "nolandlock", want: []string{"arm64/6.1-nolandlock"}},
		{arch: "amd64", kernel: "6.12", lsm: "all", want: []string{"amd64/6.12", "amd64/6.12-nolandlock"}},
		{arch: "arm64", want: []string{"arm64/6.12", "arm64/6.1"}}, // host kernel is amd64 only
		{kernel: "host", want: []string{"amd64/host"}},             // both arches asked, host only fits amd64
		{kernel: "6.12", lsm: "nolandlock", want: []string{"amd64/6.12-nolandlock", "arm64/6.12-nolandlock"}},
		{arch: "amd64,arm64", kernel: "6.1", want: []string{"amd64/6.1", "arm64/6.1"}},
		{kernel: "host", lsm: "nolandlock", err: "no cell matches"},
		{arch: "riscv64", err: "-arch"},
		{kernel: "latest", err: "-kernel"},
		{lsm: "selinux", err: "-lsm"},
	}
	for _, tt := range tests {
		got, err := selectCells(tt.arch, tt.kernel, tt.lsm, "amd64")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("selectCells(%q,%q,%q) err = %v, want %q", tt.arch, tt.kernel, tt.lsm, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(names(got), tt.want) {
			t.Errorf("selectCells(%q,%q,%q) = %v, %v; want %v", tt.arch, tt.kernel, tt.lsm, names(got), err, tt.want)
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
		{Cell{Arch: "amd64", Kernel: "host"}, "7.2.0", 7, true}, // newer than the table: say so
	}
	for _, tt := range tests {
		got, err := expectedABI(tt.c, tt.release)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("expectedABI(%s, %s) = %d, %v; want %d, error %v", tt.c.Name(), tt.release, got, err, tt.want, tt.err)
		}
	}
}
