package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Exit codes of unveil itself (the program's own status is passed through).
const (
	exitOK         = 0
	exitUsage      = 64  // bad command line (EX_USAGE)
	exitPromises   = 21  // bad promise string (as Cosmopolitan's pledge)
	exitPath       = 20  // bad -v path or permission (as pledge's unveil failure)
	exitSandbox    = 19  // the sandbox could not be applied, or --strict refused
	exitPolicy     = 22  // a --policy file could not be read or resolved
	exitInternal   = 125 // unveil itself failed otherwise (as env)
	exitCannotExec = 126 // the program exists but cannot be executed
	exitNotFound   = 127 // the program was not found
)

// exitError carries an exit code with a message.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// unveilArg is one -v [PERM:]PATH.
type unveilArg struct {
	Path string
	Perm string
}

// config is the parsed command line.
type config struct {
	promises    []string // -p, joined with spaces
	promisesSet bool
	unveils     []unveilArg
	noUnveil    bool // -V
	noScope     bool // --no-scope
	kill        bool // -k
	quiet       bool // -q
	uid, gid    string
	cpu         string // -C seconds
	mem         string // -M bytes
	files       string // -O
	procs       string // -P
	fsize       string // -F
	noNormalize bool   // -N
	nice        bool   // -n
	test        string // -T
	policies    []string
	tcpConnect  []uint16
	tcpBind     []uint16
	udpConnect  []uint16
	udpBind     []uint16
	strict      bool
	trace       bool
	report      bool
	json        bool
	clearEnv    bool
	env         []string
	direct      bool // --exec: no supervisor
	keepCaps    bool
	help        bool
	version     bool
	argv        []string // PROGRAM ARGS...
	learnFormat string
	explainArch string
	explainBPF  bool
	_           struct{}
}

// option describes one option: its short and long names and whether it
// takes a value.
type option struct {
	short    byte
	long     string
	hasValue bool
	set      func(c *config, v string) error
}

func appendPort(list *[]uint16, v string) error {
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil {
			return fmt.Errorf("%q is not a port number (0-65535)", f)
		}
		*list = append(*list, uint16(n))
	}
	return nil
}

var options = []option{
	{'p', "promises", true, func(c *config, v string) error { c.promises = append(c.promises, v); c.promisesSet = true; return nil }},
	{'v', "unveil", true, func(c *config, v string) error { c.unveils = append(c.unveils, parseUnveilArg(v)); return nil }},
	{'V', "no-unveil", false, func(c *config, _ string) error { c.noUnveil = true; return nil }},
	{'k', "kill", false, func(c *config, _ string) error { c.kill = true; return nil }},
	{'q', "quiet", false, func(c *config, _ string) error { c.quiet = true; return nil }},
	{'u', "uid", true, func(c *config, v string) error { c.uid = v; return nil }},
	{'g', "gid", true, func(c *config, v string) error { c.gid = v; return nil }},
	{'C', "cpu", true, func(c *config, v string) error { c.cpu = v; return nil }},
	{'M', "mem", true, func(c *config, v string) error { c.mem = v; return nil }},
	{'O', "files", true, func(c *config, v string) error { c.files = v; return nil }},
	{'P', "procs", true, func(c *config, v string) error { c.procs = v; return nil }},
	{'F', "fsize", true, func(c *config, v string) error { c.fsize = v; return nil }},
	{'N', "no-normalize", false, func(c *config, _ string) error { c.noNormalize = true; return nil }},
	{'n', "nice", false, func(c *config, _ string) error { c.nice = true; return nil }},
	{'T', "test", true, func(c *config, v string) error { c.test = v; return nil }},
	{'h', "help", false, func(c *config, _ string) error { c.help = true; return nil }},
	{0, "version", false, func(c *config, _ string) error { c.version = true; return nil }},
	{0, "policy", true, func(c *config, v string) error { c.policies = append(c.policies, v); return nil }},
	{0, "tcp-connect", true, func(c *config, v string) error { return appendPort(&c.tcpConnect, v) }},
	{0, "tcp-bind", true, func(c *config, v string) error { return appendPort(&c.tcpBind, v) }},
	{0, "udp-connect", true, func(c *config, v string) error { return appendPort(&c.udpConnect, v) }},
	{0, "udp-bind", true, func(c *config, v string) error { return appendPort(&c.udpBind, v) }},
	{0, "no-scope", false, func(c *config, _ string) error { c.noScope = true; return nil }},
	{0, "strict", false, func(c *config, _ string) error { c.strict = true; return nil }},
	{0, "trace", false, func(c *config, _ string) error { c.trace = true; return nil }},
	{0, "report", false, func(c *config, _ string) error { c.report = true; return nil }},
	{0, "json", false, func(c *config, _ string) error { c.json = true; return nil }},
	{0, "clearenv", false, func(c *config, _ string) error { c.clearEnv = true; return nil }},
	{0, "env", true, func(c *config, v string) error {
		if v == "" || strings.HasPrefix(v, "=") {
			return fmt.Errorf("--env %q: want NAME or NAME=VALUE", v)
		}
		c.env = append(c.env, v)
		return nil
	}},
	{0, "exec", false, func(c *config, _ string) error { c.direct = true; return nil }},
	{0, "keep-caps", false, func(c *config, _ string) error { c.keepCaps = true; return nil }},
}

