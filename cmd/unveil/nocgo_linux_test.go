//go:build linux

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The command links no cgo, even where cgo is enabled: no package it
// imports has cgo files (libpsx, through go-landlock's syscall package, is
// the one that would), so `go build` makes a static binary that starts
// without the dynamic loader (docs/DESIGN.md, "The command links no cgo").
// Package unveil, which the library's users import, does link libpsx.
func TestCommandLinksNoCgo(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil || os.Getenv("PLEDGEKIT_MATRIX") != "" {
		t.Skip("no Go toolchain or source tree (kernel matrix: test binaries run outside the module)")
	}
	deps := func(pkg string) map[string]string {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{join .CgoFiles \",\"}}", pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v: %s", pkg, err, stderr.String())
		}
		m := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			path, cgo, _ := strings.Cut(l, " ")
			m[path] = cgo
		}
		return m
	}
	for path, cgo := range deps(".") {
		if cgo != "" || path == "runtime/cgo" || strings.HasSuffix(path, "/psx") {
			t.Errorf("the command links %s (cgo files: %q)", path, cgo)
		}
	}
	// The other way: the library's unveil links libpsx, which a cgo
	// program's whole-process layers below Landlock ABI 8 need.
	if lib := deps("github.com/pledgekit/pledgekit/unveil"); lib["kernel.org/pub/linux/libs/security/libcap/psx"] == "" {
		t.Errorf("package unveil does not link libpsx with cgo files: %v", lib["kernel.org/pub/linux/libs/security/libcap/psx"])
	}
}
