package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

type errCase struct {
	name string
	f    Format
	doc  string
	kind error
	key  string // exact Error.Key
	line int    // 0: not checked
	col  int    // 0: not checked
	msg  string // substring of the message; "" not checked
}

func checkErr(t *testing.T, tc errCase, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want %v", tc.kind)
	}
	if !errors.Is(err, tc.kind) {
		t.Errorf("error %q is not %v", err, tc.kind)
	}
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %q is not a *policy.Error", err)
	}
	if pe.File != "f" {
		t.Errorf("File = %q, want f", pe.File)
	}
	if pe.Key != tc.key {
		t.Errorf("Key = %q, want %q (%v)", pe.Key, tc.key, err)
	}
	if tc.line != 0 && pe.Line != tc.line {
		t.Errorf("Line = %d, want %d (%v)", pe.Line, tc.line, err)
	}
	if tc.col != 0 && pe.Column != tc.col {
		t.Errorf("Column = %d, want %d (%v)", pe.Column, tc.col, err)
	}
	if tc.msg != "" && !strings.Contains(err.Error(), tc.msg) {
		t.Errorf("message %q lacks %q", err, tc.msg)
	}
	if !strings.HasPrefix(err.Error(), "f:") {
		t.Errorf("message %q does not start with the file name", err)
	}
}

const okRule = `"pathBeneath": [{"allowedAccess": ["read_file"], "parent": ["/"]}]`

