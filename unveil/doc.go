// Package unveil is OpenBSD's unveil(2) for Go programs on Linux, built on
// Landlock (with libpsx, as github.com/landlock-lsm/go-landlock uses it,
// to restrict every thread of a cgo program below Landlock ABI 8).
//
// Two ways in:
//
//   - Unveil and UnveilBlock have the names and signatures of
//     golang.org/x/sys/unix on OpenBSD, so OpenBSD code can switch imports.
//     On OpenBSD they call unix.Unveil and unix.UnveilBlock; on other
//     systems without Landlock they fail with errors.ErrUnsupported.
//   - A Ruleset adds what only Landlock has (TCP and UDP port rules, IPC
//     scopes), lets the caller Require a protection instead of degrading,
//     and its Commit returns a report.Report of what the kernel enforces.
//
// # Permissions
//
// The letters mean what they mean on OpenBSD, as closely as Landlock
// allows. On a directory they apply to everything beneath it:
//
//	r  read files, list directories
//	w  write files; truncate them (Landlock ABI 3); connect to unix
//	   sockets by path (ABI 9)
//	x  execute files; this also allows reading them, because Linux's
//	   execve opens the binary for reading and Landlock checks that (said
//	   in the report item of every x rule; partial when x comes without
//	   r). A dynamically linked program unveiled x brings its ELF
//	   interpreter (PT_INTERP, as the kernel reads it) with x, listed in
//	   the report, since the kernel executes it too; an interpreter that
//	   is not an ELF file is not added
//	c  create and remove files, directories, symlinks, sockets and FIFOs;
//	   rename and hard-link across directories when both the source and
//	   the target directory have c (ABI 2). Not device nodes: a root
//	   process making a block device of a disk would read every file, so
//	   only Ruleset.AllowFS grants MAKE_CHAR and MAKE_BLOCK
//
// The ruleset handles every filesystem right the kernel has, so what is not
// granted is denied everywhere: unlink and rmdir outside the c paths fail
// too. ioctl(2) on devices (ABI 5) is granted with r or w, because OpenBSD
// leaves ioctls to pledge, not unveil. A path that is not a directory takes
// only file rights: r, w and x; c on a single file is dropped (creating and
// removing are rights of the directory) and the report says so.
//
// A symlink is followed: unveiling it grants its target, and the report
// names the target. A symlink inside an unveiled directory that points
// elsewhere does not open the elsewhere.
//
// # When unveils take effect
//
// Unveil only records. The recorded unveils become one Landlock layer when
// UnveilBlock is called, or when pledge is called without the "unveil"
// promise (pledge commits them before it installs its seccomp filter, so
// Landlock always comes first). The layer applies to every
// thread of the process and to every process it starts, across exec.
// Afterwards, Unveil starts a new layer, committed the same way, which can
// only narrow what earlier layers allow. The kernel allows 16 layers per
// process; the 17th commit fails with ErrTooManyLayers.
//
// pledge and unveil work in either order. Unveil, UnveilBlock, then
// pledge: the usual order. Or pledge with "unveil" among the promises, then
// unveil, then UnveilBlock (the pledge filter allows what committing
// needs); a later pledge without "unveil" commits what is pending and locks
// Unveil (ErrLocked).
//
// A commit examines and opens the paths it names (stat(2), O_PATH), which
// a pledge with "unveil" but without "rpath" forbids: such a pledge has
// them examined and opened before its filter is installed, and the
// commit under it uses that; Unveil after it fails with EPERM instead.
// A Ruleset without paths (port rules, scopes) commits under any pledge:
// the MPTCP state its TCP rules report is read before the filter. In cgo
// builds below Landlock ABI 8, libpsx must list /proc/PID/task to
// restrict every thread, so a commit under a pledge without "rpath"
// fails there with an error (EPERM), never by the process being ended.
//
// Commit sets no_new_privs on every thread before landlock_restrict_self,
// so no privilege (CAP_SYS_ADMIN) is needed: an unprivileged user, or root
// that already dropped to one, can unveil. How every thread is restricted
// depends on the Landlock ABI, and the report's "threads" and
// "no_new_privs" items say which way applied: below ABI 8, a psx round in
// which each thread restricts itself (and gets a domain of its own); from
// ABI 8, one landlock_restrict_self with LANDLOCK_RESTRICT_SELF_TSYNC (one
// domain for the process); from ABI 11 the same call also sets
// no_new_privs (LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS), and only if the
// layer is enforced. Each enforced item names the Landlock feature that
// enforces it (report.Item.Feature; `unveil probe` lists the kernel's).
//
// # Unix sockets by path
//
// From Landlock ABI 9 (LANDLOCK_ACCESS_FS_RESOLVE_UNIX) connect(2) and
// sendmsg(2)/sendto(2) to a pathname unix socket, stream or datagram, need
// w on the socket or on a directory above it; every other socket is
// unreachable (EACCES), as on OpenBSD, where unix sockets follow unveil's w.
// Making one (bind) needs c on its directory. Below ABI 9 sockets are not
// restricted by path, and the report says so; a pledge without "unix"
// still refuses unix sockets except a datagram gap, which a layer with
// paths on an ABI 9 kernel closes (pledge's report says which applies).
//
// # Paths Go opens by itself
//
// Go's standard library opens some files lazily: os/exec opens /dev/null,
// time.Local reads /etc/localtime and zoneinfo, the resolver reads
// /etc/resolv.conf and /etc/hosts, crypto/x509 the CA certificates. When
// pledge commits, the paths promises.ImpliedPaths gives for the pledged
// promises are added. UnveilBlock does not know the promises yet; it adds
// the paths of stdio, dns and inet. Ruleset.Implied adds them on request.
// Every implied path is listed in the report, so nothing is granted
// silently; one that does not exist is listed as having no effect.
//
// # Network and scopes
//
// ConnectTCP and BindTCP (Landlock ABI 4) allow the listed ports and deny
// the rest; ConnectUDP and BindUDP need ABI 10. OnlyDNS narrows them to
// what a resolver needs (port 53), which package pledge applies to a
// pledge with "dns" and without "inet", as OpenBSD does. Landlock does not see MPTCP
// sockets, and net.Listen uses MPTCP by default since Go 1.24: a program
// that only unveils can still listen on any port that way. pledge closes
// the gap (its filter answers MPTCP sockets with an error and Go falls back
// to TCP); otherwise run with GODEBUG=multipathtcp=0. The report marks TCP
// rules partial while MPTCP is enabled in the kernel; merged with the
// report of a pledge (report.Report.Merge, in either order), or committed
// with one (pledge.Options.Unveil), they are enforced, closed by its filter.
//
// Scope (ABI 6) denies signals to, and abstract unix socket connections
// towards, processes outside the sandbox. A veil committed by UnveilBlock
// or by a pledge (pending unveils, pledge.Options.Unveil) has both by
// default, so that what is not unveiled is not reachable through an X11
// or D-Bus abstract socket or a signal either; signals are left open when
// the promises pledged with the commit include "proc" (UnveilBlock before
// any pledge does not know the promises and scopes signals too).
// Ruleset.Unscope opts out of them for pledge.Options.Unveil; a Ruleset
// committed with Commit or CommitThread has exactly the scopes asked with
// Scope. Below ABI 6 the default scopes are reported dropped
// (Require(Scopes) fails only for scopes asked with Scope). From ABI 8 (TSYNC) the process
// has one domain and scopes are enforced as asked. Below ABI 8 there is no way to
// give every thread the same Landlock domain: each thread restricts itself
// and gets a domain of its own, with the same rules. A signal to a process
// the program started, or a connection to an abstract socket it created
// itself, can then be refused when another thread started or created it;
// keep such pairs on one thread (runtime.LockOSThread). The report marks
// scopes partial on those kernels.
//
// # Landlock rights directly (Ruleset only)
//
// AllowFS adds a rule with Landlock filesystem rights instead of OpenBSD
// permissions, as a Landlock Config path_beneath rule does, and HandleFS
// chooses which rights a ruleset restricts (for example execution alone).
// Such rules add up with Unveil rules, as all Landlock rules do.
//
// CommitThread enforces a ruleset on the calling OS thread alone, for a
// launcher that executes a program right afterwards from that thread;
// Commit restricts every thread, as a running Go program needs.
//
// # Kernels without Landlock, or with an old one
//
// The internal probe verifies the Landlock ABI by creating a ruleset with
// every right of that ABI (some kernels report an ABI whose rights they
// reject). Whatever the kernel lacks is dropped and listed in the report.
// Without Landlock at all (not built in, ENOSYS; not enabled at boot,
// EOPNOTSUPP; or refused by a seccomp filter the process inherited, which
// the probe tells apart from a missing feature: probe.ErrLandlockRefused),
// UnveilBlock, and a pledge that commits pending unveils, fail with an
// error wrapping ErrLandlockUnavailable and the reason: a program that
// asked to hide the filesystem is told that it is not hidden, never left
// to run believing it is. A Ruleset keeps the best-effort contract: Commit
// succeeds with a report whose Landlock field is false and whose items say
// that nothing is restricted and why; with Require it fails instead,
// enforcing nothing.
//
// # Where Linux differs from OpenBSD
//
//   - Nothing is restricted until the commit; on OpenBSD the first unveil
//     already hides the rest of the filesystem. Unveils never committed
//     (no UnveilBlock, and no pledge without "unveil" afterwards) never
//     take effect; a pledge with "unveil" says in its report that pending
//     unveils are not in force yet.
//   - Denied access fails with EACCES, not ENOENT; a missing file is still
//     ENOENT. Callers can tell "hidden" from "absent".
//   - Metadata is not hidden: stat, access, readlink, chdir and friends
//     work on every path, and chmod, chown, utimes and extended attributes
//     are not restricted by path (pledge's fattr and chown promises govern
//     those calls). statfs is unrestricted, as on OpenBSD.
//   - Rules add up: a path gets the union of its own permissions and those
//     of every unveiled directory above it, where OpenBSD applies only the
//     nearest unveil. A narrower unveil beneath a wider one is therefore
//     reported as partial, with the permissions that really apply.
//   - Permissions "" hide a path only where no unveiled directory above it
//     grants anything; beneath one, Landlock cannot take access away and
//     Commit fails with ErrNotExpressible rather than grant it.
//   - A path that does not exist at commit gets no rule (Landlock names
//     files by inode): nothing is granted for it and the report says so.
//     To create a file, unveil its directory with c. Paths are resolved at
//     commit, not when Unveil is called.
//   - UnveilBlock does not lock: a later Unveil starts a new, narrower
//     layer (OpenBSD answers EPERM). A pledge without "unveil" does lock.
//   - The restriction survives exec and is inherited by child processes;
//     OpenBSD drops unveils on exec.
//   - There is no limit of 128 unveiled paths, but a limit of 16 layers.
//   - Files and directories opened before the commit stay usable through
//     their descriptors, as on OpenBSD.
//   - A layer committed together with a pledge whose promises cannot write
//     or truncate files (no "wpath": pending unveils committed by the
//     pledge, or pledge.Options.Unveil) and whose filter enforces them (not
//     PenaltyLog, not on a kernel without seccomp) does not handle
//     truncation: the pledge refuses truncate(2), O_TRUNC and opening for
//     writing itself,
//     and every open then stops its Landlock path walk at the rule that
//     grants it instead of walking to the root (an r rule never grants
//     truncate, which Landlock checks on every open). The report says so.
//
// # Not covered
//
// Landlock restricts what it names: opening, executing, creating,
// removing, renaming and linking by path, truncating (ABI 3), device
// ioctls (ABI 5), pathname unix socket connects (ABI 9), TCP (ABI 4) and
// UDP (ABI 10) ports, signals and abstract unix sockets (ABI 6). It does
// not restrict metadata, file descriptors passed in or opened before the
// commit, or socket families and protocols other than TCP and UDP (raw,
// netlink, MPTCP): those are pledge's job.
package unveil
