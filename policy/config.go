package policy

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pledgekit/pledgekit/internal/llaccess"
	"github.com/pledgekit/pledgekit/promises"
)

// Config is one parsed policy file, or the composition of several. It
// holds access groups already expanded against each file's abi, but
// variables and environment references unexpanded: Resolve does that, after
// composition. A Config is immutable; Compose returns a new one.
type Config struct {
	sources []string
	ll      *landlockPart // nil if no Landlock Config content
	ext     extPart
}

// landlockPart is the Landlock Config content, composed as the reference
// implementation composes it.
type landlockPart struct {
	abi                           int // 0: none given
	vars                          map[string]map[string]bool
	handledFS, handledNet, scoped uint64
	paths                         map[string]*pathRule // by template key
	ports                         map[uint64]uint64
}

type pathRule struct {
	tmpl   template
	access uint64
	at     origin
}

// extPart is pledgekit's own content.
type extPart struct {
	hasPromises bool
	promises    promises.Set
	unveils     map[string]*unveilRule // by template key
	netHandled  uint64
	netPorts    map[uint64]uint64
	scoped      uint64
}

type unveilRule struct {
	tmpl template
	perm uint8
	at   origin
}

// Sources returns the names of the files a Config was parsed or composed
// from, in order.
func (c *Config) Sources() []string {
	if c == nil {
		return nil
	}
	return append([]string(nil), c.sources...)
}

// dialect holds the key spellings of one syntax: TOML uses snake_case,
// JSON camelCase, as in Landlock Config.
type dialect struct {
	name                                           string
	pathBeneath, netPort, handledFS, handledNet    string
	allowedAccess, connectTCP, bindTCP, abstractUS string
	other                                          *dialect
}

var tomlDialect, jsonDialect dialect

func init() {
	tomlDialect = dialect{"TOML", "path_beneath", "net_port", "handled_access_fs", "handled_access_net",
		"allowed_access", "connect_tcp", "bind_tcp", "abstract_unix_socket", &jsonDialect}
	jsonDialect = dialect{"JSON", "pathBeneath", "netPort", "handledAccessFs", "handledAccessNet",
		"allowedAccess", "connectTcp", "bindTcp", "abstractUnixSocket", &tomlDialect}
}

// parser walks a document tree against the schema.
type parser struct {
	file string
	d    *dialect
	loc  *tomlLocator // TOML only
}

func (p *parser) errAt(n *node, at path, kind error, format string, args ...any) *Error {
	e := &Error{File: p.file, Key: at.String(), Err: fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)}
	if n != nil && n.line > 0 {
		e.Line, e.Column = n.line, n.col
	} else {
		e.Line, e.Column = p.loc.find(at)
	}
	return e
}

func (p *parser) origin(n *node, at path) origin {
	o := origin{file: p.file, key: at.String()}
	if n != nil && n.line > 0 {
		o.line, o.col = n.line, n.col
	} else {
		o.loc, o.at = p.loc, at
	}
	return o
}

// object checks that n is a table whose keys are all in known, and returns
// its fields by key.
func (p *parser) object(n *node, at path, known ...string) (map[string]*node, error) {
	if n.kind != nodeObject {
		what := "a table"
		if p.d == &jsonDialect {
			what = "an object"
		}
		return nil, p.errAt(n, at, ErrType, "expected %s, got %s", what, n.kind)
	}
	m := make(map[string]*node, len(n.fields))
	for _, f := range n.fields {
		ok := false
		for _, k := range known {
			if f.key == k {
				ok = true
				break
			}
		}
		if !ok {
			e := p.errAt(&node{line: f.line, col: f.col}, at.key(f.key), ErrUnknownKey,
				"%q is not a key here; known keys: %s", f.key, strings.Join(known, ", "))
			if alt := p.otherSpelling(f.key); alt != "" {
				e.Err = fmt.Errorf("%w (%s files spell it %q)", e.Err, p.d.name, alt)
			}
			return nil, e
		}
		m[f.key] = f.val
	}
	return m, nil
}

