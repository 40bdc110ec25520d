package probe

import (
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// The feature table agrees with the rights tables: a feature is listed
// for an ABI exactly when that ABI has its rights.
func TestLandlockFeaturesMatchRights(t *testing.T) {
	for abi := 0; abi <= MaxKnownLandlockABI; abi++ {
		r := &Result{LandlockABI: abi}
		checks := map[string]bool{
			"paths":        llaccess.Mask(llaccess.FS, abi) != 0,
			"refer":        llaccess.Mask(llaccess.FS, abi)&(1<<13) != 0,
			"truncate":     llaccess.Mask(llaccess.FS, abi)&(1<<14) != 0,
			"tcp":          llaccess.Mask(llaccess.Net, abi)&llaccess.NetConnectTCP != 0,
			"ioctl_dev":    llaccess.Mask(llaccess.FS, abi)&(1<<15) != 0,
			"scopes":       llaccess.Mask(llaccess.Scope, abi) != 0,
			"unix_sockets": llaccess.Mask(llaccess.FS, abi)&llaccess.FSResolveUnix != 0,
			"udp":          llaccess.Mask(llaccess.Net, abi)&llaccess.NetConnectSendUDP != 0,
		}
		for name, want := range checks {
			if got := r.Has(name); got != want {
				t.Errorf("ABI %d: Has(%q) = %v, the rights tables say %v", abi, name, got, want)
			}
		}
	}
	if LandlockFeatureABI("tsync") != 8 || LandlockFeatureABI("restrict_nnp") != 11 || LandlockFeatureABI("nonsense") != 0 {
		t.Errorf("flag features: tsync %d, restrict_nnp %d, unknown %d", LandlockFeatureABI("tsync"), LandlockFeatureABI("restrict_nnp"), LandlockFeatureABI("nonsense"))
	}
	r := &Result{LandlockABI: 7}
	if got := landlockFeatureNames(7, false); got != "tsync(8) unix_sockets(9) udp(10) restrict_nnp(11)" {
		t.Errorf("missing at ABI 7: %q", got)
	}
	if l := r.LandlockFeatureList(); len(l) != 6 || l[5] != "scopes" {
		t.Errorf("features at ABI 7: %v", l)
	}
}

// LandlockFeatureABI, which does not build the list, answers as the list
// does for every feature, and 0 for a name it lacks.
func TestLandlockFeatureABIMatchesList(t *testing.T) {
	for _, f := range LandlockFeatures() {
		if got := LandlockFeatureABI(f.Name); got != f.ABI {
			t.Errorf("LandlockFeatureABI(%q) = %d, the list says %d", f.Name, got, f.ABI)
		}
	}
	if got := LandlockFeatureABI(""); got != 0 {
		t.Errorf("LandlockFeatureABI(\"\") = %d", got)
	}
}

// The JSON form and the table list the features in force and missing.
func TestLandlockFeaturesShown(t *testing.T) {
	r := &Result{LandlockABI: 8, LandlockReportedABI: 8}
	b, err := r.JSON()
	if err != nil || !strings.Contains(string(b), `"landlock_features": [`) || !strings.Contains(string(b), `"tsync"`) || strings.Contains(string(b), `"udp"`) {
		t.Errorf("JSON: %v\n%s", err, b)
	}
	if s := r.String(); !strings.Contains(s, "tsync(8)") || !strings.Contains(s, "missing  unix_sockets(9) udp(10) restrict_nnp(11)") {
		t.Errorf("table:\n%s", s)
	}
	if !r.LandlockTSync() || r.LandlockRestrictNoNewPrivs() || (&Result{LandlockABI: 5, LandlockReportedABI: 8}).LandlockTSync() {
		t.Error("TSYNC / restrict_nnp decisions")
	}
}
