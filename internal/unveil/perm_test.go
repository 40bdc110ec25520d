package unveil

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

func TestParsePerm(t *testing.T) {
	good := map[string]Perm{
		"":     0,
		"r":    PermRead,
		"w":    PermWrite,
		"x":    PermExec,
		"c":    PermCreate,
		"rwxc": PermRead | PermWrite | PermExec | PermCreate,
		"crxw": PermRead | PermWrite | PermExec | PermCreate,
		"rr":   PermRead,
		"rwrw": PermRead | PermWrite,
	}
	for s, want := range good {
		got, err := ParsePerm(s)
		if err != nil || got != want {
			t.Errorf("ParsePerm(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	bad := []struct {
		s      string
		letter string
		errno  syscall.Errno
	}{
		{"R", "R", syscall.EINVAL},
		{"rwz", "z", syscall.EINVAL},
		{" r", " ", syscall.EINVAL},
		{"r\x00", "\x00", syscall.EINVAL},
		{"rwxcr", "", syscall.ENAMETOOLONG},
		{"é", "\xc3", syscall.EINVAL},
	}
	for _, b := range bad {
		_, err := ParsePerm(b.s)
		var pe *PermError
		if !errors.Is(err, ErrPermission) || !errors.Is(err, b.errno) || !errors.As(err, &pe) || pe.Letter() != b.letter {
			t.Errorf("ParsePerm(%q): %v (letter %q); want ErrPermission, %v, letter %q", b.s, err, pe.Letter(), b.errno, b.letter)
			continue
		}
		if b.letter != "" && !strings.Contains(err.Error(), "bad letter") {
			t.Errorf("message does not name the bad letter: %v", err)
		}
	}
}

func TestPermString(t *testing.T) {
	for p := Perm(0); p < 16; p++ {
		back, err := ParsePerm(p.String())
		if err != nil || back != p {
			t.Errorf("%d -> %q -> %v, %v", p, p.String(), back, err)
		}
	}
	if s := (PermCreate | PermRead).String(); s != "rc" {
		t.Errorf("canonical order: %q", s)
	}
}

func FuzzParsePerm(f *testing.F) {
	for _, s := range []string{"", "r", "rwxc", "rwxcr", "z", "rw\x00", "ccc", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePerm(s)
		valid := len(s) <= 4 && strings.Trim(s, "rwxc") == ""
		if valid != (err == nil) {
			t.Fatalf("ParsePerm(%q) err=%v, valid=%v", s, err, valid)
		}
		if err != nil {
			if !errors.Is(err, ErrPermission) || err.Error() == "" {
				t.Fatalf("error %v", err)
			}
			return
		}
		for _, c := range "rwxc" {
			if strings.ContainsRune(s, c) != strings.ContainsRune(p.String(), c) {
				t.Fatalf("%q -> %q", s, p.String())
			}
		}
	})
}

func FuzzUnveilArguments(f *testing.F) {
	for _, s := range [][2]string{{"/tmp", "r"}, {"", "r"}, {"a\x00b", "rw"}, {".", "rwxc"}, {"/nonexistent/x", "c"}, {"/tmp", "q"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, path, perms string) {
		r := New()
		err := r.Unveil(path, perms)
		if err == nil {
			if len(r.paths) != 1 || !strings.HasPrefix(r.paths[0].path, "/") {
				t.Fatalf("accepted %q %q as %+v", path, perms, r.paths)
			}
			return
		}
		if len(r.paths) != 0 {
			t.Fatalf("rejected %q %q but recorded %+v", path, perms, r.paths)
		}
		if err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
