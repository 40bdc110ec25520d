package policy_test

import (
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/pledgekit/pledgekit/policy"
)

// Resolve the Landlock Config composition sample: s1.toml (abi 5) and
// s2.toml (abi 4, handles abi.all) compose into abi 4, with s1's rules
// clipped to the rights both handle.
func Example() {
	dir := "testdata/landlockconfig/composition/source/"
	r, err := policy.Load(dir+"s1.toml", dir+"s2.toml")
	if err != nil {
		log.Fatal(err)
	}
	b, err := r.JSON()
	if err != nil {
		log.Fatal(err)
	}
	os.Stdout.Write(b)
	// Output:
	// {
	//   "abi": 4,
	//   "handledAccessFs": ["execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate"],
	//   "handledAccessNet": [],
	//   "scoped": [],
	//   "pathBeneath": [
	//     {"path": "/bin", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]},
	//     {"path": "/dev", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]},
	//     {"path": "/etc", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]},
	//     {"path": "/home/user/bin", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]},
	//     {"path": "/home/user/tmp", "allowedAccess": ["write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate"]},
	//     {"path": "/lib", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]},
	//     {"path": "/proc", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]},
	//     {"path": "/tmp", "allowedAccess": ["write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate"]},
	//     {"path": "/usr", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]},
	//     {"path": "/var/tmp", "allowedAccess": ["write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char", "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate"]}
	//   ],
	//   "netPort": [],
	//   "unveil": [],
	//   "promises": null
	// }
}

// A pledgekit policy: promises, unveils and network restrictions in one
// file, composed with a Landlock Config file.
func ExampleCompose() {
	app, err := policy.Parse([]byte(`
promises = "stdio rpath inet dns"

[[unveil]]
path = "${HOME}/downloads"
perm = "rwc"

[net]
connect_tcp = [443]
`), policy.FormatTOML, "app.toml")
	if err != nil {
		log.Fatal(err)
	}
	system, err := policy.Parse([]byte(`{
  "abi": 4,
  "pathBeneath": [{"allowedAccess": ["abi.read_execute"], "parent": ["/usr", "/lib"]}]
}`), policy.FormatJSON, "system.json")
	if err != nil {
		log.Fatal(err)
	}
	c, err := policy.Compose(app, system)
	if err != nil {
		log.Fatal(err)
	}
	env := func(name string) (string, bool) {
		if name == "HOME" {
			return "/home/alice", true
		}
		return "", false
	}
	r, err := c.ResolveEnv(env)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("promises:", r.Promises)
	fmt.Println("unveils:", r.Unveils)
	// The Landlock rights by name, as `unveil policy resolve` prints them.
	b, err := r.JSON()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(b))
	// Output:
	// promises: stdio rpath inet dns
	// unveils: [{/home/alice/downloads rwc}]
	// {
	//   "abi": 4,
	//   "handledAccessFs": ["execute", "read_file", "read_dir", "refer"],
	//   "handledAccessNet": ["connect_tcp"],
	//   "scoped": [],
	//   "pathBeneath": [
	//     {"path": "/lib", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]},
	//     {"path": "/usr", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]}
	//   ],
	//   "netPort": [
	//     {"port": 443, "allowedAccess": ["connect_tcp"]}
	//   ],
	//   "unveil": [
	//     {"path": "/home/alice/downloads", "perm": "rwc"}
	//   ],
	//   "promises": "stdio rpath inet dns"
	// }
}

// Errors name the file, position and key.
func ExampleParse_error() {
	_, err := policy.Parse([]byte(`abi = 5
[[path_beneath]]
allowed_access = ["abi.read_execute", "red_file"]
parent = ["/usr"]
`), policy.FormatTOML, "app.toml")
	var pe *policy.Error
	if errors.As(err, &pe) {
		fmt.Println(pe.File, pe.Line, pe.Key)
	}
	fmt.Println(errors.Is(err, policy.ErrAccess))
	// Output:
	// app.toml 3 path_beneath[0].allowed_access[1]
	// true
}
