package llaccess

import (
	"io/fs"
	"strconv"
	"strings"
	"testing"
)

// Per kind, the bits run from 1<<0 without a gap, in table order, and
// names and bits round-trip.
func TestNamesRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds {
		var all uint64
		for i, r := range Rights(k) {
			if r.Bit != 1<<i {
				t.Errorf("%s %s has bit %#x, want %#x (bit order)", k, r.Name, r.Bit, uint64(1)<<i)
			}
			got, ok := Lookup(k, r.Name)
			if !ok || got != r {
				t.Errorf("Lookup(%s, %q) = %+v %v", k, r.Name, got, ok)
			}
			if n := Names(k, r.Bit); len(n) != 1 || n[0] != r.Name {
				t.Errorf("Names(%s, %#x) = %v", k, r.Bit, n)
			}
			if seen[r.UAPI] || !strings.HasPrefix(r.UAPI, "LANDLOCK_") {
				t.Errorf("uapi name %q repeated or malformed", r.UAPI)
			}
			seen[r.UAPI] = true
			if r.ABI < 1 || r.ABI > MaxABI || r.Feature == "" {
				t.Errorf("%s: ABI %d, feature %q", r.Name, r.ABI, r.Feature)
			}
			if r.File && k != FS {
				t.Errorf("%s: File set on a %s right", r.Name, k)
			}
			all |= r.Bit
		}
		if all != Known(k) {
			t.Errorf("%s: Known %#x, rows %#x", k, Known(k), all)
		}
		names := Names(k, all)
		var back uint64
		for _, n := range names {
			r, ok := Lookup(k, n)
			if !ok {
				t.Errorf("%s: %q does not look up", k, n)
			}
			back |= r.Bit
		}
		if back != all || len(names) != len(Rights(k)) {
			t.Errorf("%s: %v round-trips to %#x, want %#x", k, names, back, all)
		}
		if _, ok := Lookup(k, "nonsense"); ok {
			t.Errorf("%s: nonsense looks up", k)
		}
	}
	if _, ok := Lookup(Net, "read_file"); ok {
		t.Error("a filesystem name looks up as a network right")
	}
	if got := strings.Join(Names(FS, FSExecute|1<<40), " "); got != "execute bit40" {
		t.Errorf("unknown bits print as %q", got)
	}
	if got := Names(FS, 0); got == nil || len(got) != 0 {
		t.Errorf("Names(0) = %#v, want empty non-nil", got)
	}
}

// The ABI history, written out by hand: ABI 1 has 13 filesystem rights, 2
// adds refer, 3 truncate, 4 the TCP rights, 5 ioctl_dev, 6 the scopes, 9
// resolve_unix, 10 the UDP rights; 7, 8 and 11 add none.
func TestABIHistory(t *testing.T) {
	wantFS := map[int]uint64{0: 0, 1: 1<<13 - 1, 2: 1<<14 - 1, 3: 1<<15 - 1, 4: 1<<15 - 1, 5: 1<<16 - 1, 6: 1<<16 - 1,
		7: 1<<16 - 1, 8: 1<<16 - 1, 9: 1<<17 - 1, 10: 1<<17 - 1, 11: 1<<17 - 1}
	for abi, want := range wantFS {
		if got := Mask(FS, abi); got != want {
			t.Errorf("ABI %d fs %#x, want %#x", abi, got, want)
		}
		wantNet := uint64(0)
		if abi >= 4 {
			wantNet = NetBindTCP | NetConnectTCP
		}
		if abi >= 10 {
			wantNet |= NetBindUDP | NetConnectSendUDP
		}
		if got := Mask(Net, abi); got != wantNet {
			t.Errorf("ABI %d net %#x, want %#x", abi, got, wantNet)
		}
		wantScope := uint64(0)
		if abi >= 6 {
			wantScope = ScopeAbstractUnixSocket | ScopeSignal
		}
		if got := Mask(Scope, abi); got != wantScope {
			t.Errorf("ABI %d scopes %#x, want %#x", abi, got, wantScope)
		}
	}
	var got []string
	for _, f := range Features() {
		got = append(got, f.Name+":"+strconv.Itoa(f.ABI))
		for _, r := range f.Rights {
			if r.Feature != f.Name || r.ABI != f.ABI {
				t.Errorf("feature %s (%d) holds %s of %s (%d)", f.Name, f.ABI, r.Name, r.Feature, r.ABI)
			}
		}
	}
	if s := strings.Join(got, " "); s != "paths:1 refer:2 truncate:3 tcp:4 ioctl_dev:5 scopes:6 unix_sockets:9 udp:10" {
		t.Errorf("features %s", s)
	}
	if want := FSExecute | FSWriteFile | FSReadFile | FSTruncate | FSIoctlDev | FSResolveUnix; FileRights() != want {
		t.Errorf("FileRights %s, want %s", String(FS, FileRights()), String(FS, want))
	}
}

