//go:build linux

package main

import (
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/pledgekit/pledgekit/internal/probe"
	"github.com/pledgekit/pledgekit/internal/promfacts"
	"github.com/pledgekit/pledgekit/internal/reportlink"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// mptcpItem is a report of one TCP port item as unveil writes it while
// the kernel hands out MPTCP sockets: Partial, marked open for MPTCP.
func mptcpItem() report.Report {
	var r report.Report
	r.Add(report.LayerLandlockNet, "tcp bind ports 443", report.Partial, "Landlock does not see MPTCP sockets")
	reportlink.Mark(&r.Items[0], reportlink.MPTCP)
	return r
}

// TestPlanClosesMPTCP: the command's filter answers MPTCP sockets with an
// errno as pledge's does (promfacts.RefusesMPTCP, one decision for both),
// so the plan closes the MPTCP hole of unveil's TCP port items and the
// stage's report says so; a plan without a filter closes nothing and the
// item stays partial.
func TestPlanClosesMPTCP(t *testing.T) {
	if !probe.Get().Seccomp {
		t.Skip("no seccomp: the command has no filter to close anything")
	}
	tr := need(t, "true")
	p, err := buildPlan(&config{argv: []string{tr}, promises: []string{"stdio inet"}, promisesSet: true, tcpBind: []uint16{443}}, modeDirect)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Filtered || len(p.Closes) != 1 || p.Closes[0] != reportlink.MPTCP {
		t.Fatalf("filtered %v: closes %v, want [%s]", p.Filtered, p.Closes, reportlink.MPTCP)
	}
	// The plan travels to the stage as JSON: the holes it closes too.
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var back plan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]*plan{"parent": p, "stage": &back} {
		got := q.settle(mptcpItem()).Items[0]
		if got.Status != report.Enforced || !strings.HasSuffix(got.Reason, "closed by "+reportlink.How[reportlink.MPTCP]) {
			t.Errorf("%s: the filter does not close the MPTCP item: %+v", name, got)
		}
	}
	// Merged into the plan's report after the stage settled it, as
	// enforceLayer does, the item stays closed.
	rep := report.Report{}
	rep.Merge(back.settle(mptcpItem()))
	if rep.Items[0].Status != report.Enforced {
		t.Errorf("merged: %+v", rep.Items[0])
	}
	// No filter: nothing refuses MPTCP, the item stays partial.
	unfiltered := &plan{}
	if got := unfiltered.settle(mptcpItem()).Items[0]; got.Status != report.Partial {
		t.Errorf("without a filter the MPTCP item is %+v, want partial", got)
	}
}

// TestMPTCPUnderCommand: on the real kernel, with a TCP bind rule under
// the command, an MPTCP socket is refused (EPROTONOSUPPORT) and the report
// shows unveil's TCP item as enforced, closed by the filter; unsandboxed,
// the same MPTCP socket is created (the hole the filter closes is real).
func TestMPTCPUnderCommand(t *testing.T) {
	needKernel(t)
	if probe.Get().LandlockABI < 4 {
		t.Skip("no Landlock TCP rules (ABI 4) on this kernel")
	}
	if b, err := os.ReadFile("/proc/sys/net/mptcp/enabled"); err != nil || strings.TrimSpace(string(b)) != "1" {
		t.Skip("MPTCP is not enabled in this kernel: no hole to close")
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, unix.IPPROTO_MPTCP)
	if err != nil {
		t.Skipf("cannot create an MPTCP socket unsandboxed: %v", err)
	}
	unix.Close(fd)
	py := need(t, "python3")
	const script = "import socket\ntry:\n socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262); print('mptcp created')\nexcept OSError as e: print('mptcp', e.errno)"
	r := unveil(t, "--report", "--json", "-p", "stdio rpath inet", "--tcp-bind", "8443", "-v", "/usr/lib", "--", py, "-c", script)
	wantOK(t, r)
	if got, want := strings.TrimSpace(r.stdout), "mptcp "+strconv.Itoa(int(unix.EPROTONOSUPPORT)); got != want {
		t.Errorf("MPTCP socket under the command: %q, want %q\n%v", got, want, r)
	}
	var rep report.Report
	if err := json.NewDecoder(strings.NewReader(r.stderr)).Decode(&rep); err != nil {
		t.Fatalf("report: %v\n%v", err, r)
	}
	found := false
	for _, it := range rep.Items {
		if it.Layer != report.LayerLandlockNet || !strings.HasPrefix(it.What, "tcp bind ports 8443") {
			continue
		}
		found = true
		if it.Status != report.Enforced || !strings.Contains(it.Reason, "closed by "+reportlink.How[reportlink.MPTCP]) {
			t.Errorf("unveil's TCP item under the command's filter: %+v, want enforced, closed by the filter", it)
		}
	}
	if !found {
		t.Errorf("no TCP port item of unveil's in the report:\n%s", r.stderr)
	}
}

// TestUnixDatagramItem: the command's "unix datagrams by path" item is the
// library's (promfacts.UnixDatagramsItem, which package pledge reports
// too): present, with the same wording, where the promises leave the hole
// and this kernel's Landlock cannot close it, absent where the promises
// do not leave it.
func TestUnixDatagramItem(t *testing.T) {
	if !probe.Get().Seccomp {
		t.Skip("no seccomp: no filter leaves anything")
	}
	tr := need(t, "true")
	abi := probe.Get().LandlockABI
	for _, ps := range []string{"stdio rpath inet", "stdio rpath", "stdio rpath unix"} {
		p, err := buildPlan(&config{argv: []string{tr}, promises: []string{ps}, promisesSet: true}, modeDirect)
		if err != nil {
			t.Fatal(err)
		}
		var got []report.Item
		for _, it := range p.rep.Items {
			if it.What == "unix datagrams by path" {
				got = append(got, it)
			}
		}
		set := promises.MustParse(ps)
		if !promises.UnixDatagramsByPath.In(set, runtime.GOARCH) || abi >= 9 {
			if len(got) != 0 {
				t.Errorf("%q: datagram item %+v, want none (ABI %d)", ps, got, abi)
			}
			continue
		}
		want := promfacts.UnixDatagramsItem(abi, "")
		if len(got) != 1 || got[0] != want {
			t.Errorf("%q: datagram items %+v, want the library's %+v", ps, got, want)
		}
	}
}
