package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/internal/llaccess"
)

// Group contents per ABI, written out by hand from the Landlock ABI
// history: ABI 1 has 13 filesystem rights, 2 adds refer, 3 truncate, 4 the
// TCP rights, 5 ioctl_dev, 6 the scopes; 7 and 8 add no rights, and later
// rights have no name in the format.
func TestGroupsPerABI(t *testing.T) {
	v1 := "execute write_file read_file read_dir remove_dir remove_file make_char make_dir make_reg make_sock make_fifo make_block make_sym"
	v1w := strings.TrimPrefix(v1, "execute ")
	tests := []struct {
		abi              int
		all, rx, rw      string
		netAll, scopeAll string
	}{
		{1, v1, "execute read_file read_dir", v1w, "", ""},
		{2, v1 + " refer", "execute read_file read_dir refer", v1w + " refer", "", ""},
		{3, v1 + " refer truncate", "execute read_file read_dir refer", v1w + " refer truncate", "", ""},
		{4, v1 + " refer truncate", "execute read_file read_dir refer", v1w + " refer truncate", "bind_tcp connect_tcp", ""},
		{5, v1 + " refer truncate ioctl_dev", "execute read_file read_dir refer", v1w + " refer truncate ioctl_dev", "bind_tcp connect_tcp", ""},
		{6, v1 + " refer truncate ioctl_dev", "execute read_file read_dir refer", v1w + " refer truncate ioctl_dev", "bind_tcp connect_tcp", "abstract_unix_socket signal"},
		{7, v1 + " refer truncate ioctl_dev", "execute read_file read_dir refer", v1w + " refer truncate ioctl_dev", "bind_tcp connect_tcp", "abstract_unix_socket signal"},
		{MaxABI, v1 + " refer truncate ioctl_dev", "execute read_file read_dir refer", v1w + " refer truncate ioctl_dev", "bind_tcp connect_tcp", "abstract_unix_socket signal"},
	}
	for _, tc := range tests {
		for _, c := range []struct {
			k     kind
			group string
			want  string
		}{
			{kindFS, "abi.all", tc.all}, {kindFS, "abi.read_execute", tc.rx}, {kindFS, "abi.read_write", tc.rw},
			{kindNet, "abi.all", tc.netAll}, {kindScope, "abi.all", tc.scopeAll},
		} {
			b, ok := groupBits(c.k, c.group, tc.abi)
			if !ok {
				t.Fatalf("group %s of %s unknown", c.group, c.k)
			}
			if got := strings.Join(names(c.k, b), " "); got != c.want {
				t.Errorf("abi %d %s %s = %q, want %q", tc.abi, c.k, c.group, got, c.want)
			}
		}
	}
	for _, k := range []kind{kindNet, kindScope} {
		for _, g := range []string{"abi.read_execute", "abi.read_write"} {
			if _, ok := groupBits(k, g, 6); ok {
				t.Errorf("%s has no group %s", k, g)
			}
		}
	}
}

