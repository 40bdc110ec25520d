package policy

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

const (
	sampleDir = "testdata/landlockconfig/"
	compDir   = sampleDir + "composition/"
	exDir     = sampleDir + "examples/"
)

// golden is what the reference implementation printed for the composition
// sample (its ResolvedConfig Debug output), read from golden-debug.txt.
type golden struct {
	handledFS, handledNet, scoped uint64
	paths                         map[string]uint64
	ports                         map[uint64]uint64
	flagNames                     map[uint64][]string // bits -> names printed next to them
}

var (
	reSection = regexp.MustCompile(`^    (handled_fs|handled_net|scoped|rules_path_beneath|rules_net_port): (.*)$`)
	reEntry   = regexp.MustCompile(`^        ("(.*)"|(\d+)): BitFlags<\w+> \{$`)
	reBits    = regexp.MustCompile(`^\s+bits: 0b([01]+),$`)
	reFlags   = regexp.MustCompile(`^\s+flags: (.*),$`)
)

func readGolden(t *testing.T, name string) *golden {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := &golden{paths: map[string]uint64{}, ports: map[uint64]uint64{}, flagNames: map[uint64][]string{}}
	section, entry := "", ""
	var lastBits uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "}" { // end of ResolvedConfig
			break
		}
		if m := reSection.FindStringSubmatch(line); m != nil {
			section, entry = m[1], ""
			continue
		}
		if m := reEntry.FindStringSubmatch(line); m != nil {
			entry = m[1]
			continue
		}
		if m := reBits.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseUint(m[1], 2, 64)
			if err != nil {
				t.Fatal(err)
			}
			lastBits = v
			switch section {
			case "handled_fs":
				g.handledFS = v
			case "handled_net":
				g.handledNet = v
			case "scoped":
				g.scoped = v
			case "rules_path_beneath":
				g.paths[strings.Trim(entry, `"`)] = v
			case "rules_net_port":
				p, err := strconv.ParseUint(entry, 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				g.ports[p] = v
			}
			continue
		}
		if m := reFlags.FindStringSubmatch(line); m != nil {
			var names []string
			for _, n := range strings.Split(m[1], " | ") {
				names = append(names, snake(n))
			}
			g.flagNames[lastBits] = names
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(g.paths) == 0 || g.handledFS == 0 {
		t.Fatalf("%s: could not read the golden result", name)
	}
	return g
}

// snake turns the reference's flag names (ReadFile) into format names (read_file).
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func checkGolden(t *testing.T, r *Resolved, g *golden) {
	t.Helper()
	if r.HandledFS != g.handledFS || r.HandledNet != g.handledNet || r.Scoped != g.scoped {
		t.Errorf("handled fs/net/scoped = %#b/%#b/%#b, golden %#b/%#b/%#b",
			r.HandledFS, r.HandledNet, r.Scoped, g.handledFS, g.handledNet, g.scoped)
	}
	if !mapsEqual(r.Paths, g.paths) {
		t.Errorf("paths = %v\ngolden  %v", r.Paths, g.paths)
	}
	if !mapsEqual(r.Ports, g.ports) {
		t.Errorf("ports = %v, golden %v", r.Ports, g.ports)
	}
}

func mapsEqual[K comparable](a, b map[K]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCompositionGolden(t *testing.T) {
	g := readGolden(t, compDir+"golden-debug.txt")
	src := compDir + "source/"
	for _, files := range [][]string{
		{src + "s1.toml", src + "s2.toml"},
		{src + "s2.toml", src + "s1.toml"}, // composition is commutative
		{src + "s1.json", src + "s2.toml"},
		{src + "s1.toml", src + "s1.json", src + "s2.toml"}, // and idempotent
		{compDir + "s.toml"},
		{compDir + "s.json"},
	} {
		t.Run(strings.Join(files, "+"), func(t *testing.T) {
			r, err := Load(files...)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, r, g)
			if r.ABI != 4 {
				t.Errorf("ABI = %d, want 4 (the lower of 5 and 4)", r.ABI)
			}
			if len(r.Unveils) != 0 || r.HasPromises {
				t.Errorf("unexpected pledgekit content: %+v", r)
			}
		})
	}
}

// The golden file prints flag names next to each bit set; our names must
// be the same rights.
func TestGoldenFlagNames(t *testing.T) {
	g := readGolden(t, compDir+"golden-debug.txt")
	if len(g.flagNames) == 0 {
		t.Fatal("no flag names read")
	}
	for bits, want := range g.flagNames {
		if got := names(kindFS, bits); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("names(kindFS, %#b) = %v, golden %v", bits, got, want)
		}
	}
}

