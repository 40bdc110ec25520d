package unveil

// TEMPORARY SHIM: promises.ImpliedPaths is being written by the promises
// helper. Until it lands, this file holds a minimal table with the same
// meaning; when it lands, impliedPaths becomes a thin conversion of
// promises.ImpliedPaths and this table goes away.

import "github.com/pledgekit/pledgekit/promises"

// impliedPath is one path a promise implies, with unveil permissions.
type impliedPath struct {
	Path    string
	Perm    string
	Promise promises.Promise
}

var shimImplied = map[promises.Promise][]impliedPath{
	promises.Stdio: {
		{Path: "/dev/null", Perm: "rw"},          // os/exec's nil Stdin/Stdout
		{Path: "/etc/localtime", Perm: "r"},      // time.Local, lazily
		{Path: "/usr/share/zoneinfo", Perm: "r"}, // time.LoadLocation
	},
	promises.DNS: {
		{Path: "/etc/resolv.conf", Perm: "r"},
		{Path: "/etc/hosts", Perm: "r"},
		{Path: "/etc/nsswitch.conf", Perm: "r"},
		{Path: "/etc/services", Perm: "r"},
	},
	promises.Inet: {
		{Path: "/etc/ssl/certs", Perm: "r"}, // crypto/x509 system roots
		{Path: "/etc/pki/tls/certs", Perm: "r"},
		{Path: "/etc/ssl/cert.pem", Perm: "r"},
	},
}

func impliedPaths(ps promises.Set) []impliedPath {
	var out []impliedPath
	for _, p := range ps.Promises() {
		for _, ip := range shimImplied[p] {
			ip.Promise = p
			out = append(out, ip)
		}
	}
	return out
}