func TestParseErrors(t *testing.T) {
	J, T := FormatJSON, FormatTOML
	tests := []errCase{
		// Syntax.
		// The position is the bad byte's under every Go release (encoding/json's
		// streaming decoder changed its offsets in Go 1.27; CI runs both).
		{name: "json syntax", f: J, doc: "{\n  \"abi\": 4,\n}", kind: ErrSyntax, line: 3, col: 1, msg: "'}'"},
		{name: "json syntax after blank line", f: J, doc: "{\"abi\": 4,\n\n   ]", kind: ErrSyntax, line: 3, col: 4, msg: "']'"},
		{name: "json syntax in array", f: J, doc: "{\"variable\": [1,\n 2 3]}", kind: ErrSyntax, line: 2, col: 4, msg: "'3'"},
		{name: "json syntax in literal", f: J, doc: "{\"abi\":\n\n  tru }", kind: ErrSyntax, line: 3, col: 6, msg: "literal true"},
		{name: "json truncated", f: J, doc: `{"abi": 4`, kind: ErrSyntax, line: 1},
		{name: "json trailing", f: J, doc: `{"variable": [{"name": "a"}]} {}`, kind: ErrSyntax, line: 1, col: 31},
		{name: "json bad utf-8", f: J, doc: "{\n \"unveil\": [{\"path\": \"/a\xffb\", \"perm\": \"r\"}]}", kind: ErrSyntax, line: 2, col: 25, msg: "0xff"},
		{name: "toml bad utf-8", f: T, doc: "promises = \"\xff\"", kind: ErrSyntax, line: 1},
		{name: "json empty input", f: J, doc: ``, kind: ErrSyntax},
		{name: "json deep", f: J, doc: `{"variable": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, kind: ErrSyntax, msg: "nesting"},
		{name: "toml utf-16le", f: T, doc: "\xff\xfea\x00b\x00i\x00 \x00=\x00 \x004\x00\n\x00", kind: ErrSyntax, line: 1, col: 1, msg: "must be UTF-8"},
		{name: "toml utf-16be no bom", f: T, doc: "\x00a\x00b\x00i\x00 \x00=\x00 \x004\x00\n", kind: ErrSyntax, line: 1, col: 1, msg: "must be UTF-8"},
		{name: "toml utf-16 bom then utf-8", f: T, doc: "\xfe\xffpromises = \"stdio\"\n", kind: ErrSyntax, line: 1, col: 1, msg: "UTF-16"},
		{name: "toml value redefined by dotted key", f: T, doc: "promises.x = \"stdio\"\npromises = \"rpath\"\n", kind: ErrSyntax, line: 2, col: 1},
		{name: "toml syntax", f: T, doc: "abi = 4\npath_beneath = [\n", kind: ErrSyntax, line: 2},
		{name: "toml duplicate", f: T, doc: "abi = 1\nabi = 1\n[[ruleset]]\nhandled_access_fs = [\"execute\"]\n", kind: ErrSyntax, line: 2},
		{name: "toml deep inline tables", f: T, doc: "x = " + strings.Repeat("{a=", 100000) + strings.Repeat("}", 100000), kind: ErrSyntax, msg: "nesting"},
		{name: "toml long dotted key", f: T, doc: strings.Repeat("a.", 100000) + "b = 1", kind: ErrSyntax, msg: "dots"},
		{name: "toml deep", f: T, doc: "x = " + strings.Repeat("[", 100) + strings.Repeat("]", 100), kind: ErrSyntax, msg: "nesting"},
		{name: "json duplicate", f: J, doc: "{\"abi\": 1,\n \"abi\": 1, " + okRule + "}", kind: ErrDuplicateKey, key: "abi", line: 2, col: 2},

		// Shape and keys.
		{name: "json top array", f: J, doc: `[]`, kind: ErrType, msg: "expected an object"},
		{name: "json empty", f: J, doc: `{}`, kind: ErrEmpty, msg: "the configuration has no content"},
		{name: "toml empty", f: T, doc: "# nothing\n", kind: ErrEmpty},
		{name: "abi alone", f: T, doc: "abi = 1\n", kind: ErrEmpty},
		{name: "json unknown key", f: J, doc: "{\n\"abi\": 1,\n \"pathbeneath\": []}", kind: ErrUnknownKey, key: "pathbeneath", line: 3, col: 2},
		{name: "json toml spelling", f: J, doc: `{"path_beneath": []}`, kind: ErrUnknownKey, key: "path_beneath", msg: `spell it "pathBeneath"`},
		{name: "toml json spelling", f: T, doc: "abi = 1\n[[ruleset]]\nhandledAccessFs = [\"execute\"]\n", kind: ErrUnknownKey,
			key: "ruleset[0].handledAccessFs", line: 3, col: 1, msg: `spell it "handled_access_fs"`},
		{name: "json unknown nested", f: J, doc: `{"pathBeneath": [{"allowedAccess": ["read_file"], "parent": ["/"], "x": 1}]}`,
			kind: ErrUnknownKey, key: "pathBeneath[0].x"},
		{name: "json missing parent", f: J, doc: `{"pathBeneath": [{"allowedAccess": ["read_file"]}]}`, kind: ErrMissingKey, key: "pathBeneath[0]", msg: `missing required key: "parent"`},
		{name: "toml missing access", f: T, doc: "[[path_beneath]]\nparent = [\"/\"]\n", kind: ErrMissingKey, key: "path_beneath[0]", line: 1},
		{name: "json missing port", f: J, doc: `{"netPort": [{"allowedAccess": ["bind_tcp"]}]}`, kind: ErrMissingKey, key: "netPort[0]"},
		{name: "json missing var name", f: J, doc: `{"variable": [{"literal": ["a"]}]}`, kind: ErrMissingKey, key: "variable[0]"},
		{name: "json null", f: J, doc: `{"variable": null}`, kind: ErrType, key: "variable"},
		{name: "json object not array", f: J, doc: `{"pathBeneath": {}}`, kind: ErrType, key: "pathBeneath"},
		{name: "toml parent string", f: T, doc: "[[path_beneath]]\nallowed_access = [\"read_file\"]\nparent = \"/\"\n", kind: ErrType, key: "path_beneath[0].parent", line: 3},
		{name: "json access not string", f: J, doc: `{"pathBeneath": [{"allowedAccess": [1], "parent": ["/"]}]}`, kind: ErrType, key: "pathBeneath[0].allowedAccess[0]"},

		// Empty lists and tables.
		{name: "empty pathBeneath", f: J, doc: `{"pathBeneath": []}`, kind: ErrEmpty, key: "pathBeneath"},
		{name: "empty parent", f: J, doc: `{"pathBeneath": [{"allowedAccess": ["read_file"], "parent": []}]}`, kind: ErrEmpty, key: "pathBeneath[0].parent"},
		{name: "empty access", f: J, doc: `{"pathBeneath": [{"allowedAccess": [], "parent": ["/"]}]}`, kind: ErrEmpty, key: "pathBeneath[0].allowedAccess"},
		{name: "empty ports", f: J, doc: `{"netPort": [{"allowedAccess": ["bind_tcp"], "port": []}]}`, kind: ErrEmpty, key: "netPort[0].port"},
		{name: "empty variable", f: J, doc: `{"variable": []}`, kind: ErrEmpty, key: "variable"},
		{name: "empty literal", f: J, doc: `{"variable": [{"name": "a", "literal": []}]}`, kind: ErrEmpty, key: "variable[0].literal"},
		{name: "empty ruleset list", f: J, doc: `{"ruleset": []}`, kind: ErrEmpty, key: "ruleset"},
		{name: "empty ruleset", f: J, doc: `{"ruleset": [{}]}`, kind: ErrEmpty, key: "ruleset[0]", msg: "the ruleset has no content"},
		{name: "toml empty ruleset", f: T, doc: "abi = 2\n[[ruleset]]\n", kind: ErrEmpty, key: "ruleset[0]", line: 2},
		{name: "empty handled", f: J, doc: `{"ruleset": [{"scoped": []}]}`, kind: ErrEmpty, key: "ruleset[0].scoped"},

		// abi.
		{name: "abi 0", f: J, doc: `{"abi": 0, ` + okRule + `}`, kind: ErrABI, key: "abi", msg: "out of range"},
		{name: "abi -1", f: T, doc: "abi = -1\n[[ruleset]]\nhandled_access_fs = [\"execute\"]\n", kind: ErrABI, key: "abi", line: 1},
		{name: "abi 2^31", f: J, doc: `{"abi": 2147483648, ` + okRule + `}`, kind: ErrABI, key: "abi"},
		{name: "abi 2^64", f: J, doc: `{"abi": 18446744073709551616, ` + okRule + `}`, kind: ErrABI, key: "abi"},
		{name: "abi float", f: J, doc: `{"abi": 4.0, ` + okRule + `}`, kind: ErrType, key: "abi"},
		{name: "abi exponent", f: J, doc: `{"abi": 1e1, ` + okRule + `}`, kind: ErrType, key: "abi"},
		{name: "abi string", f: T, doc: "abi = \"4\"\n[[ruleset]]\nhandled_access_fs = [\"execute\"]\n", kind: ErrType, key: "abi"},
		{name: "group without abi", f: J, doc: "{\"ruleset\": [{\n  \"handledAccessFs\": [\"execute\", \"abi.all\"]}]}", kind: ErrABI,
			key: "ruleset[0].handledAccessFs[1]", line: 2, col: 34, msg: "set a top-level abi"},
		{name: "toml group without abi", f: T, doc: "[[path_beneath]]\nallowed_access = [\"abi.read_write\"]\nparent = [\"/tmp\"]\n", kind: ErrABI,
			key: "path_beneath[0].allowed_access[0]", line: 2},
		{name: "abi without landlock", f: T, doc: "abi = 4\npromises = \"stdio\"\n", kind: ErrABI, key: "abi", line: 1},

		// Names of rights.
		{name: "unknown fs right", f: J, doc: `{"pathBeneath": [{"allowedAccess": ["read_file", "red_file"], "parent": ["/"]}]}`,
			kind: ErrAccess, key: "pathBeneath[0].allowedAccess[1]", msg: `unknown access right: "red_file" is not a filesystem access right; known: execute,`},
		{name: "net right in fs", f: J, doc: `{"abi": 4, "pathBeneath": [{"allowedAccess": ["bind_tcp"], "parent": ["/"]}]}`, kind: ErrAccess, key: "pathBeneath[0].allowedAccess[0]"},
		{name: "fs group in net", f: J, doc: `{"abi": 4, "netPort": [{"allowedAccess": ["abi.read_write"], "port": [1]}]}`, kind: ErrAccess, key: "netPort[0].allowedAccess[0]"},
		{name: "bad scope", f: T, doc: "abi = 6\n[[ruleset]]\nscoped = [\"signals\"]\n", kind: ErrAccess, key: "ruleset[0].scoped[0]", line: 3, msg: `"signals" is not a scope`},
		{name: "case matters", f: J, doc: `{"ruleset": [{"handledAccessFs": ["Execute"]}]}`, kind: ErrAccess, key: "ruleset[0].handledAccessFs[0]"},
		{name: "not a schema right", f: J, doc: `{"ruleset": [{"handledAccessFs": ["resolve_unix"]}]}`, kind: ErrAccess, key: "ruleset[0].handledAccessFs[0]"},

		// Ports.
		{name: "port too big", f: J, doc: `{"netPort": [{"allowedAccess": ["bind_tcp"], "port": [80, 65536]}]}`, kind: ErrPort, key: "netPort[0].port[1]", msg: "65536"},
		{name: "port negative", f: T, doc: "[[net_port]]\nallowed_access = [\"bind_tcp\"]\nport = [-1]\n", kind: ErrPort, key: "net_port[0].port[0]", line: 3},
		{name: "port u64 max", f: J, doc: `{"netPort": [{"allowedAccess": ["bind_tcp"], "port": [18446744073709551615]}]}`, kind: ErrPort, key: "netPort[0].port[0]"},
		{name: "port string", f: J, doc: `{"netPort": [{"allowedAccess": ["bind_tcp"], "port": ["80"]}]}`, kind: ErrType, key: "netPort[0].port[0]"},
		{name: "port float", f: T, doc: "[[net_port]]\nallowed_access = [\"bind_tcp\"]\nport = [80.5]\n", kind: ErrType, key: "net_port[0].port[0]"},

		// Variables and paths.
		{name: "bad var name", f: J, doc: `{"variable": [{"name": "1x"}]}`, kind: ErrVariable, key: "variable[0].name"},
		{name: "bad var name dash", f: T, doc: "[[variable]]\nname = \"a-b\"\n", kind: ErrVariable, key: "variable[0].name", line: 2},
		{name: "unclosed ref", f: J, doc: `{"pathBeneath": [{"allowedAccess": ["read_file"], "parent": ["/a", "${home"]}]}`, kind: ErrVariable,
			key: "pathBeneath[0].parent[1]", msg: "unclosed"},
		{name: "empty parent path", f: J, doc: `{"pathBeneath": [{"allowedAccess": ["read_file"], "parent": [""]}]}`, kind: ErrPath, key: "pathBeneath[0].parent[0]"},
		{name: "literal not string", f: T, doc: "[[variable]]\nname = \"a\"\nliteral = [1]\n", kind: ErrType, key: "variable[0].literal[0]"},

		// pledgekit sections.
		{name: "bad promise", f: T, doc: "promises = \"stdio bogus\"\n", kind: ErrPromises, key: "promises", line: 1, msg: `"bogus"`},
		{name: "promises not string", f: J, doc: `{"promises": ["stdio"]}`, kind: ErrType, key: "promises"},
		{name: "bad perm", f: T, doc: "[[unveil]]\npath = \"/tmp\"\nperm = \"rq\"\n", kind: ErrPerm, key: "unveil[0].perm", line: 3},
		{name: "missing perm", f: J, doc: `{"unveil": [{"path": "/tmp"}]}`, kind: ErrMissingKey, key: "unveil[0]", msg: `"perm"`},
		{name: "env not allowed", f: T, doc: "[[unveil]]\npath = \"${PATH}/x\"\nperm = \"r\"\n", kind: ErrEnv, key: "unveil[0].path", line: 2, msg: "HOME, USER"},
		{name: "ll var in unveil", f: J, doc: `{"variable": [{"name": "rw", "literal": ["/tmp"]}], "unveil": [{"path": "${rw}", "perm": "r"}]}`, kind: ErrEnv, key: "unveil[0].path"},
		{name: "unveil empty path", f: J, doc: `{"unveil": [{"path": "", "perm": "r"}]}`, kind: ErrPath, key: "unveil[0].path"},
		{name: "unveil empty list", f: J, doc: `{"unveil": []}`, kind: ErrEmpty, key: "unveil"},
		{name: "net empty", f: T, doc: "[net]\n", kind: ErrEmpty, key: "net", line: 1},
		{name: "net bad port", f: T, doc: "[net]\nconnect_tcp = [443, 70000]\n", kind: ErrPort, key: "net.connect_tcp[1]", line: 2},
		{name: "net spelling", f: J, doc: `{"net": {"connect_tcp": [443]}}`, kind: ErrUnknownKey, key: "net.connect_tcp", msg: `"connectTcp"`},
		{name: "net not list", f: T, doc: "[net]\nbind_tcp = 80\n", kind: ErrType, key: "net.bind_tcp", line: 2},
		{name: "scope type", f: J, doc: `{"scope": {"signal": "yes"}}`, kind: ErrType, key: "scope.signal"},
		{name: "scope unknown", f: T, doc: "[scope]\nabstract_unix = true\n", kind: ErrUnknownKey, key: "scope.abstract_unix", line: 2},
		{name: "scope empty", f: J, doc: `{"scope": {}}`, kind: ErrEmpty, key: "scope"},
		{name: "toml inline unveil", f: T, doc: "unveil = [{path = \"/tmp\", perm = \"z\"}]\n", kind: ErrPerm, key: "unveil[0].perm", line: 1},

		// Limits and formats.
		{name: "too large", f: J, doc: strings.Repeat(" ", MaxSize+1), kind: ErrTooLarge},
		{name: "bad format", f: Format(9), doc: `{}`, kind: ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.doc), tc.f, "f")
			if err == nil {
				_, err = c.ResolveEnv(nil)
			}
			checkErr(t, tc, err)
		})
	}
}

// The promise error is reachable with errors.As.
func TestPromisesErrorChain(t *testing.T) {
	_, err := Parse([]byte(`promises = " stdio"`), FormatTOML, "f")
	var pe *promises.ParseError
	if !errors.As(err, &pe) || !errors.Is(err, promises.ErrEmptyWord) || !errors.Is(err, ErrPromises) {
		t.Fatalf("error %v does not wrap the promises error", err)
	}
}

// Errors found at Resolve time name the file and place of the rule.
func TestResolveErrors(t *testing.T) {
	env := func(k string) (string, bool) { return map[string]string{"HOME": "/h"}[k], k == "HOME" }
	tests := []struct {
		errCase
		env func(string) (string, bool)
	}{
		{errCase: errCase{name: "undefined variable", f: FormatTOML,
			doc:  "abi = 1\n[[path_beneath]]\nallowed_access = [\"execute\"]\nparent = [\"/a\", \"${nope}/b\"]\n",
			kind: ErrVariable, key: "path_beneath[0].parent[1]", line: 4, msg: `variable "nope" is not defined`}},
		{errCase: errCase{name: "undefined variable json", f: FormatJSON,
			doc:  "{\"pathBeneath\": [{\"allowedAccess\": [\"execute\"],\n \"parent\": [\"${x}\"]}]}",
			kind: ErrVariable, key: "pathBeneath[0].parent[0]", line: 2, col: 13}},
		{errCase: errCase{name: "empty expansion", f: FormatJSON,
			doc:  `{"variable": [{"name": "x", "literal": [""]}], "pathBeneath": [{"allowedAccess": ["execute"], "parent": ["${x}"]}]}`,
			kind: ErrPath, key: "pathBeneath[0].parent[0]", msg: "empty path"}},
		{errCase: errCase{name: "nul in path", f: FormatJSON,
			doc:  `{"pathBeneath": [{"allowedAccess": ["execute"], "parent": ["/a\u0000b"]}]}`,
			kind: ErrPath, key: "pathBeneath[0].parent[0]", msg: "NUL"}},
		{errCase: errCase{name: "env unset", f: FormatTOML,
			doc:  "[[unveil]]\npath = \"/x\"\nperm = \"r\"\n[[unveil]]\npath = \"${XDG_RUNTIME_DIR}/s\"\nperm = \"rw\"\n",
			kind: ErrEnv, key: "unveil[1].path", line: 5, msg: "XDG_RUNTIME_DIR is not set"}, env: env},
		{errCase: errCase{name: "expansion bomb", f: FormatJSON,
			doc: `{"variable": [{"name": "a", "literal": ["0","1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16"]}],
 "pathBeneath": [{"allowedAccess": ["execute"], "parent": ["/${a}/${a}/${a}/${a}"]}]}`,
			kind: ErrTooLarge, key: "pathBeneath[0].parent[0]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.doc), tc.f, "f")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			_, err = c.ResolveEnv(tc.env)
			checkErr(t, tc.errCase, err)
		})
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(); !errors.Is(err, ErrEmpty) {
		t.Errorf("Load() = %v, want ErrEmpty", err)
	}
	_, err := Load("testdata/does-not-exist.toml")
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.toml") {
		t.Errorf("Load(missing) = %v", err)
	}
	if _, err := Compose(); !errors.Is(err, ErrEmpty) {
		t.Errorf("Compose() = %v", err)
	}
	if _, err := Compose(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("Compose(nil) = %v", err)
	}
	var c *Config
	if _, err := c.Resolve(); !errors.Is(err, ErrEmpty) {
		t.Errorf("nil Resolve = %v", err)
	}
}

// The TOML nesting pre-scan ignores brackets, braces and dots inside strings
// and comments.
func TestTOMLDepthCheckStrings(t *testing.T) {
	deep := strings.Repeat("[{.", 100)
	doc := "# " + deep + "\n" +
		"[[path_beneath]] # " + deep + "\n" +
		"allowed_access = ['read_file']\n" +
		`parent = ["/` + deep + `", '/` + deep + `x', """/` + deep + "\n" + deep + `""", '''/` + deep + `y''', "/\"` + deep + `"]` + "\n"
	c, err := Parse([]byte(doc), FormatTOML, "f")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.ResolveEnv(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Paths) != 5 {
		t.Errorf("got %d paths: %v", len(r.Paths), r.Paths)
	}
}
