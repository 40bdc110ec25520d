package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSelectPackages(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string, files ...string) {
		os.MkdirAll(filepath.Join(root, rel), 0o755)
		for _, f := range files {
			os.WriteFile(filepath.Join(root, rel, f), []byte("package x\n"), 0o644)
		}
	}
	mk("pledge", "pledge.go", "pledge_test.go")
	mk("unveil", "unveil.go")
	mk("internal/probe", "probe_linux_test.go")

	plans, err := selectPackages(root, []string{"./pledge", "./unveil", "./internal/probe", "./cmd/unveil", "./pledge/"}, false)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range plans {
		got[p.Name] = p.Skip
	}
	want := map[string]string{
		"./pledge":         "",
		"./unveil":         "has no _test.go files",
		"./internal/probe": "",
		"./cmd/unveil":     "does not exist (yet)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plans %v, want %v", got, want)
	}
	if len(plans) != 4 || plans[2].BinName != "internal_probe.test" {
		t.Errorf("plans %+v", plans)
	}

	plans, err = selectPackages(root, []string{"./pledge:root+nobody", "./internal/probe:root"}, true)
	if err != nil || !reflect.DeepEqual(plans[0].Users, []string{"root", "nobody"}) || !reflect.DeepEqual(plans[1].Users, []string{"root"}) || plans[1].Name != "./internal/probe" {
		t.Errorf("user suffixes: %+v, %v", plans, err)
	}
	if _, err := selectPackages(root, []string{"./pledge:admin"}, true); err == nil {
		t.Error("unknown user accepted")
	}
	if _, err := selectPackages(root, []string{"./cmd/unveil"}, true); err == nil {
		t.Error("explicit missing package: no error")
	}
	for _, bad := range []string{"pledge", "./...", "./../x", "github.com/x/y"} {
		if _, err := selectPackages(root, []string{bad}, false); err == nil {
			t.Errorf("package %q accepted", bad)
		}
	}
}

func TestCopyPackageData(t *testing.T) {
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "testdata", "sub"), 0o700)
	os.WriteFile(filepath.Join(src, "testdata", "sub", "golden.txt"), []byte("g"), 0o600)
	os.WriteFile(filepath.Join(src, "x.go"), []byte("package x"), 0o644)
	os.WriteFile(filepath.Join(src, "table.csv"), []byte("a,b"), 0o644)
	os.MkdirAll(filepath.Join(src, "other"), 0o755)
	dst := filepath.Join(t.TempDir(), "pkg")
	if err := copyPackageData(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "testdata", "sub", "golden.txt")); err != nil || string(b) != "g" {
		t.Errorf("testdata not copied: %q %v", b, err)
	}
	if !fileExists(filepath.Join(dst, "table.csv")) || fileExists(filepath.Join(dst, "x.go")) || fileExists(filepath.Join(dst, "other")) {
		t.Error("wrong files copied: want non-Go files and testdata/ only")
	}
	// The unprivileged test user must be able to read everything.
	fi, _ := os.Stat(filepath.Join(dst, "testdata", "sub", "golden.txt"))
	di, _ := os.Stat(filepath.Join(dst, "testdata", "sub"))
	if fi.Mode().Perm()&0o004 == 0 || di.Mode().Perm()&0o005 != 0o005 {
		t.Errorf("modes %v %v are not world-readable", fi.Mode(), di.Mode())
	}
}

func TestQemuCommand(t *testing.T) {
	bin, args, err := qemuCommand(qemuSpec{Arch: "arm64", Kernel: "/k", Initrd: "/i", MemMB: 1024, CPUs: 2,
		Append: []string{"lsm=lockdown,yama"}})
	if err != nil || bin != "qemu-system-aarch64" {
		t.Fatalf("%s %v", bin, err)
	}
	line := strings.Join(args, " ")
	for _, want := range []string{"-M virt", "-cpu max", "-kernel /k", "-initrd /i", "-m 1024", "-smp 2", "-no-reboot", "-accel tcg",
		"console=ttyAMA0 panic=-1 quiet lsm=lockdown,yama"} {
		if !strings.Contains(line, want) {
			t.Errorf("arm64 command %q lacks %q", line, want)
		}
	}
	bin, args, err = qemuCommand(qemuSpec{Arch: "amd64", Kernel: "/k", Initrd: "/i", MemMB: 512, CPUs: 1})
	if err != nil || bin != "qemu-system-x86_64" || !strings.Contains(strings.Join(args, " "), "console=ttyS0") {
		t.Errorf("amd64: %s %q %v", bin, args, err)
	}
	if strings.Contains(strings.Join(args, " "), "kvm") {
		t.Error("KVM requested; the matrix uses TCG")
	}
	if _, _, err := qemuCommand(qemuSpec{Arch: "mips"}); err == nil {
		t.Error("unknown arch accepted")
	}
}
