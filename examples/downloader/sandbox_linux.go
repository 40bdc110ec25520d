package main

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/pledge"
	"github.com/pledgekit/pledgekit/report"
	"github.com/pledgekit/pledgekit/unveil"
)

// applySandbox confines the calling child with one call: pledge.Apply
// commits the Landlock layer (Options.Unveil; enforcing it needs system
// calls the seccomp filter denies, so it goes first) and then installs the
// filter, and returns one report for both. Committing the layer inside the
// pledge rather than before it spares the child a process start: a commit
// before the first pledge must launch the violation supervisor in case
// the pledge wants one, and these children pledge with PenaltyKill.
func applySandbox(p sandboxPolicy) (*report.Report, error) {
	if p.Disable {
		r := &report.Report{Arch: runtime.GOARCH, Kernel: kernelRelease(), NoNewPrivs: noNewPrivsSet()}
		r.Add(report.LayerLandlockFS, "file-system confinement", report.Dropped, "disabled by --disable-sandbox")
		r.Add(report.LayerLandlockNet, "network confinement", report.Dropped, "disabled by --disable-sandbox")
		r.Add(report.LayerSeccomp, "pledge "+p.Promises, report.Dropped, "disabled by --disable-sandbox")
		return r, nil
	}
	rep := &report.Report{}
	var rs *unveil.Ruleset
	if p.SimulateNoLandlock {
		// What unveil reports on a kernel without Landlock (tests only).
		rep = &report.Report{Arch: runtime.GOARCH, Kernel: kernelRelease()}
		rep.Add(report.LayerLandlockFS, "paths", report.Dropped, "Landlock is not available on this kernel (simulated)")
		rep.Add(report.LayerLandlockNet, "tcp", report.Dropped, "Landlock is not available on this kernel (simulated)")
	} else {
		var err error
		if rs, err = unveilRuleset(p); err != nil {
			return rep, fmt.Errorf("unveil: %w", err)
		}
	}
	pen := pledge.PenaltyKill
	if p.ErrnoPenalty {
		pen = pledge.PenaltyEPERM
	}
	fb := pledge.FallbackPenalty
	if !p.Require {
		fb |= pledge.FallbackNoSeccomp
	}
	pr, err := pledge.Apply(pledge.Options{Promises: p.Promises, Execpromises: p.ExecPromises, Penalty: pen, Fallback: fb, Unveil: rs})
	if pr != nil {
		rep.Merge(*pr)
	}
	if err != nil {
		return rep, fmt.Errorf("sandbox (unveil, then pledge %q): %w", p.Promises, err)
	}
	rep.NoNewPrivs = noNewPrivsSet()
	return rep, nil
}

// unveilRuleset builds the one Landlock layer: the read-only and
// read-write paths, TCP connect and UDP send to the given ports only, no
// TCP bind and no UDP bind but the implicit one, and the signal and
// abstract-socket scopes.
func unveilRuleset(p sandboxPolicy) (*unveil.Ruleset, error) {
	rs := unveil.New()
	for _, path := range p.ReadOnly {
		if err := rs.Unveil(path, "r"); err != nil {
			return nil, err
		}
	}
	for _, dir := range p.ReadWrite {
		if err := rs.Unveil(dir, "rwc"); err != nil {
			return nil, err
		}
	}
	if p.NoNetwork {
		rs.ConnectTCP()
		rs.ConnectUDP()
	} else {
		rs.ConnectTCP(p.ConnectTCP...)
		rs.ConnectUDP(p.ConnectUDP...)
	}
	rs.BindTCP()
	if len(p.ConnectUDP) > 0 && !p.NoNetwork {
		rs.BindUDP(0) // the implicit bind of a first datagram
	} else {
		rs.BindUDP()
	}
	rs.Scope(unveil.ScopeSignal, unveil.ScopeAbstractUnix)
	if p.Require {
		// What this design relies on; unix-socket path rules (ABI 9) and
		// UDP (ABI 10) are not needed: pledge without "unix" denies unix
		// sockets, and the downloader uses TCP only.
		rs.Require(unveil.Paths, unveil.Truncate, unveil.TCP, unveil.Scopes)
	}
	return rs, nil
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
