package promises

// Kernel constants the table examines. Every value here is the same on amd64
// and arm64 (the tests check each one against golang.org/x/sys/unix for both
// arches); values that differ between the two (O_DIRECTORY, O_NOFOLLOW,
// O_DIRECT, O_LARGEFILE and so O_TMPFILE) are deliberately never examined,
// so no rule needs Rule.Arch.

// open(2) flags (asm-generic/fcntl.h).
const (
	oAccmode  = 0o3
	oRdonly   = 0o0
	oWronly   = 0o1
	oRdwr     = 0o2
	oCreat    = 0o100
	oTrunc    = 0o1000
	oTmpfileB = 0o20000000 // __O_TMPFILE; O_TMPFILE adds O_DIRECTORY, whose value is per-arch
)

// Mode bits no pledged process may set (S_ISUID|S_ISGID|S_ISVTX).
const modeSpecial = 0o7000

// File types in a mode (linux/stat.h). mknod with a type of 0 makes a
// regular file, as S_IFREG does.
const (
	sIFMT   = 0o170000
	sIFREG  = 0o100000
	sIFIFO  = 0o010000
	sIFSOCK = 0o140000
)

// mmap/mprotect.
const (
	protRead      = 0x1
	protWrite     = 0x2
	protExec      = 0x4
	mapAnonymous  = 0x20
	protReadWrite = protRead | protWrite
)

// clone(2) flags.
const (
	cloneVM            = 0x100
	cloneFS            = 0x200
	cloneFiles         = 0x400
	cloneSighand       = 0x800
	clonePidfd         = 0x1000
	clonePtrace        = 0x2000
	cloneVfork         = 0x4000
	cloneParent        = 0x8000
	cloneThread        = 0x10000
	cloneNewNS         = 0x20000
	cloneUntraced      = 0x800000
	cloneNewCgroup     = 0x2000000
	cloneNewUTS        = 0x4000000
	cloneNewIPC        = 0x8000000
	cloneNewUser       = 0x10000000
	cloneNewPID        = 0x20000000
	cloneNewNet        = 0x40000000
	cloneThreadNeeds   = cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread
	cloneNamespaces    = cloneNewNS | cloneNewCgroup | cloneNewUTS | cloneNewIPC | cloneNewUser | cloneNewPID | cloneNewNet
	cloneThreadForbids = cloneNamespaces | clonePtrace | cloneUntraced | cloneVfork | cloneParent | clonePidfd
	cloneProcForbids   = cloneNamespaces | clonePtrace | cloneUntraced
)

// fcntl(2) commands.
const (
	fDupfd        = 0
	fGetfd        = 1
	fSetfd        = 2
	fGetfl        = 3
	fSetfl        = 4
	fGetlk        = 5
	fSetlk        = 6
	fSetlkw       = 7
	fSetown       = 8
	fGetown       = 9
	fSetsig       = 10
	fGetsig       = 11
	fSetownEx     = 15
	fGetownEx     = 16
	fOFDGetlk     = 36
	fOFDSetlk     = 37
	fOFDSetlkw    = 38
	fDupfdCloexec = 1030
	fSetpipeSz    = 1031
	fGetpipeSz    = 1032
)

// ioctl(2) requests (asm-generic/ioctls.h, used by both arches).
const (
	tcgets         = 0x5401
	tcsets         = 0x5402
	tcsetsw        = 0x5403
	tcsetsf        = 0x5404
	tcsbrk         = 0x5409
	tcxonc         = 0x540a
	tcflsh         = 0x540b
	tiocsctty      = 0x540e
	tiocgpgrp      = 0x540f
	tiocspgrp      = 0x5410
	tiocoutq       = 0x5411
	tiocsti        = 0x5412 // never allowed: injects input into the terminal
	tiocgwinsz     = 0x5413
	tiocswinsz     = 0x5414
	fionread       = 0x541b
	tioclinux      = 0x541c // never allowed: console selection/paste
	tiocnotty      = 0x5422
	tcsbrkp        = 0x5425
	tiocsbrk       = 0x5427
	tioccbrk       = 0x5428
	tiocgsid       = 0x5429
	tcgets2        = 0x802c542a
	tcsets2        = 0x402c542b
	tcsetsw2       = 0x402c542c
	tcsetsf2       = 0x402c542d
	tiocgptn       = 0x80045430
	tiocsptlck     = 0x40045431
	tiocgptpeer    = 0x5441
	fionbio        = 0x5421
	fionclex       = 0x5450
	fioclex        = 0x5451
	siocatmark     = 0x8905
	siocgifname    = 0x8910
	siocgifconf    = 0x8912
	siocgifflags   = 0x8913
	siocgifaddr    = 0x8915
	siocgifdstaddr = 0x8917
	siocgifbrdaddr = 0x8919
	siocgifnetmask = 0x891b
	siocgifmtu     = 0x8921
	siocgifhwaddr  = 0x8927
	siocgifindex   = 0x8933
)

// prctl(2) options.
const (
	prSetPdeathsig      = 1
	prGetPdeathsig      = 2
	prGetDumpable       = 3
	prSetDumpable       = 4
	prSetKeepcaps       = 8
	prSetName           = 15
	prGetName           = 16
	prGetSeccomp        = 21
	prSetSeccomp        = 22
	prCapbsetRead       = 23
	prCapbsetDrop       = 24
	prGetSecurebits     = 27
	prSetSecurebits     = 28
	prSetChildSubreaper = 36
	prGetChildSubreaper = 37
	prSetNoNewPrivs     = 38
	prGetNoNewPrivs     = 39
	prCapAmbient        = 47
	prSetVMA            = 0x53564d41
)

// Sockets.
const (
	afUnix    = 1
	afInet    = 2
	afInet6   = 10
	afNetlink = 16

	sockStream    = 1
	sockDgram     = 2
	sockRaw       = 3
	sockSeqpacket = 5
	sockNonblock  = 0x800
	sockCloexec   = 0x80000
	sockTypeMask  = 0xffffffff &^ (sockNonblock | sockCloexec)

	ipprotoIP     = 0
	ipprotoICMP   = 1
	ipprotoTCP    = 6
	ipprotoUDP    = 17
	ipprotoIPv6   = 41
	ipprotoICMPv6 = 58
	ipprotoMPTCP  = 262
	netlinkRoute  = 0

	solSocket  = 1
	solNetlink = 270

	soSndbufforce = 32
	soRcvbufforce = 33
)

// errno values used by Errno rules.
const (
	ePERM           = 1
	eNOSYS          = 38
	ePROTONOSUPPORT = 93
	eOPNOTSUPP      = 95
)

// Signals.
const (
	sigKillPgrp = 0  // kill(0, sig): the caller's own process group
	sigPsx      = 33 // SIGRTMIN+1: libpsx's (and glibc's setxid) all-threads signal
)

// *at(2) flags and descriptors.
const (
	atEmptyPath = 0x1000
	// The sign bit of a 32-bit descriptor argument: set for AT_FDCWD
	// (-100) and every other negative value, clear for a descriptor.
	fdSignBit = 0x80000000
)

// renameat2(2) flags.
const renameWhiteout = 0x4

// getrlimit/prlimit64 resources (asm-generic/resource.h).
const rlimitNofile = 7
