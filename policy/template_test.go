package policy

import (
	"strings"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		in, key string // key: canonical form
		vars    string
		err     string
	}{
		{in: "/bar", key: "/bar"},
		{in: "${foo}", key: "${foo}", vars: "foo"},
		{in: "${foo} bar ${baz}", key: "${foo} bar ${baz}", vars: "foo baz"},
		{in: "$${escaped}", key: "$${escaped}"}, // text "${escaped}"
		{in: "$$foo", key: "$$foo"},             // text "$foo"
		{in: "$foo", key: "$$foo"},              // a lone $ is literal
		{in: "a$", key: "a$$"},                  // so is a final one
		{in: "$$$", key: "$$$$"},                // "$$" then "$": text "$$"
		{in: "x${a}${b_2}", key: "x${a}${b_2}", vars: "a b_2"},
		{in: "${unclosed", err: "unclosed variable reference starting at byte 0"},
		{in: " ${unclosed", err: "unclosed variable reference starting at byte 1"},
		{in: " ${0}", err: "must start with an ASCII letter"},
		{in: "${invalid-name}", err: "may only hold ASCII letters"},
		{in: "  ${}", err: "name cannot be empty"},
		{in: "${a${b}", err: "may only hold ASCII letters"},
	}
	for _, tc := range tests {
		tm, err := parseTemplate(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseTemplate(%q) error = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseTemplate(%q): %v", tc.in, err)
			continue
		}
		if got := tm.key(); got != tc.key {
			t.Errorf("parseTemplate(%q).key() = %q, want %q", tc.in, got, tc.key)
		}
		if got := strings.Join(tm.vars(), " "); got != tc.vars {
			t.Errorf("parseTemplate(%q) vars = %q, want %q", tc.in, got, tc.vars)
		}
		// The canonical form reads back to the same template.
		again, err := parseTemplate(tc.key)
		if err != nil || again.key() != tc.key {
			t.Errorf("canonical %q does not round-trip: %v %v", tc.key, again, err)
		}
	}
	// Escapes expand to literal text.
	tm, _ := parseTemplate("$${x}/$$y")
	if len(tm) != 1 || tm[0].variable || tm[0].text != "${x}/$y" {
		t.Errorf("escapes: %+v", tm)
	}
}

func TestNormPath(t *testing.T) {
	for in, want := range map[string]string{
		"/":          "/",
		"//":         "/",
		"/tmp/":      "/tmp",
		"/tmp//x/./": "/tmp/x",
		".":          ".",
		"./":         ".",
		"./a":        "a",
		"a/../b":     "a/../b", // ".." is left to the kernel (symlinks)
		"/a/./.":     "/a",
	} {
		got, err := normPath(in)
		if err != nil || got != want {
			t.Errorf("normPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "/a\x00b"} {
		if _, err := normPath(bad); err == nil {
			t.Errorf("normPath(%q) succeeded", bad)
		}
	}
}

func TestEnvValue(t *testing.T) {
	env := func(kv ...string) func(string) (string, bool) {
		return func(k string) (string, bool) {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1], true
				}
			}
			return "", false
		}
	}
	tests := []struct {
		name string
		env  func(string) (string, bool)
		want string
		err  string
	}{
		{"HOME", env("HOME", "/home/u"), "/home/u", ""},
		{"HOME", env(), "", "HOME is not set"},
		{"HOME", env("HOME", ""), "", "HOME is not set"},
		{"HOME", env("HOME", "rel"), "", "not an absolute path"},
		{"USER", env("USER", "alice"), "alice", ""},
		{"USER", env("USER", "a/b"), "", "not a user name"},
		{"USER", env("USER", ".."), "", "not a user name"},
		{"USER", env(), "", "USER is not set"},
		{"TMPDIR", env(), "/tmp", ""},
		{"TMPDIR", env("TMPDIR", ""), "/tmp", ""},
		{"TMPDIR", env("TMPDIR", "/var/tmp"), "/var/tmp", ""},
		{"TMPDIR", env("TMPDIR", "tmp"), "", "not an absolute path"},
		{"XDG_CONFIG_HOME", env("HOME", "/h", "XDG_CONFIG_HOME", "/c"), "/c", ""},
		{"XDG_CONFIG_HOME", env("HOME", "/h/"), "/h/.config", ""},
		{"XDG_CACHE_HOME", env("HOME", "/h", "XDG_CACHE_HOME", "rel"), "/h/.cache", ""}, // relative: ignored
		{"XDG_DATA_HOME", env("HOME", "/h"), "/h/.local/share", ""},
		{"XDG_STATE_HOME", env("HOME", "/h", "XDG_STATE_HOME", ""), "/h/.local/state", ""},
		{"XDG_STATE_HOME", env(), "", "needs HOME"},
		{"XDG_RUNTIME_DIR", env("XDG_RUNTIME_DIR", "/run/user/1"), "/run/user/1", ""},
		{"XDG_RUNTIME_DIR", env("HOME", "/h"), "", "not set"},
		{"PATH", env("PATH", "/bin"), "", "not one of the environment variables"},
	}
	for _, tc := range tests {
		got, err := envValue(tc.name, tc.env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("envValue(%s) = %q, %v; want error %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("envValue(%s) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	for _, v := range EnvVars() {
		if !isEnvVar(v) {
			t.Errorf("isEnvVar(%s) = false", v)
		}
	}
	if isEnvVar("PATH") || isEnvVar("home") {
		t.Error("isEnvVar accepts a variable outside EnvVars")
	}
}
