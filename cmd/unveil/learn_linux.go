package main

import (
	"io"
)

func learn(c *config, stdout, stderr io.Writer) error { return fail(exitInternal, "learn: not yet") }