// The letters, written out by hand (unveil/plan_linux.go's dirRights and
// fileRights before the table), on a directory and on every kind of file.
func TestLetterRights(t *testing.T) {
	bit := func(s string) uint8 {
		var p uint8
		for i := 0; i < len(s); i++ {
			p |= LetterBit(s[i])
		}
		return p
	}
	dirC := FSMakeDir | FSMakeReg | FSMakeSock | FSMakeFifo | FSMakeSym | FSRemoveFile | FSRemoveDir | FSRefer
	dev, sock := fs.ModeDevice|fs.ModeCharDevice, fs.ModeSocket
	for _, c := range []struct {
		perm string
		mode fs.FileMode
		want uint64
	}{
		{"r", fs.ModeDir, FSReadFile | FSReadDir | FSIoctlDev},
		{"w", fs.ModeDir, FSWriteFile | FSTruncate | FSIoctlDev | FSResolveUnix},
		{"x", fs.ModeDir, FSExecute | FSReadFile},
		{"c", fs.ModeDir, dirC},
		{"", fs.ModeDir, 0},
		{"rwxc", fs.ModeDir, Known(FS) &^ (FSMakeChar | FSMakeBlock)},
		{"r", 0, FSReadFile},
		{"r", dev, FSReadFile | FSIoctlDev},
		{"r", sock, FSReadFile},
		{"w", 0, FSWriteFile | FSTruncate},
		{"w", dev, FSWriteFile | FSTruncate | FSIoctlDev},
		{"w", sock, FSWriteFile | FSTruncate | FSResolveUnix},
		{"w", fs.ModeNamedPipe, FSWriteFile | FSTruncate},
		{"x", 0, FSExecute | FSReadFile},
		{"c", 0, 0},
		{"c", dev, 0},
		{"rwxc", 0, FSReadFile | FSWriteFile | FSTruncate | FSExecute},
	} {
		if got := LetterRights(bit(c.perm), c.mode); got != c.want {
			t.Errorf("%q on %v: %s, want %s", c.perm, c.mode, String(FS, got), String(FS, c.want))
		}
	}
	for p := uint8(0); p < 16; p++ {
		for _, m := range []fs.FileMode{0, dev, fs.ModeDevice, sock, fs.ModeNamedPipe, fs.ModeSymlink} {
			file, dir := LetterRights(p, m), LetterRights(p, fs.ModeDir)
			if file&^FileRights() != 0 || file&^dir != 0 {
				t.Errorf("%q on %v: %s is not file rights within the directory's %s", LetterString(p), m, String(FS, file), String(FS, dir))
			}
		}
		if LetterRights(p, fs.ModeDir)&(FSMakeChar|FSMakeBlock) != 0 {
			t.Errorf("%q grants device nodes", LetterString(p))
		}
		if bit(LetterString(p)) != p {
			t.Errorf("%#x prints as %q", p, LetterString(p))
		}
	}
	if LetterString(15) != "rwxc" || LetterBit('r') != 1 || LetterBit('c') != 8 || LetterBit('z') != 0 {
		t.Error("letter order is not rwxc")
	}
}
