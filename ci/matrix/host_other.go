//go:build !linux

package main

// hostRelease is empty off Linux: there is no host cell there.
func hostRelease() string { return "" }