// otherSpelling maps a key spelled in the other dialect to ours.
func (p *parser) otherSpelling(k string) string {
	o, d := p.d.other, p.d
	pairs := [][2]string{
		{o.pathBeneath, d.pathBeneath}, {o.netPort, d.netPort},
		{o.handledFS, d.handledFS}, {o.handledNet, d.handledNet},
		{o.allowedAccess, d.allowedAccess}, {o.connectTCP, d.connectTCP},
		{o.bindTCP, d.bindTCP}, {o.abstractUS, d.abstractUS},
	}
	for _, pr := range pairs {
		if pr[0] == k && pr[0] != pr[1] {
			return pr[1]
		}
	}
	return ""
}

// array checks that n is an array (non-empty if nonEmpty).
func (p *parser) array(n *node, at path, nonEmpty bool) ([]*node, error) {
	if n.kind != nodeArray {
		return nil, p.errAt(n, at, ErrType, "expected an array, got %s", n.kind)
	}
	if nonEmpty && len(n.arr) == 0 {
		return nil, p.errAt(n, at, ErrEmpty, "the array needs at least one element")
	}
	return n.arr, nil
}

func (p *parser) str(n *node, at path) (string, error) {
	if n.kind != nodeString {
		return "", p.errAt(n, at, ErrType, "expected a string, got %s", n.kind)
	}
	return n.str, nil
}

func (p *parser) required(m map[string]*node, owner *node, at path, key string) (*node, error) {
	n, ok := m[key]
	if !ok {
		return nil, p.errAt(owner, at, ErrMissingKey, "%q", key)
	}
	return n, nil
}

// access reads a non-empty list of right names and groups of one vocabulary.
func (p *parser) access(n *node, at path, k kind, abi int) (uint64, error) {
	items, err := p.array(n, at, true)
	if err != nil {
		return 0, err
	}
	var set uint64
	for i, it := range items {
		name, err := p.str(it, at.index(i))
		if err != nil {
			return 0, err
		}
		if b, ok := lookupRight(k, name); ok {
			set |= b
			continue
		}
		if g, ok := groupBits(k, name, max(abi, 1)); ok {
			if abi == 0 {
				return 0, p.errAt(it, at.index(i), ErrABI,
					"access group %q depends on the Landlock ABI: set a top-level abi (1 to %d)", name, MaxABI)
			}
			set |= g
			continue
		}
		var known []string
		for _, r := range k.rights() {
			known = append(known, r.name)
		}
		known = append(known, k.groups()...)
		return 0, p.errAt(it, at.index(i), ErrAccess, "%q is not a %s; known: %s", name, k, strings.Join(known, ", "))
	}
	return set, nil
}

// port reads one TCP port number.
func (p *parser) port(n *node, at path) (uint64, error) {
	if n.kind != nodeInt {
		return 0, p.errAt(n, at, ErrType, "expected a port number (integer), got %s", n.kind)
	}
	v, err := strconv.ParseUint(n.num, 10, 64)
	if err != nil || v > 65535 {
		return 0, p.errAt(n, at, ErrPort, "%s is not a TCP port number (0 to 65535)", n.num)
	}
	return v, nil
}

func (p *parser) boolean(n *node, at path) (bool, error) {
	if n.kind != nodeBool {
		return false, p.errAt(n, at, ErrType, "expected true or false, got %s", n.kind)
	}
	return n.str == "true", nil
}

// Top-level keys.
const (
	keyABI      = "abi"
	keyVariable = "variable"
	keyRuleset  = "ruleset"
	keyPromises = "promises"
	keyUnveil   = "unveil"
	keyNet      = "net"
	keyScope    = "scope"
)