// subcommand-only options.
var (
	learnOptions = []option{
		{0, "format", true, func(c *config, v string) error {
			if v != "flags" && v != "policy" {
				return fmt.Errorf("--format %q: want flags or policy", v)
			}
			c.learnFormat = v
			return nil
		}},
	}
	explainOptions = []option{
		{0, "arch", true, func(c *config, v string) error { c.explainArch = v; return nil }},
		{0, "bpf", false, func(c *config, _ string) error { c.explainBPF = true; return nil }},
	}
)

// parseUnveilArg splits [PERM:]PATH at the first colon, as pledge.com
// does: what precedes it is the permission string, which buildPlan checks
// (a prefix not made of rwxc is an error, not part of the path: a path
// that contains a colon is written with its permissions, r:/a:b). Without
// a colon the permission is "r".
func parseUnveilArg(v string) unveilArg {
	if perm, path, ok := strings.Cut(v, ":"); ok {
		return unveilArg{Path: path, Perm: perm}
	}
	return unveilArg{Path: v, Perm: "r"}
}

func validPerm(p string) bool {
	for _, c := range p {
		if !strings.ContainsRune("rwxc", c) {
			return false
		}
	}
	return true
}

var errUsage = errors.New("usage")

// parseArgs reads options getopt-style: short options may be bundled
// (-kq) and take their value attached (-pstdio) or as the next argument;
// long options take "--name=value" or "--name value". Parsing stops at
// "--" or at the first argument that is not an option (the program).
func parseArgs(args []string, opts []option) (*config, error) {
	c := &config{}
	find := func(short byte, long string) *option {
		for i := range opts {
			o := &opts[i]
			if (short != 0 && o.short == short) || (long != "" && o.long == long) {
				return o
			}
		}
		return nil
	}
	i := 0
	for i < len(args) {
		a := args[i]
		switch {
		case a == "--":
			c.argv = args[i+1:]
			return c, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o := find(0, name)
			if o == nil {
				return nil, fmt.Errorf("unknown option --%s: %w", name, errUsage)
			}
			if o.hasValue && !hasVal {
				if i+1 >= len(args) {
					return nil, fmt.Errorf("option --%s needs a value: %w", name, errUsage)
				}
				i++
				val = args[i]
			} else if !o.hasValue && hasVal {
				return nil, fmt.Errorf("option --%s takes no value: %w", name, errUsage)
			}
			if err := o.set(c, val); err != nil {
				return nil, fmt.Errorf("%v: %w", err, errUsage)
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				o := find(a[j], "")
				if o == nil {
					return nil, fmt.Errorf("unknown option -%c: %w", a[j], errUsage)
				}
				if !o.hasValue {
					if err := o.set(c, ""); err != nil {
						return nil, fmt.Errorf("%v: %w", err, errUsage)
					}
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("option -%c needs a value: %w", a[j], errUsage)
					}
					i++
					val = args[i]
				}
				if err := o.set(c, val); err != nil {
					return nil, fmt.Errorf("%v: %w", err, errUsage)
				}
				break
			}
		default:
			c.argv = args[i:]
			return c, nil
		}
		i++
	}
	return c, nil
}

// parseSize reads a size with an optional k/m/g/t/p/e suffix (base 1024);
// integers may be written in decimal, 0x hex or 0 octal, as strtol(…, 0).
func parseSize(s string) (uint64, error) {
	if s == "" {
		return 0, errors.New("empty size")
	}
	mult := uint64(1)
	switch strings.ToLower(s[len(s)-1:]) {
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	case "t":
		mult = 1 << 40
	case "p":
		mult = 1 << 50
	case "e":
		mult = 1 << 60
	}
	num := s
	if mult != 1 {
		num = s[:len(s)-1]
	}
	n, err := strconv.ParseUint(num, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (a number with an optional k, m, g suffix)", s)
	}
	if n > math.MaxUint64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}

// explainNames splits comma-separated syscall names.
func (c *config) explainNames(argv []string) []string {
	var out []string
	for _, a := range argv {
		for _, w := range strings.Split(a, ",") {
			if w != "" {
				out = append(out, w)
			}
		}
	}
	return out
}
