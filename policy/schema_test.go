package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func loadSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(sampleDir + "schema/landlockconfig.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("landlockconfig.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("landlockconfig.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func schemaValid(t *testing.T, s *jsonschema.Schema, doc string) bool {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return false // not JSON
	}
	return s.Validate(inst) == nil
}

// Our JSON reader accepts a pure Landlock Config document exactly when the
// format's schema does, except where a rule cannot be written in JSON
// Schema (listed with the reason).
func TestSchemaAgreement(t *testing.T) {
	s := loadSchema(t)
	tests := []struct {
		doc      string
		stricter string // non-empty: the schema accepts, we reject, because...
	}{
		{doc: `{"abi": 1, "ruleset": [{"handledAccessFs": ["execute"]}]}`},
		{doc: `{"variable": [{"name": "a"}]}`},
		{doc: `{"variable": [{"name": "a", "literal": ["x", "x"]}]}`},
		{doc: `{"netPort": [{"allowedAccess": ["bind_tcp", "connect_tcp"], "port": [0, 65535]}]}`},
		{doc: `{"abi": 2147483647, "ruleset": [{"handledAccessFs": ["abi.all"], "handledAccessNet": ["abi.all"], "scoped": ["abi.all"]}]}`},
		{doc: `{"abi": 3, "pathBeneath": [{"allowedAccess": ["abi.read_write", "ioctl_dev"], "parent": ["${x}/y", "$$"]}]}`},
		{doc: `{}`},
		{doc: `{"abi": 1}`},
		{doc: `[]`},
		{doc: `{"abi": 0, "variable": [{"name": "a"}]}`},
		{doc: `{"abi": -1, "variable": [{"name": "a"}]}`},
		{doc: `{"abi": 2147483648, "variable": [{"name": "a"}]}`},
		{doc: `{"abi": "1", "variable": [{"name": "a"}]}`},
		{doc: `{"variable": []}`},
		{doc: `{"variable": [{"literal": ["a"]}]}`},
		{doc: `{"variable": [{"name": "a", "literal": []}]}`},
		{doc: `{"variable": [{"name": "a", "x": 1}]}`},
		{doc: `{"variable": [{"name": 1}]}`},
		{doc: `{"ruleset": []}`},
		{doc: `{"ruleset": [{}]}`},
		{doc: `{"ruleset": [{"handledAccessFs": []}]}`},
		{doc: `{"ruleset": [{"handledAccessFs": ["bind_tcp"]}]}`},
		{doc: `{"ruleset": [{"handledAccessNet": ["execute"]}]}`},
		{doc: `{"ruleset": [{"scoped": ["abi.read_write"]}]}`},
		{doc: `{"ruleset": [{"handled_access_fs": ["execute"]}]}`},
		{doc: `{"pathBeneath": []}`},
		{doc: `{"pathBeneath": [{"parent": ["/"]}]}`},
		{doc: `{"pathBeneath": [{"allowedAccess": ["execute"]}]}`},
		{doc: `{"pathBeneath": [{"allowedAccess": ["execute"], "parent": []}]}`},
		{doc: `{"pathBeneath": [{"allowedAccess": ["execute"], "parent": [1]}]}`},
		{doc: `{"pathBeneath": [{"allowedAccess": ["execute"], "parent": ["/"], "x": 1}]}`},
		{doc: `{"netPort": [{"allowedAccess": ["bind_tcp"], "port": [-1]}]}`},
		{doc: `{"netPort": [{"allowedAccess": ["bind_tcp"], "port": []}]}`},
		{doc: `{"netPort": [{"allowedAccess": ["read_file"], "port": [1]}]}`},
		{doc: `{"path_beneath": [{"allowedAccess": ["execute"], "parent": ["/"]}]}`},
		{doc: `{"variable": [{"name": "a"}], "extra": 1}`},

		{doc: `{"ruleset": [{"handledAccessFs": ["abi.all"]}]}`, stricter: "a group needs an abi (the reference agrees)"},
		{doc: `{"abi": 1, "abi": 1, "variable": [{"name": "a"}]}`, stricter: "duplicate keys (the reference agrees)"},
		{doc: `{"abi": 4.0, "variable": [{"name": "a"}]}`, stricter: "4.0 is an integer to JSON Schema, not to the reference"},
		{doc: `{"variable": [{"name": "1a"}]}`, stricter: "variable names (the reference agrees)"},
		{doc: `{"pathBeneath": [{"allowedAccess": ["execute"], "parent": ["${a"]}]}`, stricter: "template syntax (the reference agrees)"},
		{doc: `{"pathBeneath": [{"allowedAccess": ["execute"], "parent": [""]}]}`, stricter: "empty parent (the reference yields no rule)"},
		{doc: `{"netPort": [{"allowedAccess": ["bind_tcp"], "port": [65536]}]}`, stricter: "ports above 65535 (the reference fails when building the ruleset)"},
	}
	for _, tc := range tests {
		valid := schemaValid(t, s, tc.doc)
		_, err := Parse([]byte(tc.doc), FormatJSON, "f")
		ok := err == nil
		switch {
		case tc.stricter != "" && !(valid && !ok):
			t.Errorf("%s: schema valid=%v, parser ok=%v (err %v); want schema valid, parser error: %s", tc.doc, valid, ok, err, tc.stricter)
		case tc.stricter == "" && valid != ok:
			t.Errorf("%s: schema valid=%v, parser ok=%v (err %v)", tc.doc, valid, ok, err)
		}
	}
}

// The JSON samples are schema-valid; pledgekit's own sections are outside
// the schema (the format is a superset).
func TestSamplesAgainstSchema(t *testing.T) {
	s := loadSchema(t)
	var files []string
	for _, dir := range []string{exDir, compDir, compDir + "source/"} {
		m, _ := filepath.Glob(dir + "*.json")
		files = append(files, m...)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !schemaValid(t, s, string(data)) {
			t.Errorf("%s is not schema-valid", name)
		}
	}
	data, err := os.ReadFile("testdata/pledgekit/downloader.json")
	if err != nil {
		t.Fatal(err)
	}
	if schemaValid(t, s, string(data)) {
		t.Error("a pledgekit document passes the Landlock Config schema")
	}
}
