package proto

// Config is written by the host as /pledgekit/config.json in the initramfs
// (or passed with -config to guestinit -host) and tells the guest what to run.
type Config struct {
	// Packages are the test binaries, run in order.
	Packages []Package `json:"packages"`
	// Probe is the path of the probecheck binary, or "" if it did not build.
	Probe string `json:"probe,omitempty"`
	// Sandbox is the path of the sandboxcheck binary, or "" if it did not
	// build.
	Sandbox string `json:"sandbox,omitempty"`
	// TestArgs are passed to every test binary (-test.v, -test.short, ...).
	TestArgs []string `json:"test_args"`
	// KillAfterSeconds is how long the init waits for one test binary
	// before killing its process group. It should exceed -test.timeout.
	KillAfterSeconds int `json:"kill_after_seconds"`
	// Users to run as: "root" and/or "nobody" (uid/gid 65534).
	Users []string `json:"users"`
}

// Package is one test binary in the guest.
type Package struct {
	Name   string   `json:"name"`   // import path relative to the module, e.g. ./pledge
	Binary string   `json:"binary"` // absolute path of the test binary
	Dir    string   `json:"dir"`    // working directory (holds a copy of testdata/)
	Users  []string `json:"users,omitempty"`
}

// Users the guest knows.
const (
	UserRoot   = "root"
	UserNobody = "nobody"
	NobodyID   = 65534
)

// Environment variables the guest sets for every test binary.
const (
	// EnvMatrix is "1" whenever a test runs under the kernel matrix (also in
	// the host cell).
	EnvMatrix = "PLEDGEKIT_MATRIX"
	// EnvGuest is "1" when the test runs inside a QEMU guest, where the init
	// is the only other process and there is no Go toolchain, no shell and no
	// network other than loopback.
	EnvGuest = "PLEDGEKIT_MATRIX_GUEST"
	// EnvCell names the cell, e.g. "arm64/6.12-nolandlock".
	EnvCell = "PLEDGEKIT_MATRIX_CELL"
	// EnvExpectABI is the Landlock ABI the cell's kernel really has, as a
	// decimal number; "0" means Landlock is unavailable (not built or not in
	// lsm=). Tests compare the probe's answer and unveil's degradation
	// behaviour against it.
	EnvExpectABI = "PLEDGEKIT_EXPECT_LANDLOCK_ABI"
	// EnvUser is "root" or "nobody": the matrix user the test runs as.
	EnvUser = "PLEDGEKIT_MATRIX_USER"
)