func (p *parser) config(root *node) (*Config, error) {
	d := p.d
	top, err := p.object(root, nil, keyABI, keyVariable, keyRuleset, d.pathBeneath, d.netPort,
		keyPromises, keyUnveil, keyNet, keyScope)
	if err != nil {
		return nil, err
	}
	cfg := &Config{sources: []string{p.file}}
	hasLL := top[keyVariable] != nil || top[keyRuleset] != nil || top[d.pathBeneath] != nil || top[d.netPort] != nil
	hasExt := top[keyPromises] != nil || top[keyUnveil] != nil || top[keyNet] != nil || top[keyScope] != nil
	if !hasLL && !hasExt {
		return nil, p.errAt(root, nil, ErrEmpty,
			"the configuration has no content: give at least one of %s, %s, %s, %s, %s, %s, %s, %s",
			keyVariable, keyRuleset, d.pathBeneath, d.netPort, keyPromises, keyUnveil, keyNet, keyScope)
	}
	abi := 0
	if n := top[keyABI]; n != nil {
		at := path{keyABI}
		if n.kind != nodeInt {
			return nil, p.errAt(n, at, ErrType, "expected an integer, got %s", n.kind)
		}
		v, err := strconv.ParseInt(n.num, 10, 64)
		if err != nil || v < 1 || v > MaxABI {
			return nil, p.errAt(n, at, ErrABI, "abi %s is out of range: it must be a Landlock ABI version from 1 to %d", n.num, MaxABI)
		}
		if !hasLL {
			return nil, p.errAt(n, at, ErrABI, "abi only applies to %s, %s, %s and %s, and none is given",
				keyVariable, keyRuleset, d.pathBeneath, d.netPort)
		}
		abi = int(v)
	}
	if hasLL {
		ll := &landlockPart{abi: abi, vars: map[string]map[string]bool{},
			paths: map[string]*pathRule{}, ports: map[uint64]uint64{}}
		if err := p.variables(top[keyVariable], ll); err != nil {
			return nil, err
		}
		if err := p.rulesets(top[keyRuleset], ll); err != nil {
			return nil, err
		}
		if err := p.pathBeneath(top[d.pathBeneath], ll); err != nil {
			return nil, err
		}
		if err := p.netPort(top[d.netPort], ll); err != nil {
			return nil, err
		}
		cfg.ll = ll
	}
	if n := top[keyPromises]; n != nil {
		at := path{keyPromises}
		s, err := p.str(n, at)
		if err != nil {
			return nil, err
		}
		set, err := promises.Parse(s)
		if err != nil {
			return nil, p.errAt(n, at, ErrPromises, "%w", err)
		}
		cfg.ext.hasPromises, cfg.ext.promises = true, set
	}
	if err := p.unveils(top[keyUnveil], &cfg.ext); err != nil {
		return nil, err
	}
	if err := p.net(top[keyNet], &cfg.ext); err != nil {
		return nil, err
	}
	if err := p.scope(top[keyScope], &cfg.ext); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (p *parser) variables(n *node, ll *landlockPart) error {
	if n == nil {
		return nil
	}
	at := path{keyVariable}
	items, err := p.array(n, at, true)
	if err != nil {
		return err
	}
	for i, it := range items {
		iat := at.index(i)
		m, err := p.object(it, iat, "name", "literal")
		if err != nil {
			return err
		}
		nn, err := p.required(m, it, iat, "name")
		if err != nil {
			return err
		}
		name, err := p.str(nn, iat.key("name"))
		if err != nil {
			return err
		}
		if err := checkName(name); err != nil {
			return p.errAt(nn, iat.key("name"), ErrVariable, "%v", err)
		}
		set := ll.vars[name]
		if set == nil {
			set = map[string]bool{}
			ll.vars[name] = set
		}
		if ln := m["literal"]; ln != nil {
			lat := iat.key("literal")
			vals, err := p.array(ln, lat, true)
			if err != nil {
				return err
			}
			for j, v := range vals {
				s, err := p.str(v, lat.index(j))
				if err != nil {
					return err
				}
				set[s] = true
			}
		}
	}
	return nil
}

func (p *parser) rulesets(n *node, ll *landlockPart) error {
	if n == nil {
		return nil
	}
	d := p.d
	at := path{keyRuleset}
	items, err := p.array(n, at, true)
	if err != nil {
		return err
	}
	for i, it := range items {
		iat := at.index(i)
		m, err := p.object(it, iat, d.handledFS, d.handledNet, "scoped")
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return p.errAt(it, iat, ErrEmpty, "the ruleset has no content: give %s, %s or scoped", d.handledFS, d.handledNet)
		}
		for _, f := range []struct {
			key  string
			k    kind
			dest *uint64
		}{{d.handledFS, kindFS, &ll.handledFS}, {d.handledNet, kindNet, &ll.handledNet}, {"scoped", kindScope, &ll.scoped}} {
			if v := m[f.key]; v != nil {
				set, err := p.access(v, iat.key(f.key), f.k, ll.abi)
				if err != nil {
					return err
				}
				*f.dest |= set
			}
		}
	}
	return nil
}