// The same through the parser: a file per ABI whose rules and rulesets use
// every group, in both syntaxes.
func TestGroupsThroughParser(t *testing.T) {
	for abi := 1; abi <= 8; abi++ {
		tomlDoc := fmt.Sprintf(`abi = %d
[[ruleset]]
handled_access_fs = ["abi.read_execute"]
handled_access_net = ["abi.all"]
scoped = ["abi.all"]
[[path_beneath]]
allowed_access = ["abi.read_write"]
parent = ["/w"]
[[net_port]]
allowed_access = ["abi.all"]
port = [1]
`, abi)
		jsonDoc := fmt.Sprintf(`{"abi": %d,
 "ruleset": [{"handledAccessFs": ["abi.read_execute"], "handledAccessNet": ["abi.all"], "scoped": ["abi.all"]}],
 "pathBeneath": [{"allowedAccess": ["abi.read_write"], "parent": ["/w"]}],
 "netPort": [{"allowedAccess": ["abi.all"], "port": [1]}]}`, abi)
		rx, _ := groupBits(kindFS, groupReadExecute, abi)
		rw, _ := groupBits(kindFS, groupReadWrite, abi)
		net, _ := groupBits(kindNet, groupAll, abi)
		sc, _ := groupBits(kindScope, groupAll, abi)
		want := &Resolved{ABI: abi, HandledFS: rx | rw, HandledNet: net, Scoped: sc,
			Paths: map[string]uint64{"/w": rw}, Ports: map[uint64]uint64{}}
		if net != 0 {
			want.Ports[1] = net // a rule whose group is empty adds nothing
		}
		for _, doc := range []struct {
			f    Format
			text string
		}{{FormatTOML, tomlDoc}, {FormatJSON, jsonDoc}} {
			t.Run(fmt.Sprintf("abi%d-%s", abi, doc.f), func(t *testing.T) {
				c, err := Parse([]byte(doc.text), doc.f, "t")
				if err != nil {
					t.Fatal(err)
				}
				r, err := c.Resolve()
				if err != nil {
					t.Fatal(err)
				}
				sameResolved(t, r, want)
			})
		}
	}
}

// Explicit right names are taken as written, whatever the abi.
func TestExplicitRightsIgnoreABI(t *testing.T) {
	c, err := Parse([]byte(`abi = 1
[[ruleset]]
handled_access_fs = ["ioctl_dev", "truncate"]
handled_access_net = ["connect_tcp"]
scoped = ["signal"]
`), FormatTOML, "t")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.HandledFS != llaccess.FSIoctlDev|llaccess.FSTruncate || r.HandledNet != llaccess.NetConnectTCP || r.Scoped != llaccess.ScopeSignal {
		t.Errorf("got %v %v %v", names(kindFS, r.HandledFS), names(kindNet, r.HandledNet), names(kindScope, r.Scoped))
	}
}

func TestNames(t *testing.T) {
	for _, k := range []kind{kindFS, kindNet, kindScope} {
		var all uint64
		for i, r := range k.rights() {
			if r.bit != 1<<i {
				t.Errorf("%s %s has bit %#x, want %#x (bit order)", k, r.name, r.bit, uint64(1)<<i)
			}
			b, ok := lookupRight(k, r.name)
			if !ok || b != r.bit {
				t.Errorf("lookupRight(%s) = %#x %v", r.name, b, ok)
			}
			all |= r.bit
		}
		if got := len(names(k, all)); got != len(k.rights()) {
			t.Errorf("%s: %d names for all bits", k, got)
		}
	}
	if got := strings.Join(names(kindFS, llaccess.FSExecute|1<<40), " "); got != "execute bit40" {
		t.Errorf("unknown bits print as %q", got)
	}
	if got := names(kindFS, 0); got == nil || len(got) != 0 {
		t.Errorf("names(kindFS, 0) = %#v, want empty non-nil", got)
	}
}

// The rights of ABIs after MaxGroupABI have no name in this revision of
// the format: their go-landlock names are refused, as unknown names are.
func TestLaterRightsHaveNoName(t *testing.T) {
	for _, doc := range []string{
		"[[ruleset]]\nhandled_access_fs = [\"resolve_unix\"]\n",
		"[[ruleset]]\nhandled_access_net = [\"bind_udp\"]\n",
		"[[ruleset]]\nhandled_access_net = [\"connect_send_udp\"]\n",
	} {
		if _, err := Parse([]byte(doc), FormatTOML, "t"); !errors.Is(err, ErrAccess) {
			t.Errorf("%q: %v, want ErrAccess", doc, err)
		}
	}
	for _, doc := range []string{
		"[[ruleset]]\nhandled_access_fs = [\"ioctl_dev\"]\n",
		"[[ruleset]]\nhandled_access_net = [\"bind_tcp\"]\n",
	} {
		if _, err := Parse([]byte(doc), FormatTOML, "t"); err != nil {
			t.Errorf("%q: %v", doc, err)
		}
	}
}
