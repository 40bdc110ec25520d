package unveil

import (
	"slices"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// DNSPort is the one remote port a "dns" pledge without "inet" reaches,
// as on OpenBSD, whose kernel pins the sockets of such a pledge to it.
const DNSPort = 53

// dnsKeep is, per network right, the one port OnlyDNS allows (-1: none):
// connects and sends to port 53; UDP binds to a kernel-chosen port (0,
// also what the first send of an unbound socket binds); no TCP bind.
var dnsKeep = map[uint64]int{llaccess.NetConnectTCP: DNSPort, llaccess.NetConnectSendUDP: DNSPort, llaccess.NetBindUDP: 0, llaccess.NetBindTCP: -1}

// OnlyDNS narrows the ruleset's network rules to what a resolver needs,
// as OpenBSD does for a "dns" pledge without "inet": TCP connects and UDP
// connects/sends to port 53 only, no TCP bind, and UDP binds to a
// kernel-chosen port only (port 0). Port rules already in the ruleset
// keep only those ports, so the result never allows more than either.
//
// TCP needs Landlock ABI 4 and UDP ABI 10; Commit reports what this
// kernel cannot restrict (or fails, for protections named in Require).
func (r *Ruleset) OnlyDNS() *Ruleset {
	for _, k := range []struct {
		set *portSet
		bit uint64
	}{{&r.connectTCP, llaccess.NetConnectTCP}, {&r.bindTCP, llaccess.NetBindTCP}, {&r.sendUDP, llaccess.NetConnectSendUDP}, {&r.bindUDP, llaccess.NetBindUDP}} {
		k.set.ports = narrowToDNS(k.bit, k.set.on, k.set.ports)
		k.set.on = true
	}
	return r
}

// narrowToDNS returns what OnlyDNS leaves of a port rule for the network
// right access (one LANDLOCK_ACCESS_NET_* bit): the ports allowed, every
// other denied. handled says whether the rule denied every port but ports
// before; if not, every port was allowed. For a program that keeps its
// own port rules (cmd/unveil, through unveillink.NarrowToDNS).
func narrowToDNS(access uint64, handled bool, ports []uint16) []uint16 {
	keep, known := dnsKeep[access]
	if !known || keep < 0 || handled && !slices.Contains(ports, uint16(keep)) {
		return nil
	}
	return []uint16{uint16(keep)}
}