func (p *parser) pathBeneath(n *node, ll *landlockPart) error {
	if n == nil {
		return nil
	}
	d := p.d
	at := path{d.pathBeneath}
	items, err := p.array(n, at, true)
	if err != nil {
		return err
	}
	for i, it := range items {
		iat := at.index(i)
		m, err := p.object(it, iat, d.allowedAccess, "parent")
		if err != nil {
			return err
		}
		an, err := p.required(m, it, iat, d.allowedAccess)
		if err != nil {
			return err
		}
		pn, err := p.required(m, it, iat, "parent")
		if err != nil {
			return err
		}
		access, err := p.access(an, iat.key(d.allowedAccess), kindFS, ll.abi)
		if err != nil {
			return err
		}
		pat := iat.key("parent")
		parents, err := p.array(pn, pat, true)
		if err != nil {
			return err
		}
		tmpls := make([]template, len(parents))
		for j, pn := range parents {
			s, err := p.str(pn, pat.index(j))
			if err != nil {
				return err
			}
			if s == "" {
				return p.errAt(pn, pat.index(j), ErrPath, "empty path")
			}
			t, err := parseTemplate(s)
			if err != nil {
				return p.errAt(pn, pat.index(j), ErrVariable, "%v", err)
			}
			tmpls[j] = t
		}
		// A group can resolve to no right (e.g. a net group below
		// ABI 4); such a rule adds nothing, as in the reference.
		if access == 0 {
			continue
		}
		// Allowed rights are handled rights, so a rule always restricts.
		ll.handledFS |= access
		for j, t := range tmpls {
			ll.addPath(t, access, p.origin(parents[j], pat.index(j)))
		}
	}
	return nil
}

func (ll *landlockPart) addPath(t template, access uint64, at origin) {
	k := t.key()
	if r := ll.paths[k]; r != nil {
		r.access |= access
		if at.less(r.at) {
			r.at = at
		}
		return
	}
	ll.paths[k] = &pathRule{tmpl: t, access: access, at: at}
}

func (p *parser) netPort(n *node, ll *landlockPart) error {
	if n == nil {
		return nil
	}
	d := p.d
	at := path{d.netPort}
	items, err := p.array(n, at, true)
	if err != nil {
		return err
	}
	for i, it := range items {
		iat := at.index(i)
		m, err := p.object(it, iat, d.allowedAccess, "port")
		if err != nil {
			return err
		}
		an, err := p.required(m, it, iat, d.allowedAccess)
		if err != nil {
			return err
		}
		pn, err := p.required(m, it, iat, "port")
		if err != nil {
			return err
		}
		access, err := p.access(an, iat.key(d.allowedAccess), kindNet, ll.abi)
		if err != nil {
			return err
		}
		pat := iat.key("port")
		ports, err := p.array(pn, pat, true)
		if err != nil {
			return err
		}
		vals := make([]uint64, len(ports))
		for j, pn := range ports {
			if vals[j], err = p.port(pn, pat.index(j)); err != nil {
				return err
			}
		}
		if access == 0 {
			continue
		}
		ll.handledNet |= access
		for _, v := range vals {
			ll.ports[v] |= access
		}
	}
	return nil
}

// Unveil permission bits, in OpenBSD's letter order.
const (
	permR uint8 = 1 << iota
	permW
	permX
	permC
)

const permLetters = "rwxc"

func parsePerm(s string) (uint8, error) {
	var p uint8
	for _, c := range []byte(s) {
		i := strings.IndexByte(permLetters, c)
		if i < 0 {
			return 0, fmt.Errorf("%q is not an unveil permission letter (use r, w, x, c, or \"\" to hide)", c)
		}
		p |= 1 << i
	}
	return p, nil
}

func permString(p uint8) string {
	var b []byte
	for i := 0; i < len(permLetters); i++ {
		if p&(1<<i) != 0 {
			b = append(b, permLetters[i])
		}
	}
	return string(b)
}

