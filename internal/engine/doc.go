// Package engine owns the sandbox of a process or of one thread: it is the
// one place that decides the order in which the kernel is asked to
// restrict (no_new_privs, the violation supervisor if one is needed,
// Landlock, seccomp, the listener hand-over) and the one place, with
// internal/loader, that makes those calls. Package pledge, package unveil
// and the unveil command describe what they want as a Plan and call Apply.
//
// A Plan is data: its Scope (every thread of the process, or the calling
// thread of a launcher that executes a program next), its Landlock layers
// (resolved rulesets, or commits prepared by package unveil that call
// Apply themselves with a resolved ruleset), a hook that runs between
// Landlock and seccomp, and a compiled seccomp filter with what to do with
// its notification listener. Filters are compiled with Compile from a
// FilterSpec, so callers never import internal/filter.
package engine
