package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Resolved is a composed policy with every variable and group expanded:
// what to enforce. Rights are Landlock bit values (LANDLOCK_ACCESS_FS_*,
// LANDLOCK_ACCESS_NET_*, LANDLOCK_SCOPE_*).
type Resolved struct {
	// ABI is the lowest abi among the Landlock Config parts composed, 0 if
	// none gave one. Groups are already expanded; it is informational.
	ABI int

	// HandledFS, HandledNet and Scoped are the rights the Landlock ruleset
	// restricts: an access to a handled right is denied unless a rule
	// allows it.
	HandledFS, HandledNet, Scoped uint64

	// Paths maps a normalized path to the filesystem rights allowed
	// beneath it (Landlock Config path_beneath rules). Every right is
	// also in HandledFS.
	Paths map[string]uint64

	// Ports maps a TCP port to the network rights allowed on it. Every
	// right is also in HandledNet.
	Ports map[uint64]uint64

	// Unveils are the OpenBSD-style unveil(2) calls of pledgekit's own
	// format, sorted by path, with environment references expanded. Perm
	// holds letters from "rwxc" in that order ("" hides the path).
	// Turning them into Landlock rights is the unveil package's job.
	Unveils []Unveil

	// HasPromises reports whether any file gave promises; if so,
	// Promises (possibly "", the most restrictive pledge) is the union of
	// them, in canonical order, for pledge.
	HasPromises bool
	Promises    string
}

// Unveil is one OpenBSD-style unveil: a path and its permission letters.
type Unveil struct {
	Path string `json:"path"`
	Perm string `json:"perm"`
}

// maxPaths bounds variable expansion (the Cartesian product of the values
// of every variable a parent names).
const maxPaths = 1 << 16

// Resolve expands a configuration, reading environment variables from the
// process environment. See ResolveEnv.
func (c *Config) Resolve() (*Resolved, error) {
	return c.ResolveEnv(os.LookupEnv)
}