// The same, written by hand from the format's rules: abi 4 is the lower
// abi; s1's rules (abi 5) are clipped to what both files handle (s2
// handles abi.all at abi 4, which lacks ioctl_dev); rw = {/tmp, /var/tmp}
// ∪ {/home/user/tmp}.
func TestCompositionByHand(t *testing.T) {
	r, err := Load(compDir+"source/s1.toml", compDir+"source/s2.toml")
	if err != nil {
		t.Fatal(err)
	}
	abi1 := llaccess.FSExecute | llaccess.FSWriteFile | llaccess.FSReadFile | llaccess.FSReadDir | llaccess.FSRemoveDir | llaccess.FSRemoveFile |
		llaccess.FSMakeChar | llaccess.FSMakeDir | llaccess.FSMakeReg | llaccess.FSMakeSock | llaccess.FSMakeFifo | llaccess.FSMakeBlock | llaccess.FSMakeSym
	all4 := abi1 | llaccess.FSRefer | llaccess.FSTruncate
	rx := llaccess.FSExecute | llaccess.FSReadFile | llaccess.FSReadDir | llaccess.FSRefer
	rw := all4 &^ llaccess.FSExecute
	want := &Resolved{ABI: 4, HandledFS: all4, Paths: map[string]uint64{
		"/bin": rx, "/lib": rx, "/usr": rx, "/dev": rx, "/proc": rx, "/etc": rx, "/home/user/bin": rx,
		"/tmp": rw, "/var/tmp": rw, "/home/user/tmp": rw,
	}, Ports: map[uint64]uint64{}}
	sameResolved(t, r, want)
	if all4 != 0b111111111111111 {
		t.Fatalf("hand-computed abi 4 rights are wrong: %#b", all4)
	}
}

func sameResolved(t *testing.T, got, want *Resolved) {
	t.Helper()
	if got.ABI != want.ABI {
		t.Errorf("ABI = %d, want %d", got.ABI, want.ABI)
	}
	if got.HandledFS != want.HandledFS {
		t.Errorf("HandledFS = %v, want %v", names(kindFS, got.HandledFS), names(kindFS, want.HandledFS))
	}
	if got.HandledNet != want.HandledNet {
		t.Errorf("HandledNet = %v, want %v", names(kindNet, got.HandledNet), names(kindNet, want.HandledNet))
	}
	if got.Scoped != want.Scoped {
		t.Errorf("Scoped = %v, want %v", names(kindScope, got.Scoped), names(kindScope, want.Scoped))
	}
	if !mapsEqual(got.Paths, want.Paths) {
		t.Errorf("Paths:")
		for p, a := range got.Paths {
			if want.Paths[p] != a {
				t.Errorf("  %s: got %v, want %v", p, names(kindFS, a), names(kindFS, want.Paths[p]))
			}
		}
		for p, a := range want.Paths {
			if _, ok := got.Paths[p]; !ok {
				t.Errorf("  %s: missing, want %v", p, names(kindFS, a))
			}
		}
	}
	if !mapsEqual(got.Ports, want.Ports) {
		t.Errorf("Ports = %v, want %v", got.Ports, want.Ports)
	}
	if len(got.Unveils) != len(want.Unveils) {
		t.Errorf("Unveils = %v, want %v", got.Unveils, want.Unveils)
	} else {
		for i := range got.Unveils {
			if got.Unveils[i] != want.Unveils[i] {
				t.Errorf("Unveils = %v, want %v", got.Unveils, want.Unveils)
				break
			}
		}
	}
	if got.HasPromises != want.HasPromises || got.Promises != want.Promises {
		t.Errorf("promises = %v %q, want %v %q", got.HasPromises, got.Promises, want.HasPromises, want.Promises)
	}
}
