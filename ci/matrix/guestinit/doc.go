// Command guestinit is the whole userland of a kernel-matrix guest: it runs
// as /init (PID 1) in the initramfs that ci/matrix builds, prepares a minimal
// system (proc, sysfs, securityfs, devtmpfs, devpts, tmpfs /tmp, loopback up),
// measures what the kernel really offers (Landlock ABI via
// landlock_create_ruleset, seccomp availability, the active LSM list), runs
// the probe check and every test binary listed in /pledgekit/config.json as
// root and as the unprivileged user nobody (65534), prints the results as
// @@PLEDGEKIT records (see ci/matrix/internal/proto) and powers the machine off.
//
// With -host it runs the same test sequence on the running system without
// mounting anything or powering off: that is the matrix's host cell.
//
// The kernel command line carries the cell's parameters:
//
//	pledgekit.cell=NAME          cell name, exported as PLEDGEKIT_MATRIX_CELL
//	pledgekit.expect_abi=N       expected Landlock ABI, exported as PLEDGEKIT_EXPECT_LANDLOCK_ABI
package main
