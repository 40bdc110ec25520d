package main

import "io"

func explain(w io.Writer, c *config) error { return fail(exitInternal, "explain: not yet") }
