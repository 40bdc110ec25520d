package probe

import (
	"fmt"
	"strings"
)

// LandlockFeature is one thing a Landlock ABI added that pledgekit uses,
// under the name the reports, `unveil probe` and unveil.Protection give
// it.
type LandlockFeature struct {
	Name string // e.g. "tcp", "tsync"
	ABI  int    // the first Landlock ABI that has it
	What string // the uapi name(s), for readers of the probe table
}

// LandlockFeatures lists every Landlock feature pledgekit uses, oldest
// ABI first. It is the one table of feature names and ABIs.
var LandlockFeatures = []LandlockFeature{
	{"paths", 1, "filesystem access rights (LANDLOCK_ACCESS_FS_*)"},
	{"refer", 2, "LANDLOCK_ACCESS_FS_REFER"},
	{"truncate", 3, "LANDLOCK_ACCESS_FS_TRUNCATE"},
	{"tcp", 4, "LANDLOCK_ACCESS_NET_BIND_TCP, LANDLOCK_ACCESS_NET_CONNECT_TCP"},
	{"ioctl_dev", 5, "LANDLOCK_ACCESS_FS_IOCTL_DEV"},
	{"scopes", 6, "LANDLOCK_SCOPE_SIGNAL, LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET"},
	{"tsync", 8, "LANDLOCK_RESTRICT_SELF_TSYNC: one landlock_restrict_self for every thread"},
	{"unix_sockets", 9, "LANDLOCK_ACCESS_FS_RESOLVE_UNIX"},
	{"udp", 10, "LANDLOCK_ACCESS_NET_BIND_UDP, LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP"},
	{"restrict_nnp", 11, "LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS"},
}

// LandlockFeatureABI returns the first Landlock ABI that has the feature
// named name, or 0 for a name LandlockFeatures does not list.
func LandlockFeatureABI(name string) int {
	for _, f := range LandlockFeatures {
		if f.Name == name {
			return f.ABI
		}
	}
	return 0
}

// Has reports whether the verified Landlock ABI has the feature named
// name.
func (r *Result) Has(name string) bool {
	abi := LandlockFeatureABI(name)
	return abi > 0 && r.LandlockABI >= abi
}

// landlockFeatureNames lists the features Landlock ABI abi has (have) or
// lacks (!have), each as name(ABI).
func landlockFeatureNames(abi int, have bool) string {
	var out []string
	for _, f := range LandlockFeatures {
		if (abi >= f.ABI) == have {
			out = append(out, fmt.Sprintf("%s(%d)", f.Name, f.ABI))
		}
	}
	if len(out) == 0 {
		return "-"
	}
	return strings.Join(out, " ")
}

// LandlockFeatureList returns the names of the features the verified
// Landlock ABI has, oldest first (empty without Landlock).
func (r *Result) LandlockFeatureList() []string {
	out := []string{}
	for _, f := range LandlockFeatures {
		if r.LandlockABI >= f.ABI {
			out = append(out, f.Name)
		}
	}
	return out
}

// LandlockTSync reports whether go-landlock enforces a whole-process
// layer with one landlock_restrict_self and LANDLOCK_RESTRICT_SELF_TSYNC
// (one domain for the process) rather than a psx round (a domain per
// thread). go-landlock decides on the ABI the kernel reports, downgraded
// to 5 without the signal-scoping erratum, as this probe does; the probe
// may step further down when the kernel rejects rights, go-landlock does
// not, hence the reported ABI.
func (r *Result) LandlockTSync() bool {
	return r.LandlockABI >= 6 && r.LandlockReportedABI >= LandlockFeatureABI("tsync")
}

// LandlockRestrictNoNewPrivs reports whether landlock_restrict_self sets
// no_new_privs itself (LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS), as
// go-landlock then has it do (decided as for LandlockTSync).
func (r *Result) LandlockRestrictNoNewPrivs() bool {
	return r.LandlockABI >= 6 && r.LandlockReportedABI >= LandlockFeatureABI("restrict_nnp")
}
