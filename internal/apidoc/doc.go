// Package apidoc holds the test that keeps the "Public API" section of
// docs/DESIGN.md and the exported names of the public packages in step:
// a name exported but not listed, or listed but gone, fails it. It has no
// code of its own.
package apidoc
