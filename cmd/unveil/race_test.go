//go:build race

package main

// raceEnabled: the tests run under the race detector, and so does the
// unveil command they build (its side supervisor's raw start included).
const raceEnabled = true
