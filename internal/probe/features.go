package probe

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pledgekit/pledgekit/internal/llaccess"
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
// ABI first: those that bring rights, from internal/llaccess's table,
// and the landlock_restrict_self flags. It is the one table of feature
// names and ABIs. The list is built on first use (building it at package
// initialisation cost every launch of the unveil command ~50 µs, most of
// it faulting in the table and fresh heap) and shared: callers must not
// modify it.
var LandlockFeatures = sync.OnceValue(landlockFeatures)

// restrictFlagFeatures are the features that are flags of
// landlock_restrict_self, not rights.
var restrictFlagFeatures = []LandlockFeature{
	{"tsync", 8, "LANDLOCK_RESTRICT_SELF_TSYNC: one landlock_restrict_self for every thread"},
	{"restrict_nnp", 11, "LANDLOCK_RESTRICT_SELF_NO_NEW_PRIVS"},
}

func landlockFeatures() []LandlockFeature {
	var out []LandlockFeature
	for _, f := range llaccess.Features() {
		var uapi []string
		for _, r := range f.Rights {
			uapi = append(uapi, r.UAPI)
		}
		out = append(out, LandlockFeature{f.Name, f.ABI, strings.Join(uapi, ", ")})
	}
	out = append(out, restrictFlagFeatures...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ABI < out[j].ABI })
	return out
}

// LandlockFeatureABI returns the first Landlock ABI that has the feature
// named name, or 0 for a name LandlockFeatures does not list. It does not
// build the list (the rights table answers for features that bring
// rights).
func LandlockFeatureABI(name string) int {
	for _, f := range restrictFlagFeatures {
		if f.Name == name {
			return f.ABI
		}
	}
	return llaccess.FeatureABI(name)
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
	for _, f := range LandlockFeatures() {
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
	for _, f := range LandlockFeatures() {
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