// ResolveEnv expands a configuration: the variables of path_beneath parents
// (every combination of their values; an undefined variable is an error, a
// variable defined without literals yields no path) and the environment
// references of unveil paths, read through lookup (see EnvVars). Paths are
// normalized; rules that land on the same path are united. The result does
// not depend on map order or composition order.
func (c *Config) ResolveEnv(lookup func(string) (string, bool)) (*Resolved, error) {
	if c == nil {
		return nil, &Error{Err: fmt.Errorf("%w: nil configuration", ErrEmpty)}
	}
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	r := &Resolved{Paths: map[string]uint64{}, Ports: map[uint64]uint64{}}
	if ll := c.ll; ll != nil {
		r.ABI = ll.abi
		r.HandledFS, r.HandledNet, r.Scoped = ll.handledFS, ll.handledNet, ll.scoped
		total := 0
		for _, k := range sortedKeys(ll.paths) {
			rule := ll.paths[k]
			n := 1
			for _, v := range rule.tmpl.vars() {
				vals, ok := ll.vars[v]
				if !ok {
					return nil, rule.at.errorf(ErrVariable,
						"variable %q is not defined in any composed file; define it in a %s entry", v, keyVariable)
				}
				n *= len(vals)
				if n > maxPaths {
					break
				}
			}
			if total += n; n > maxPaths || total > maxPaths {
				return nil, rule.at.errorf(ErrTooLarge, "variables expand to more than %d paths", maxPaths)
			}
			err := expand(rule.tmpl, ll.vars, func(p string) error {
				np, err := normPath(p)
				if err != nil {
					return rule.at.errorf(ErrPath, "%q expands to a bad path: %v", rule.tmpl.key(), err)
				}
				r.Paths[np] |= rule.access
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		for port, a := range ll.ports {
			r.Ports[port] = a
		}
	}
	ext := &c.ext
	r.HandledNet |= ext.netHandled
	for port, a := range ext.netPorts {
		r.Ports[port] |= a
	}
	r.Scoped |= ext.scoped
	perms := map[string]uint8{}
	for _, k := range sortedKeys(ext.unveils) {
		u := ext.unveils[k]
		var b strings.Builder
		for _, tk := range u.tmpl {
			if !tk.variable {
				b.WriteString(tk.text)
				continue
			}
			v, err := envValue(tk.text, lookup)
			if err != nil {
				return nil, u.at.errorf(ErrEnv, "%v", err)
			}
			b.WriteString(v)
		}
		p, err := normPath(b.String())
		if err != nil {
			return nil, u.at.errorf(ErrPath, "%q expands to a bad path: %v", u.tmpl.key(), err)
		}
		perms[p] |= u.perm
	}
	for _, p := range sortedKeys(perms) {
		r.Unveils = append(r.Unveils, Unveil{Path: p, Perm: permString(perms[p])})
	}
	if ext.hasPromises {
		r.HasPromises, r.Promises = true, ext.promises.String()
	}
	return r, nil
}

// expand calls f with every string the template yields: each variable
// stands for each of its values in turn.
func expand(t template, vars map[string]map[string]bool, f func(string) error) error {
	parts := make([][]string, len(t))
	for i, tk := range t {
		if tk.variable {
			parts[i] = sortedKeys(vars[tk.text])
		} else {
			parts[i] = []string{tk.text}
		}
	}
	var rec func(i int, prefix string) error
	rec = func(i int, prefix string) error {
		if i == len(parts) {
			return f(prefix)
		}
		for _, v := range parts[i] {
			if err := rec(i+1, prefix+v); err != nil {
				return err
			}
		}
		return nil
	}
	if len(t) == 0 {
		return nil
	}
	return rec(0, "")
}

type pathJSON struct {
	Path          string   `json:"path"`
	AllowedAccess []string `json:"allowedAccess"`
}

type portJSON struct {
	Port          uint64   `json:"port"`
	AllowedAccess []string `json:"allowedAccess"`
}

type resolvedJSON struct {
	ABI              *int       `json:"abi"`
	HandledAccessFs  []string   `json:"handledAccessFs"`
	HandledAccessNet []string   `json:"handledAccessNet"`
	Scoped           []string   `json:"scoped"`
	PathBeneath      []pathJSON `json:"pathBeneath"`
	NetPort          []portJSON `json:"netPort"`
	Unveil           []Unveil   `json:"unveil"`
	Promises         *string    `json:"promises"`
}

// MarshalJSON encodes r in the shape JSON documents.
func (r *Resolved) MarshalJSON() ([]byte, error) {
	out := resolvedJSON{
		HandledAccessFs:  names(kindFS, r.HandledFS),
		HandledAccessNet: names(kindNet, r.HandledNet),
		Scoped:           names(kindScope, r.Scoped),
		PathBeneath:      []pathJSON{},
		NetPort:          []portJSON{},
		Unveil:           []Unveil{},
	}
	if r.ABI != 0 {
		abi := r.ABI
		out.ABI = &abi
	}
	for _, p := range sortedKeys(r.Paths) {
		out.PathBeneath = append(out.PathBeneath, pathJSON{p, names(kindFS, r.Paths[p])})
	}
	ports := make([]uint64, 0, len(r.Ports))
	for p := range r.Ports {
		ports = append(ports, p)
	}
	sort.Slice(ports, func(i, j int) bool { return ports[i] < ports[j] })
	for _, p := range ports {
		out.NetPort = append(out.NetPort, portJSON{p, names(kindNet, r.Ports[p])})
	}
	out.Unveil = append(out.Unveil, r.Unveils...)
	sort.SliceStable(out.Unveil, func(i, j int) bool { return out.Unveil[i].Path < out.Unveil[j].Path })
	if r.HasPromises {
		s := r.Promises
		out.Promises = &s
	}
	return json.Marshal(out)
}

// JSON returns r as JSON with a final newline, in a deterministic (sorted)
// order, one rule per line; `unveil policy resolve` prints it. The shape
// (MarshalJSON gives the same content, compact):
//
//	{
//	  "abi": 4,
//	  "handledAccessFs": ["execute", "write_file", ...],
//	  "handledAccessNet": ["bind_tcp"],
//	  "scoped": ["signal"],
//	  "pathBeneath": [
//	    {"path": "/bin", "allowedAccess": ["execute", "read_file", "read_dir", "refer"]}
//	  ],
//	  "netPort": [
//	    {"port": 443, "allowedAccess": ["connect_tcp"]}
//	  ],
//	  "unveil": [
//	    {"path": "/etc/ssl", "perm": "r"}
//	  ],
//	  "promises": "stdio rpath"
//	}
//
// "abi" is null if no file gave one, "promises" null if no file gave
// promises. Right names are in bit order; pathBeneath and unveil are sorted
// by path, netPort by port; lists are [] when empty, never null.
func (r *Resolved) JSON() ([]byte, error) {
	raw, err := r.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var v resolvedJSON
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	put := func(x any) {
		_ = enc.Encode(x) // cannot fail for these types
		b.Truncate(b.Len() - 1)
	}
	// Encoder output has no spaces; add one after ',' and ':' outside
	// strings for readability.
	spaced := func(x any) {
		start := b.Len()
		put(x)
		out := append([]byte(nil), b.Bytes()[start:]...)
		b.Truncate(start)
		inStr, esc := false, false
		for _, c := range out {
			b.WriteByte(c)
			switch {
			case esc:
				esc = false
			case inStr && c == '\\':
				esc = true
			case c == '"':
				inStr = !inStr
			case !inStr && (c == ',' || c == ':'):
				b.WriteByte(' ')
			}
		}
	}
	list := func(name string, n int, item func(int) any, last bool) {
		b.WriteString("  \"" + name + "\": [")
		for i := 0; i < n; i++ {
			b.WriteString("\n    ")
			spaced(item(i))
			if i < n-1 {
				b.WriteByte(',')
			}
		}
		if n > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString("]")
		if !last {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("{\n  \"abi\": ")
	put(v.ABI)
	b.WriteString(",\n  \"handledAccessFs\": ")
	spaced(v.HandledAccessFs)
	b.WriteString(",\n  \"handledAccessNet\": ")
	spaced(v.HandledAccessNet)
	b.WriteString(",\n  \"scoped\": ")
	spaced(v.Scoped)
	b.WriteString(",\n")
	list("pathBeneath", len(v.PathBeneath), func(i int) any { return v.PathBeneath[i] }, false)
	list("netPort", len(v.NetPort), func(i int) any { return v.NetPort[i] }, false)
	list("unveil", len(v.Unveil), func(i int) any { return v.Unveil[i] }, false)
	b.WriteString("  \"promises\": ")
	put(v.Promises)
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}
