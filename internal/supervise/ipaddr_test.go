package supervise

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// ipString formats every address as net/netip does: crafted ones (zero
// runs at the start, the end, equal runs, single zero groups, mapped and
// compatible IPv4) and random ones with zero groups sprinkled in.
func TestIPStringMatchesNetip(t *testing.T) {
	check := func(b []byte) {
		t.Helper()
		var want string
		if len(b) == 4 {
			want = netip.AddrFrom4([4]byte(b)).String()
		} else {
			want = netip.AddrFrom16([16]byte(b)).String()
		}
		if got := ipString(b); got != want {
			t.Errorf("ipString(%x) = %q, want %q", b, got, want)
		}
	}
	for _, s := range []string{"0.0.0.0", "127.0.0.1", "255.255.255.255", "10.0.200.3",
		"::", "::1", "1::", "2001:db8::1", "2001:db8:0:1:1:1:1:1", "2001:0:0:1::1", "1:0:0:2:0:0:0:3",
		"1:0:0:2:0:0:3:4", "0:0:1::", "fe80::1:2", "::ffff:1.2.3.4", "::ffff:0.0.0.0", "::1.2.3.4", "::ffff:0:1.2.3.4",
		"ff02::fb", "1:2:3:4:5:6:7:8", "0:1:0:1:0:1:0:1", "abcd:ef01::"} {
		a := netip.MustParseAddr(s)
		if a.Is4() {
			b := a.As4()
			check(b[:])
		} else {
			b := a.As16()
			check(b[:])
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b [16]byte
		for i := 0; i < 8; i++ {
			if r.IntN(2) == 0 {
				b[2*i], b[2*i+1] = byte(r.IntN(256)), byte(r.IntN(3))
			}
		}
		if r.IntN(10) == 0 {
			b = [16]byte{10: 0xff, 11: 0xff, 12: byte(r.IntN(256)), 15: byte(r.IntN(256))}
		}
		check(b[:])
		check(b[:4])
	}
}
