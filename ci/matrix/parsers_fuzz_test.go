package main

import (
	"regexp"
	"testing"
)

// FuzzHostParsers: the parsers of apt and kernel-config output never panic,
// and what they return is consistent with their input.
func FuzzHostParsers(f *testing.F) {
	f.Add("linux-image-6.1.0-57-cloud-amd64-unsigned - Linux 6.1\n", "x:amd64:\n  Candidate: 6.1.192-3\n", `CONFIG_LSM="landlock,yama"`)
	f.Add("", "", "")
	f.Add(" - \n-\n", "a:\nCandidate:\n  Candidate: (none)\n", "CONFIG_LSM=,,landlock,,")
	f.Add("linux-binary-unsigned-7.3.4+deb13-arm64 - Linux 7.3.4\nlinux-image-7.3.4+deb13-arm64 - Linux 7.3.4\n",
		"linux-binary-7.3.4+deb13-arm64:arm64:\n  Installed: (none)\n  Candidate: 7.3.4-1~bpo13+1\n  Version table:\n     7.3.4-1~bpo13+1 100\n", "")
	res := []*regexp.Regexp{kernelPackageRE("6.1", "amd64"), kernelPackageRE("7.3", "arm64")}
	any := regexp.MustCompile(`.`)
	f.Fuzz(func(t *testing.T, search, policy, config string) {
		for _, re := range res {
			for _, n := range parseAptSearch(search, re) {
				if !re.MatchString(n) {
					t.Fatalf("parseAptSearch returned non-matching %q", n)
				}
			}
		}
		_ = parseAptSearch(search, any)
		for k, v := range parseAptPolicy(policy) {
			if k == "" || v == "" || v == "(none)" {
				t.Fatalf("parseAptPolicy gave %q=%q", k, v)
			}
		}
		if l, err := lsmWithoutLandlock(config); err == nil {
			if l == "" || regexp.MustCompile(`(^|,)landlock(,|$)`).MatchString(l) {
				t.Fatalf("lsmWithoutLandlock(%q) = %q", config, l)
			}
		}
	})
}
