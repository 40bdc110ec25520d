package policy

import (
	"errors"
	"fmt"
	"strings"
)

// A template is a string with ${name} references, as in Landlock Config
// path_beneath parents (names are [[variable]]s) and in unveil paths (names
// are the environment variables listed in EnvVars). "$$" stands for one
// "$"; a "$" not followed by "{" or "$" is literal.
type template []token

type token struct {
	text     string
	variable bool // text is a variable name
}

var errUnclosed = errors.New("unclosed variable reference")

func parseTemplate(s string) (template, error) {
	var t template
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			t = append(t, token{text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 == len(s) {
			text.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			text.WriteByte('$')
			i++
		case '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				return nil, fmt.Errorf("%w starting at byte %d of %q", errUnclosed, i, s)
			}
			name := s[i+2 : i+2+end]
			if err := checkName(name); err != nil {
				return nil, fmt.Errorf("invalid variable name at byte %d of %q: %w", i, s, err)
			}
			flush()
			t = append(t, token{text: name, variable: true})
			i += 2 + end
		default:
			text.WriteByte('$')
		}
	}
	flush()
	return t, nil
}

// checkName checks a variable name: an ASCII letter, then ASCII letters,
// digits or '_'.
func checkName(name string) error {
	if name == "" {
		return errors.New("name cannot be empty")
	}
	c := name[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
		return fmt.Errorf("name %q must start with an ASCII letter", name)
	}
	for i := 1; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("name %q may only hold ASCII letters, digits and '_'", name)
		}
	}
	return nil
}

// key is the template written back in canonical form; equal templates have
// equal keys.
func (t template) key() string {
	var b strings.Builder
	for _, tk := range t {
		if tk.variable {
			b.WriteString("${")
			b.WriteString(tk.text)
			b.WriteString("}")
		} else {
			b.WriteString(strings.ReplaceAll(tk.text, "$", "$$"))
		}
	}
	return b.String()
}

func (t template) vars() []string {
	var out []string
	for _, tk := range t {
		if tk.variable {
			out = append(out, tk.text)
		}
	}
	return out
}

// EnvVars returns the environment variables an unveil path may reference
// as ${NAME}, with how each is read:
//
//   - HOME: must be set to an absolute path.
//   - USER: must be set, non-empty, without '/', and not "." or "..".
//   - TMPDIR: "/tmp" if unset or empty; otherwise must be absolute.
//   - XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_DATA_HOME, XDG_STATE_HOME: if
//     unset, empty or relative (which the XDG Base Directory specification
//     says to ignore), $HOME/.config, $HOME/.cache, $HOME/.local/share and
//     $HOME/.local/state.
//   - XDG_RUNTIME_DIR: must be set to an absolute path (the specification
//     gives no default).
//
// Values are taken as the invoking user gives them; a policy that names
// them trusts that user's environment. No other variable is substituted,
// so a policy cannot be steered through arbitrary environment variables.
func EnvVars() []string { return append([]string(nil), envVars...) }

var envVars = []string{
	"HOME", "USER", "TMPDIR",
	"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
	"XDG_RUNTIME_DIR",
}

var xdgDefaults = map[string]string{
	"XDG_CONFIG_HOME": "/.config",
	"XDG_CACHE_HOME":  "/.cache",
	"XDG_DATA_HOME":   "/.local/share",
	"XDG_STATE_HOME":  "/.local/state",
}

func isEnvVar(name string) bool {
	for _, v := range envVars {
		if v == name {
			return true
		}
	}
	return false
}

// envValue reads one of EnvVars through lookup.
func envValue(name string, lookup func(string) (string, bool)) (string, error) {
	v, ok := lookup(name)
	switch name {
	case "HOME", "XDG_RUNTIME_DIR":
		if !ok || v == "" {
			return "", fmt.Errorf("%s is not set", name)
		}
		if !strings.HasPrefix(v, "/") {
			return "", fmt.Errorf("%s=%q is not an absolute path", name, v)
		}
		return v, nil
	case "USER":
		if !ok || v == "" {
			return "", fmt.Errorf("%s is not set", name)
		}
		if strings.ContainsRune(v, '/') || v == "." || v == ".." {
			return "", fmt.Errorf("%s=%q is not a user name", name, v)
		}
		return v, nil
	case "TMPDIR":
		if v == "" {
			return "/tmp", nil
		}
		if !strings.HasPrefix(v, "/") {
			return "", fmt.Errorf("%s=%q is not an absolute path", name, v)
		}
		return v, nil
	}
	if suffix, xdg := xdgDefaults[name]; xdg {
		if strings.HasPrefix(v, "/") {
			return v, nil
		}
		home, err := envValue("HOME", lookup)
		if err != nil {
			return "", fmt.Errorf("%s is unset, and its default needs HOME: %w", name, err)
		}
		return strings.TrimSuffix(home, "/") + suffix, nil
	}
	return "", fmt.Errorf("%s is not one of the environment variables a policy may use (%s)",
		name, strings.Join(envVars, ", "))
}

// normPath normalizes a path the way Landlock Config rules are keyed:
// repeated slashes and "." components are dropped, as is a trailing slash;
// ".." is kept (the kernel resolves it, following symlinks). An empty path
// and one holding a NUL byte are errors.
func normPath(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty path")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("path %q contains a NUL byte", s)
	}
	abs := s[0] == '/'
	parts := strings.Split(s, "/")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && p != "." {
			out = append(out, p)
		}
	}
	j := strings.Join(out, "/")
	if abs {
		return "/" + j, nil
	}
	if j == "" {
		return ".", nil
	}
	return j, nil
}
