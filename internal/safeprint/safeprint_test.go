package safeprint

import "testing"

func TestString(t *testing.T) {
	for in, want := range map[string]string{
		"cat":                      "cat",
		"a\x1b]0;owned\x07b":       "a?]0;owned?b",
		"x\nunveil: fake\r":        "x?unveil: fake?",
		"del\x7f":                  "del?",
		"caf\xc3\xa9":              "caf?",
		"bad\xff":                  "bad?",
		"/tmp/x y \"quoted\" ~ok!": "/tmp/x y \"quoted\" ~ok!",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
