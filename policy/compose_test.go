package policy

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

func mustParse(t *testing.T, f Format, doc string) *Config {
	t.Helper()
	c, err := Parse([]byte(doc), f, "t")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustResolve(t *testing.T, cfgs ...*Config) *Resolved {
	t.Helper()
	c, err := Compose(cfgs...)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.ResolveEnv(testEnv)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func testEnv(k string) (string, bool) {
	v, ok := map[string]string{"HOME": "/home/u", "USER": "u", "TMPDIR": "/var/tmp"}[k]
	return v, ok
}

func TestComposeABI(t *testing.T) {
	rule := `[[ruleset]]
handled_access_fs = ["execute"]
`
	none := mustParse(t, FormatTOML, rule)
	two := mustParse(t, FormatTOML, "abi = 2\n"+rule)
	five := mustParse(t, FormatTOML, "abi = 5\n"+rule)
	for _, tc := range []struct {
		cfgs []*Config
		want int
	}{
		{[]*Config{none, none}, 0},
		{[]*Config{none, two}, 2},
		{[]*Config{two, none}, 2},
		{[]*Config{five, two}, 2},
		{[]*Config{two, five}, 2},
		{[]*Config{five, none, five}, 5},
	} {
		if got := mustResolve(t, tc.cfgs...).ABI; got != tc.want {
			t.Errorf("ABI = %d, want %d", got, tc.want)
		}
	}
}

// Handled rights are intersected; rules of both files survive, clipped to
// the common handled rights, and are dropped when nothing is left.
func TestComposeIntersection(t *testing.T) {
	abi1 := llaccess.FSExecute | llaccess.FSWriteFile | llaccess.FSReadFile | llaccess.FSReadDir | llaccess.FSRemoveDir | llaccess.FSRemoveFile |
		llaccess.FSMakeChar | llaccess.FSMakeDir | llaccess.FSMakeReg | llaccess.FSMakeSock | llaccess.FSMakeFifo | llaccess.FSMakeBlock | llaccess.FSMakeSym
	// c1: every ABI-1 right on /common and /c1.
	c1 := mustParse(t, FormatTOML, `abi = 1
[[path_beneath]]
allowed_access = ["abi.all"]
parent = ["/common", "/c1"]
`)
	// c2: every ABI-2 right but write_file on /common and /c2, and refer
	// on /refer-only (dropped: c1, at abi 1, does not handle refer).
	c2 := mustParse(t, FormatJSON, `{"ruleset": [{"handledAccessFs": ["execute", "read_file", "read_dir", "remove_dir",
  "remove_file", "make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer"]}],
 "pathBeneath": [
  {"allowedAccess": ["execute", "read_file", "read_dir", "remove_dir", "remove_file", "make_char", "make_dir",
    "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer"], "parent": ["/common", "/c2"]},
  {"allowedAccess": ["refer"], "parent": ["/refer-only"]}]}`)
	common := abi1 &^ llaccess.FSWriteFile
	want := &Resolved{ABI: 1, HandledFS: common, Ports: map[uint64]uint64{}, Paths: map[string]uint64{
		"/common": common, "/c1": common, "/c2": common, // "/refer-only": refer is not handled by c1
	}}
	sameResolved(t, mustResolve(t, c1, c2), want)
	sameResolved(t, mustResolve(t, c2, c1), want)
}

// A file handling only network rights and one handling only filesystem
// rights have nothing in common: the composition handles nothing (this is
// the reference's rule; see the package documentation).
func TestComposeDisjoint(t *testing.T) {
	fs := mustParse(t, FormatTOML, "[[path_beneath]]\nallowed_access = [\"read_file\"]\nparent = [\"/etc\"]\n")
	net := mustParse(t, FormatTOML, "[[net_port]]\nallowed_access = [\"bind_tcp\"]\nport = [80]\n")
	r := mustResolve(t, fs, net)
	sameResolved(t, r, &Resolved{Paths: map[string]uint64{}, Ports: map[uint64]uint64{}})
	// The same holds for a file with only variables: it handles nothing.
	vars := mustParse(t, FormatTOML, "[[variable]]\nname = \"x\"\nliteral = [\"/x\"]\n")
	sameResolved(t, mustResolve(t, fs, vars), &Resolved{Paths: map[string]uint64{}, Ports: map[uint64]uint64{}})
	// Each alone is kept whole.
	sameResolved(t, mustResolve(t, net), &Resolved{HandledNet: llaccess.NetBindTCP, Paths: map[string]uint64{},
		Ports: map[uint64]uint64{80: llaccess.NetBindTCP}})
}

// Variables are united across files; a rule may use a variable another
// file defines; one declared without literals yields no path.
func TestComposeVariables(t *testing.T) {
	a := mustParse(t, FormatTOML, `abi = 3
[[variable]]
name = "d"
literal = ["/a", "/b"]
[[variable]]
name = "empty"
[[path_beneath]]
allowed_access = ["read_file"]
parent = ["${d}/x", "${empty}/never"]
`)
	b := mustParse(t, FormatJSON, `{"variable": [{"name": "d", "literal": ["/c", "/a"]}, {"name": "s", "literal": ["1", "2"]}],
 "pathBeneath": [{"allowedAccess": ["read_file", "read_dir"], "parent": ["${d}${s}"]}]}`)
	r := mustResolve(t, a, b)
	rf, rd := llaccess.FSReadFile, llaccess.FSReadDir
	// a handles only read_file, so b's read_dir is clipped.
	sameResolved(t, r, &Resolved{ABI: 3, HandledFS: rf, Ports: map[uint64]uint64{}, Paths: map[string]uint64{
		"/a/x": rf, "/b/x": rf, "/c/x": rf,
		"/a1": rf, "/a2": rf, "/b1": rf, "/b2": rf, "/c1": rf, "/c2": rf,
	}})
	// Alone, b resolves with only its own values.
	sameResolved(t, mustResolve(t, b), &Resolved{HandledFS: rf | rd, Ports: map[uint64]uint64{}, Paths: map[string]uint64{
		"/a1": rf | rd, "/a2": rf | rd, "/c1": rf | rd, "/c2": rf | rd,
	}})
}

// Rules on the same normalized path are united.
func TestSamePathUnited(t *testing.T) {
	r := mustResolve(t, mustParse(t, FormatTOML, `
[[variable]]
name = "t"
literal = ["/tmp/"]
[[path_beneath]]
allowed_access = ["read_file"]
parent = ["/tmp", "${t}"]
[[path_beneath]]
allowed_access = ["write_file"]
parent = ["//tmp/./"]
`))
	sameResolved(t, r, &Resolved{HandledFS: llaccess.FSReadFile | llaccess.FSWriteFile, Ports: map[uint64]uint64{},
		Paths: map[string]uint64{"/tmp": llaccess.FSReadFile | llaccess.FSWriteFile}})
}

// Composition order never matters, and composing a file with itself
// changes nothing.
func TestComposeOrderAndIdempotence(t *testing.T) {
	files := []string{
		compDir + "source/s1.toml", compDir + "source/s2.toml", exDir + "mini-write-tmp.json",
		exDir + "micro-var.toml", "testdata/pledgekit/downloader.toml", "testdata/pledgekit/mixed.toml",
	}
	cfgs := make([]*Config, len(files))
	for i, f := range files {
		c, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cfgs[i] = c
	}
	js := func(cs ...*Config) string {
		b, err := mustResolve(t, cs...).JSON()
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for i := range cfgs {
		if a, b := js(cfgs[i]), js(cfgs[i], cfgs[i]); a != b {
			t.Errorf("%s composed with itself differs:\n%s\n%s", files[i], a, b)
		}
		for j := range cfgs {
			if a, b := js(cfgs[i], cfgs[j]), js(cfgs[j], cfgs[i]); a != b {
				t.Errorf("%s + %s is not commutative:\n%s\n%s", files[i], files[j], a, b)
			}
			for k := range cfgs {
				ij, _ := Compose(cfgs[i], cfgs[j])
				jk, _ := Compose(cfgs[j], cfgs[k])
				if a, b := js(ij, cfgs[k]), js(cfgs[i], jk); a != b {
					t.Errorf("(%d+%d)+%d != %d+(%d+%d)", i, j, k, i, j, k)
				}
			}
		}
	}
	// Inputs are not modified by composition.
	before := js(cfgs[0])
	_ = js(cfgs...)
	if after := js(cfgs[0]); after != before {
		t.Errorf("Compose modified its input:\n%s\n%s", before, after)
	}
}

func TestPledgekitFormat(t *testing.T) {
	want := &Resolved{
		HandledNet: llaccess.NetBindTCP | llaccess.NetConnectTCP,
		Scoped:     llaccess.ScopeAbstractUnixSocket | llaccess.ScopeSignal,
		Paths:      map[string]uint64{},
		Ports:      map[uint64]uint64{443: llaccess.NetConnectTCP, 80: llaccess.NetConnectTCP},
		Unveils: []Unveil{
			{"/etc/resolv.conf", "r"}, {"/etc/ssl", "r"}, {"/home/u/downloads", "rwc"},
		},
		HasPromises: true,
		Promises:    "stdio rpath wpath cpath inet dns",
	}
	var out [][]byte
	for _, f := range []string{"testdata/pledgekit/downloader.toml", "testdata/pledgekit/downloader.json"} {
		c, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := mustResolve(t, c)
		sameResolved(t, r, want)
		b, _ := r.JSON()
		out = append(out, b)
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Errorf("TOML and JSON forms differ:\n%s\n%s", out[0], out[1])
	}
}

// pledgekit sections compose by union, and are added on top of the
// composed Landlock Config part without taking part in its intersection.
func TestPledgekitPrecedence(t *testing.T) {
	mixed, err := ParseFile("testdata/pledgekit/mixed.toml")
	if err != nil {
		t.Fatal(err)
	}
	rx := llaccess.FSExecute | llaccess.FSReadFile | llaccess.FSReadDir | llaccess.FSRefer
	// Alone: connect_tcp is handled by the Landlock part (port 53) and by
	// [net] (port 443); both ports are allowed.
	sameResolved(t, mustResolve(t, mixed), &Resolved{
		ABI: 4, HandledFS: rx, HandledNet: llaccess.NetConnectTCP,
		Paths:   map[string]uint64{"/lib": rx, "/usr/lib": rx},
		Ports:   map[uint64]uint64{53: llaccess.NetConnectTCP, 443: llaccess.NetConnectTCP},
		Unveils: []Unveil{{"/var/tmp/work", "rwc"}}, HasPromises: true, Promises: "stdio rpath",
	})
	// A file with only pledgekit sections does not take part in the
	// Landlock Config intersection (which would otherwise empty it).
	extOnly := mustParse(t, FormatJSON, `{"promises": "inet", "unveil": [{"path": "/var/tmp/work", "perm": "x"},
 {"path": "${HOME}", "perm": ""}], "scope": {"signal": true, "abstractUnixSocket": false}, "net": {"bindTcp": [8080]}}`)
	sameResolved(t, mustResolve(t, mixed, extOnly), &Resolved{
		ABI: 4, HandledFS: rx, HandledNet: llaccess.NetConnectTCP | llaccess.NetBindTCP, Scoped: llaccess.ScopeSignal,
		Paths:   map[string]uint64{"/lib": rx, "/usr/lib": rx},
		Ports:   map[uint64]uint64{53: llaccess.NetConnectTCP, 443: llaccess.NetConnectTCP, 8080: llaccess.NetBindTCP},
		Unveils: []Unveil{{"/home/u", ""}, {"/var/tmp/work", "rwxc"}}, HasPromises: true, Promises: "stdio rpath inet",
	})
	// A Landlock Config file does take part: handling no network right, it
	// drops the Landlock part's port 53, but not [net]'s port 443.
	fsOnly := mustParse(t, FormatTOML, "abi = 6\n[[path_beneath]]\nallowed_access = [\"abi.all\"]\nparent = [\"/lib\"]\n")
	sameResolved(t, mustResolve(t, mixed, fsOnly), &Resolved{
		ABI: 4, HandledFS: rx, HandledNet: llaccess.NetConnectTCP,
		Paths:   map[string]uint64{"/lib": rx, "/usr/lib": rx},
		Ports:   map[uint64]uint64{443: llaccess.NetConnectTCP},
		Unveils: []Unveil{{"/var/tmp/work", "rwc"}}, HasPromises: true, Promises: "stdio rpath",
	})
}

func TestPromisesPresence(t *testing.T) {
	none := mustParse(t, FormatTOML, "[net]\nbind_tcp = []\n")
	empty := mustParse(t, FormatTOML, "promises = \"\"\n")
	some := mustParse(t, FormatTOML, "promises = \"rpath  stdio rpath\"\n")
	for _, tc := range []struct {
		cfgs []*Config
		has  bool
		want string
	}{
		{[]*Config{none}, false, ""},
		{[]*Config{empty}, true, ""}, // pledge(""): only _exit
		{[]*Config{none, empty}, true, ""},
		{[]*Config{some}, true, "stdio rpath"},
		{[]*Config{empty, some}, true, "stdio rpath"},
	} {
		r := mustResolve(t, tc.cfgs...)
		if r.HasPromises != tc.has || r.Promises != tc.want {
			t.Errorf("got %v %q, want %v %q", r.HasPromises, r.Promises, tc.has, tc.want)
		}
	}
}

// Unveil entries on the same path after expansion are united; letters
// come out in "rwxc" order whatever their input order.
func TestUnveilMerge(t *testing.T) {
	c := mustParse(t, FormatTOML, `
[[unveil]]
path = "/home/u/x/"
perm = "cw"
[[unveil]]
path = "${HOME}/x"
perm = "xr"
[[unveil]]
path = "${XDG_CONFIG_HOME}/app"
perm = "rr"
[[unveil]]
path = "/var/mail/${USER}"
perm = ""
[[unveil]]
path = "rel/./dir"
perm = "r"
[[unveil]]
path = "$${HOME}"
perm = "r"
`)
	r := mustResolve(t, c)
	want := []Unveil{{"${HOME}", "r"}, {"/home/u/.config/app", "r"}, {"/home/u/x", "rwxc"}, {"/var/mail/u", ""}, {"rel/dir", "r"}}
	sameResolved(t, r, &Resolved{Paths: map[string]uint64{}, Ports: map[uint64]uint64{}, Unveils: want})
}

func TestDetectFormat(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       Format
	}{
		{"a.toml", "{", FormatTOML},
		{"a.JSON", "x = 1", FormatJSON},
		{"policy", "  \n{\"abi\": 1}", FormatJSON},
		{"policy", "\xEF\xBB\xBF{}", FormatJSON},
		{"policy", "abi = 1", FormatTOML},
		{"", "", FormatTOML},
	} {
		if got := DetectFormat(tc.name, []byte(tc.data)); got != tc.want {
			t.Errorf("DetectFormat(%q, %q) = %v, want %v", tc.name, tc.data, got, tc.want)
		}
	}
	// Auto parses both.
	for _, doc := range []string{`{"promises": "stdio"}`, `promises = "stdio"`} {
		if _, err := Parse([]byte(doc), FormatAuto, "noext"); err != nil {
			t.Errorf("auto %q: %v", doc, err)
		}
	}
	if s := fmt.Sprint(FormatAuto, FormatTOML, FormatJSON, Format(7)); s != "auto TOML JSON Format(7)" {
		t.Errorf("Format strings: %s", s)
	}
}

func TestSources(t *testing.T) {
	a, _ := Parse([]byte(`promises = "stdio"`), FormatTOML, "a.toml")
	b, _ := Parse([]byte(`{"promises": "rpath"}`), FormatJSON, "b.json")
	c, _ := Compose(a, b)
	if got := fmt.Sprint(c.Sources()); got != "[a.toml b.json]" {
		t.Errorf("Sources = %s", got)
	}
}

// Scopes are intersected like handled rights.
func TestComposeScopes(t *testing.T) {
	both, err := ParseFile(exDir + "mini-scoped.json") // abi 6: both scopes, both TCP rights
	if err != nil {
		t.Fatal(err)
	}
	signal := mustParse(t, FormatTOML, "[[ruleset]]\nscoped = [\"signal\"]\nhandled_access_net = [\"connect_tcp\"]\n")
	want := &Resolved{ABI: 6, Scoped: llaccess.ScopeSignal, HandledNet: llaccess.NetConnectTCP, Paths: map[string]uint64{}, Ports: map[uint64]uint64{}}
	sameResolved(t, mustResolve(t, both, signal), want)
	sameResolved(t, mustResolve(t, signal, both), want)
	// A pledgekit [scope] is added on top.
	ext := mustParse(t, FormatTOML, "[scope]\nabstract_unix_socket = true\nsignal = false\n")
	want.Scoped |= llaccess.ScopeAbstractUnixSocket
	sameResolved(t, mustResolve(t, both, signal, ext), want)
}