func (p *parser) unveils(n *node, ext *extPart) error {
	if n == nil {
		return nil
	}
	at := path{keyUnveil}
	items, err := p.array(n, at, true)
	if err != nil {
		return err
	}
	ext.unveils = map[string]*unveilRule{}
	for i, it := range items {
		iat := at.index(i)
		m, err := p.object(it, iat, "path", "perm")
		if err != nil {
			return err
		}
		pn, err := p.required(m, it, iat, "path")
		if err != nil {
			return err
		}
		qn, err := p.required(m, it, iat, "perm")
		if err != nil {
			return err
		}
		pat := iat.key("path")
		s, err := p.str(pn, pat)
		if err != nil {
			return err
		}
		if s == "" {
			return p.errAt(pn, pat, ErrPath, "empty path")
		}
		t, err := parseTemplate(s)
		if err != nil {
			return p.errAt(pn, pat, ErrVariable, "%v", err)
		}
		for _, v := range t.vars() {
			if !isEnvVar(v) {
				return p.errAt(pn, pat, ErrEnv,
					"${%s} is not an environment variable a policy may use (%s); %s values apply to %s parents only",
					v, strings.Join(envVars, ", "), keyVariable, p.d.pathBeneath)
			}
		}
		ps, err := p.str(qn, iat.key("perm"))
		if err != nil {
			return err
		}
		perm, err := parsePerm(ps)
		if err != nil {
			return p.errAt(qn, iat.key("perm"), ErrPerm, "%v", err)
		}
		ext.addUnveil(t, perm, p.origin(pn, pat))
	}
	return nil
}

func (ext *extPart) addUnveil(t template, perm uint8, at origin) {
	if ext.unveils == nil {
		ext.unveils = map[string]*unveilRule{}
	}
	k := t.key()
	if r := ext.unveils[k]; r != nil {
		r.perm |= perm
		if at.less(r.at) {
			r.at = at
		}
		return
	}
	ext.unveils[k] = &unveilRule{tmpl: t, perm: perm, at: at}
}

func (p *parser) net(n *node, ext *extPart) error {
	if n == nil {
		return nil
	}
	d := p.d
	at := path{keyNet}
	m, err := p.object(n, at, d.bindTCP, d.connectTCP)
	if err != nil {
		return err
	}
	if len(m) == 0 {
		return p.errAt(n, at, ErrEmpty, "the %s table has no content: give %s and/or %s (an empty list denies every port)",
			keyNet, d.bindTCP, d.connectTCP)
	}
	for _, f := range []struct {
		key string
		bit uint64
	}{{d.bindTCP, llaccess.NetBindTCP}, {d.connectTCP, llaccess.NetConnectTCP}} {
		v := m[f.key]
		if v == nil {
			continue
		}
		fat := at.key(f.key)
		ports, err := p.array(v, fat, false)
		if err != nil {
			return err
		}
		ext.netHandled |= f.bit
		for j, pn := range ports {
			port, err := p.port(pn, fat.index(j))
			if err != nil {
				return err
			}
			if ext.netPorts == nil {
				ext.netPorts = map[uint64]uint64{}
			}
			ext.netPorts[port] |= f.bit
		}
	}
	return nil
}

func (p *parser) scope(n *node, ext *extPart) error {
	if n == nil {
		return nil
	}
	d := p.d
	at := path{keyScope}
	m, err := p.object(n, at, d.abstractUS, "signal")
	if err != nil {
		return err
	}
	if len(m) == 0 {
		return p.errAt(n, at, ErrEmpty, "the %s table has no content: give %s and/or signal", keyScope, d.abstractUS)
	}
	for _, f := range []struct {
		key string
		bit uint64
	}{{d.abstractUS, llaccess.ScopeAbstractUnixSocket}, {"signal", llaccess.ScopeSignal}} {
		if v := m[f.key]; v != nil {
			on, err := p.boolean(v, at.key(f.key))
			if err != nil {
				return err
			}
			if on {
				ext.scoped |= f.bit
			}
		}
	}
	return nil
}

