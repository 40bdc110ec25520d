package unveil

import (
	"slices"
	"testing"
)

// OnlyDNS never allows more than the rules it narrows.
func TestOnlyDNSNarrows(t *testing.T) {
	r := New().OnlyDNS()
	if !r.connectTCP.on || !slices.Equal(r.connectTCP.ports, []uint16{53}) ||
		!r.bindTCP.on || len(r.bindTCP.ports) != 0 ||
		!r.sendUDP.on || !slices.Equal(r.sendUDP.ports, []uint16{53}) ||
		!r.bindUDP.on || !slices.Equal(r.bindUDP.ports, []uint16{0}) {
		t.Errorf("fresh ruleset: %+v %+v %+v %+v", r.connectTCP, r.bindTCP, r.sendUDP, r.bindUDP)
	}
	r = New().ConnectTCP(443).BindTCP(8080).ConnectUDP(53, 123).BindUDP(5353).OnlyDNS()
	if !r.connectTCP.on || len(r.connectTCP.ports) != 0 || len(r.bindTCP.ports) != 0 ||
		!slices.Equal(r.sendUDP.ports, []uint16{53}) || !r.bindUDP.on || len(r.bindUDP.ports) != 0 {
		t.Errorf("narrowed ruleset: %+v %+v %+v %+v", r.connectTCP, r.bindTCP, r.sendUDP, r.bindUDP)
	}
}
