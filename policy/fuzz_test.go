package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seed adds every sample file of a format to the corpus.
func seed(f *testing.F, ext string, extra ...string) {
	var files []string
	for _, dir := range []string{exDir, compDir, compDir + "source/", "testdata/pledgekit/"} {
		m, _ := filepath.Glob(dir + "*." + ext)
		files = append(files, m...)
	}
	if len(files) == 0 {
		f.Fatal("no seed files")
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

func fuzzEnv(k string) (string, bool) {
	v, ok := map[string]string{"HOME": "/home/f", "USER": "f", "XDG_RUNTIME_DIR": "/run/user/1"}[k]
	return v, ok
}

func fuzzCheck(t *testing.T, data []byte, format Format) {
	c, err := Parse(data, format, "fuzz")
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || pe.Err == nil || err.Error() == "" {
			t.Fatalf("Parse error %v (%T) is not a described *Error", err, err)
		}
		return
	}
	r1, err1 := c.ResolveEnv(fuzzEnv)
	r2, err2 := c.ResolveEnv(fuzzEnv)
	if (err1 == nil) != (err2 == nil) {
		t.Fatalf("Resolve is not deterministic: %v / %v", err1, err2)
	}
	if err1 != nil {
		if err1.Error() != err2.Error() {
			t.Fatalf("Resolve errors differ: %v / %v", err1, err2)
		}
		var pe *Error
		if !errors.As(err1, &pe) {
			t.Fatalf("Resolve error %v is not a *Error", err1)
		}
		return
	}
	j1, err := r1.JSON()
	if err != nil {
		t.Fatal(err)
	}
	j2, _ := r2.JSON()
	if string(j1) != string(j2) {
		t.Fatalf("Resolve is not deterministic:\n%s\n%s", j1, j2)
	}
	if !json.Valid(j1) {
		t.Fatalf("JSON() is not valid JSON:\n%s", j1)
	}
	// Composing a configuration with itself changes nothing.
	cc, err := Compose(c, c)
	if err != nil {
		t.Fatal(err)
	}
	r3, err := cc.ResolveEnv(fuzzEnv)
	if err != nil {
		t.Fatalf("c+c fails to resolve: %v", err)
	}
	if j3, _ := r3.JSON(); string(j3) != string(j1) {
		t.Fatalf("c+c differs from c:\n%s\n%s", j1, j3)
	}
	// Every allowed right is a handled one.
	for p, a := range r1.Paths {
		if a == 0 || a&^r1.HandledFS != 0 {
			t.Fatalf("path %q allows %#x, handled %#x", p, a, r1.HandledFS)
		}
	}
	for p, a := range r1.Ports {
		if a == 0 || a&^r1.HandledNet != 0 || p > 65535 {
			t.Fatalf("port %d allows %#x, handled %#x", p, a, r1.HandledNet)
		}
	}
	for _, u := range r1.Unveils {
		if u.Path == "" || strings.Trim(u.Perm, permLetters) != "" {
			t.Fatalf("bad unveil %+v", u)
		}
	}
}

func FuzzParseTOML(f *testing.F) {
	seed(f, "toml",
		"abi = 1\n[[ruleset]]\nhandled_access_fs = [\"abi.all\"]\n",
		"[[variable]]\nname = \"a\"\nliteral = [\"$$\", \"${\"]\n[[path_beneath]]\nallowed_access = [\"execute\"]\nparent = [\"${a}${a}\"]\n",
		"unveil = [{path = \"${HOME}\", perm = \"\"}]\n[scope]\nsignal = false\n",
	)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, data, FormatTOML) })
}

func FuzzParseJSON(f *testing.F) {
	seed(f, "json",
		`{"abi": 2147483647, "ruleset": [{"handledAccessFs": ["abi.all"], "scoped": ["abi.all"]}]}`,
		`{"netPort": [{"allowedAccess": ["abi.all"], "port": [0, 65535]}], "abi": 3}`,
		`{"unveil": [{"path": "${XDG_DATA_HOME}/x", "perm": "rwxc"}], "net": {"bindTcp": []}, "promises": ""}`,
	)
	f.Fuzz(func(t *testing.T, data []byte) { fuzzCheck(t, data, FormatJSON) })
}
