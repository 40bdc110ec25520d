package policy

import (
	"os"
	"testing"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// Expected results of the format's own examples, derived by hand:
//
//	abi.read_execute = execute, read_file, read_dir (+ refer from abi 2)
//	abi.read_write   = abi.all minus execute
//	abi.all at abi 5 = the 13 ABI-1 rights + refer + truncate + ioctl_dev
//	rule rights are added to the handled rights.
func TestExamples(t *testing.T) {
	abi1 := llaccess.FSExecute | llaccess.FSWriteFile | llaccess.FSReadFile | llaccess.FSReadDir | llaccess.FSRemoveDir | llaccess.FSRemoveFile |
		llaccess.FSMakeChar | llaccess.FSMakeDir | llaccess.FSMakeReg | llaccess.FSMakeSock | llaccess.FSMakeFifo | llaccess.FSMakeBlock | llaccess.FSMakeSym
	all5 := abi1 | llaccess.FSRefer | llaccess.FSTruncate | llaccess.FSIoctlDev
	rx := llaccess.FSExecute | llaccess.FSReadFile | llaccess.FSReadDir | llaccess.FSRefer
	rw5 := all5 &^ llaccess.FSExecute
	sys := func(extra map[string]uint64) map[string]uint64 {
		m := map[string]uint64{".": rx, "/bin": rx, "/lib": rx, "/usr": rx, "/dev": rx, "/etc": rx, "/proc": rx}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	noPorts := map[uint64]uint64{}
	verboseTmp := llaccess.FSWriteFile | llaccess.FSReadFile | llaccess.FSReadDir | llaccess.FSRemoveDir | llaccess.FSRemoveFile | llaccess.FSMakeDir |
		llaccess.FSMakeReg | llaccess.FSMakeSock | llaccess.FSMakeFifo | llaccess.FSMakeSym | llaccess.FSRefer | llaccess.FSTruncate
	tests := map[string]*Resolved{
		"micro-var.toml": {ABI: 5, HandledFS: all5, Ports: noPorts, Paths: sys(map[string]uint64{
			"/tmp": rw5, "/var/tmp": rw5, "/root": rw5, "/home": rw5})},
		// Its comment mentions bind_tcp, but nothing in it handles network rights.
		"micro-write-tmp.toml": {ABI: 5, HandledFS: all5, Ports: noPorts, Paths: sys(map[string]uint64{"/tmp": rw5})},
		"mini-scoped.json": {ABI: 6, HandledNet: llaccess.NetBindTCP | llaccess.NetConnectTCP,
			Scoped: llaccess.ScopeAbstractUnixSocket | llaccess.ScopeSignal, Paths: map[string]uint64{}, Ports: noPorts},
		"mini-write-tmp.json": {ABI: 5, HandledFS: all5, HandledNet: llaccess.NetBindTCP,
			Paths: sys(map[string]uint64{"/tmp": rw5}), Ports: map[uint64]uint64{80: llaccess.NetBindTCP, 443: llaccess.NetBindTCP}},
		"mini-write-tmp.toml": {ABI: 5, HandledFS: all5, HandledNet: llaccess.NetBindTCP,
			Paths: sys(map[string]uint64{"/tmp": rw5}), Ports: map[uint64]uint64{80: llaccess.NetBindTCP, 443: llaccess.NetBindTCP}},
		// No abi: only explicit names, all 16 of them handled.
		"verbose-write-tmp.json": {ABI: 0, HandledFS: all5, Ports: noPorts, Paths: sys(map[string]uint64{"/tmp": verboseTmp})},
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := Load(exDir + name)
			if err != nil {
				t.Fatal(err)
			}
			sameResolved(t, r, want)
		})
	}
}

// Every file shipped in the examples directory is covered above.
func TestExamplesAllCovered(t *testing.T) {
	ents, err := readDirNames(exDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 6 {
		t.Errorf("examples directory has %d files, TestExamples covers 6: %v", len(ents), ents)
	}
}

func readDirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out, nil
}
