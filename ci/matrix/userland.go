package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// defaultGuestDebs give the guest a small Debian userland: dash as /bin/sh,
// coreutils (true, cat, echo, ls, env, ...) and the shared libraries they
// need. Tests exec these like on any Debian machine; they are dynamically
// linked, so the guest also exercises pledge with ld.so and glibc starting
// up under exec promises. Each command is its own file (Landlock tells
// executables apart by inode).
var defaultGuestDebs = []string{
	"libc6", "libgcc-s1", "libselinux1", "libpcre2-8-0", "libacl1", "libattr1", "libgmp10",
	"dash", "coreutils",
}

// mergedUsr maps a path inside a Debian package to its place on a
// merged-/usr system (Debian 12's layout): bin/x → usr/bin/x, lib/x →
// usr/lib/x, and so on.
func mergedUsr(rel string) string {
	for _, d := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		if rel == d || strings.HasPrefix(rel, d+"/") {
			return "usr/" + rel
		}
	}
	return rel
}

// installUserland copies unpacked Debian package trees into the guest root
// with the merged-/usr layout, then adds the top-level /bin, /sbin, /lib,
// /lib64 symlinks and /bin/sh → dash.
func installUserland(root string, trees []string) error {
	for _, tree := range trees {
		err := filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(tree, p)
			if err != nil || rel == "." || rel == ".complete" {
				return err
			}
			dst := filepath.Join(root, mergedUsr(filepath.ToSlash(rel)))
			switch {
			case d.IsDir():
				return os.MkdirAll(dst, 0o755)
			case d.Type()&fs.ModeSymlink != 0:
				t, err := os.Readlink(p)
				if err != nil {
					return err
				}
				_ = os.Remove(dst)
				return os.Symlink(t, dst)
			case d.Type().IsRegular():
				return copyFile(p, dst)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("guest userland from %s: %w", tree, err)
		}
	}
	for _, d := range []string{"bin", "sbin", "lib", "lib32", "lib64", "libx32"} {
		if fi, err := os.Stat(filepath.Join(root, "usr", d)); err == nil && fi.IsDir() {
			if err := os.Symlink("usr/"+d, filepath.Join(root, d)); err != nil {
				return fmt.Errorf("guest userland: %w", err)
			}
		}
	}
	sh := filepath.Join(root, "usr", "bin", "sh")
	if _, err := os.Lstat(sh); err != nil && fileExists(filepath.Join(root, "usr", "bin", "dash")) {
		if err := os.Symlink("dash", sh); err != nil {
			return fmt.Errorf("guest userland: %w", err)
		}
	}
	return nil
}