// Parse reads one policy document. name is used in error messages and by
// FormatAuto detection (its extension); it need not be a real file.
func Parse(data []byte, format Format, name string) (*Config, error) {
	if format == FormatAuto {
		format = DetectFormat(name, data)
	}
	if len(data) > MaxSize {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(data), MaxSize)}
	}
	p := &parser{file: name}
	var root *node
	var err error
	switch format {
	case FormatTOML:
		p.d, p.loc = &tomlDialect, newTOMLLocator(data)
		root, err = parseTOMLTree(data)
	case FormatJSON:
		p.d = &jsonDialect
		root, err = parseJSONTree(data)
	default:
		return nil, &Error{File: name, Err: fmt.Errorf("%w %d: use FormatAuto, FormatTOML or FormatJSON", ErrFormat, int(format))}
	}
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, &Error{File: name, Line: se.line, Column: se.col,
				Err: fmt.Errorf("%w (%s): %s", ErrSyntax, format, se.msg)}
		}
		var pe *Error
		if errors.As(err, &pe) {
			pe.File = name
			return nil, pe
		}
		return nil, &Error{File: name, Err: fmt.Errorf("%w (%s): %v", ErrSyntax, format, err)}
	}
	return p.config(root)
}

// Compose combines configurations into one, in any order with the same
// result; see the package documentation for the rules. The inputs are not
// modified.
func Compose(cfgs ...*Config) (*Config, error) {
	if len(cfgs) == 0 {
		return nil, &Error{Err: fmt.Errorf("%w: Compose needs at least one configuration", ErrEmpty)}
	}
	out := &Config{}
	for i, c := range cfgs {
		if c == nil {
			return nil, &Error{Err: fmt.Errorf("%w: configuration %d is nil", ErrEmpty, i)}
		}
		out.sources = append(out.sources, c.sources...)
		if c.ll != nil {
			if out.ll == nil {
				out.ll = c.ll.clone()
			} else {
				out.ll.compose(c.ll)
			}
		}
		out.ext.merge(&c.ext)
	}
	return out, nil
}

func (ll *landlockPart) clone() *landlockPart {
	c := *ll
	c.vars = make(map[string]map[string]bool, len(ll.vars))
	for k, vs := range ll.vars {
		c.vars[k] = make(map[string]bool, len(vs))
		for v := range vs {
			c.vars[k][v] = true
		}
	}
	c.paths = make(map[string]*pathRule, len(ll.paths))
	for k, r := range ll.paths {
		cr := *r
		c.paths[k] = &cr
	}
	c.ports = make(map[uint64]uint64, len(ll.ports))
	for k, v := range ll.ports {
		c.ports[k] = v
	}
	return &c
}

// compose merges o into ll as the reference does: the handled rights and
// scopes become the intersection, every rule of both is kept but clipped
// to the common handled rights (and dropped if nothing is left), variables
// are united, and the abi is the lower one.
func (ll *landlockPart) compose(o *landlockPart) {
	fs, net := ll.handledFS&o.handledFS, ll.handledNet&o.handledNet
	for k, r := range ll.paths {
		if r.access &= fs; r.access == 0 {
			delete(ll.paths, k)
		}
	}
	for k, a := range ll.ports {
		if a &= net; a == 0 {
			delete(ll.ports, k)
		} else {
			ll.ports[k] = a
		}
	}
	for _, r := range o.paths {
		if a := r.access & fs; a != 0 {
			ll.addPath(r.tmpl, a, r.at)
		}
	}
	for port, a := range o.ports {
		if a &= net; a != 0 {
			ll.ports[port] |= a
		}
	}
	for k, vs := range o.vars {
		set := ll.vars[k]
		if set == nil {
			set = map[string]bool{}
			ll.vars[k] = set
		}
		for v := range vs {
			set[v] = true
		}
	}
	ll.handledFS, ll.handledNet, ll.scoped = fs, net, ll.scoped&o.scoped
	if ll.abi == 0 || (o.abi != 0 && o.abi < ll.abi) {
		ll.abi = o.abi
	}
}

// merge adds o's pledgekit content: everything is united.
func (ext *extPart) merge(o *extPart) {
	if o.hasPromises {
		ext.hasPromises = true
		ext.promises |= o.promises
	}
	for _, r := range o.unveils {
		ext.addUnveil(r.tmpl, r.perm, r.at)
	}
	ext.netHandled |= o.netHandled
	for port, a := range o.netPorts {
		if ext.netPorts == nil {
			ext.netPorts = map[uint64]uint64{}
		}
		ext.netPorts[port] |= a
	}
	ext.scoped |= o.scoped
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
