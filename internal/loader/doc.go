// Package loader is the one place in pledgekit that installs a seccomp
// filter: no_new_privs, then seccomp(SECCOMP_SET_MODE_FILTER), on one
// locked OS thread, with the return value checked. pledge installs its
// filter through it on every thread (TSync); the unveil command installs
// its filter on the thread that then execs, optionally with a notification
// listener.
//
// The filter itself comes from internal/filter (a pure compiler); this
// package never looks inside the program. internal/probe calls seccomp(2)
// as well, but only with arguments the kernel rejects, to learn which
// flags and actions it knows: that installs nothing.
//
// Linux only; on other systems the package is empty.
package loader
