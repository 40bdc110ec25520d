package proto

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestFormatParseRoundTrip(t *testing.T) {
	line := Format(KindResult, "pkg", "./pledge", "user", "nobody", "status", "fail",
		"reason", `exit status 1: "quoted" and spaces @@ inside`, "empty", "")
	if strings.Contains(line, "\n") {
		t.Fatalf("record spans lines: %q", line)
	}
	rec, ok, err := Parse(line)
	if !ok || err != nil {
		t.Fatalf("Parse(%q) = ok %v, err %v", line, ok, err)
	}
	want := map[string]string{"pkg": "./pledge", "user": "nobody", "status": "fail",
		"reason": `exit status 1: "quoted" and spaces @@ inside`, "empty": ""}
	if rec.Kind != KindResult || !reflect.DeepEqual(rec.Fields, want) {
		t.Fatalf("got %+v, want kind result fields %v", rec, want)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		line   string
		ok     bool
		bad    bool
		kind   string
		fields map[string]string
	}{
		{line: "plain console text", ok: false},
		{line: "", ok: false},
		{line: "@@PLEDGEKIT done status=ok@@\r\n", ok: true, kind: "done", fields: map[string]string{"status": "ok"}},
		{line: "@@PLEDGEKIT done@@", ok: true, kind: "done", fields: map[string]string{}},
		// a kernel message printed before the record on the same line
		{line: "[   12.3] audit: x@@PLEDGEKIT kernel landlock_abi=6 lsm=landlock,yama@@", ok: true, kind: "kernel",
			fields: map[string]string{"landlock_abi": "6", "lsm": "landlock,yama"}},
		{line: `@@PLEDGEKIT probe error="a b" status=fail@@`, ok: true, kind: "probe",
			fields: map[string]string{"error": "a b", "status": "fail"}},
		// cut by a kernel message
		{line: "@@PLEDGEKIT result pkg=./x user=ro[  3.1] oops", bad: true},
		{line: "@@PLEDGEKIT result pkg=./x", bad: true},
		{line: `@@PLEDGEKIT result pkg="./x@@`, bad: true},
		{line: "@@PLEDGEKIT result pkg=./x pkg=./y@@", bad: true},
		{line: "@@PLEDGEKIT result pkg=./x@@ trailing", bad: true},
		{line: "@@PLEDGEKIT Result pkg=./x@@", bad: true},
		{line: "@@PLEDGEKIT result PKG=./x@@", bad: true},
		{line: "@@PLEDGEKIT result pkg=a\"b@@", bad: true},
		{line: "@@PLEDGEKIT result pkg@@", bad: true},
	}
	for _, tt := range tests {
		rec, ok, err := Parse(tt.line)
		if tt.bad {
			if ok || !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse(%q) = %+v, %v, %v; want ErrMalformed", tt.line, rec, ok, err)
			}
			continue
		}
		if err != nil || ok != tt.ok {
			t.Errorf("Parse(%q) = ok %v err %v, want ok %v", tt.line, ok, err, tt.ok)
			continue
		}
		if ok && (rec.Kind != tt.kind || !reflect.DeepEqual(rec.Fields, tt.fields)) {
			t.Errorf("Parse(%q) = %+v, want %s %v", tt.line, rec, tt.kind, tt.fields)
		}
	}
}

func TestRecordInt(t *testing.T) {
	rec, _, _ := Parse("@@PLEDGEKIT kernel a=7 b=x c=-1@@")
	if rec.Int("a", 0) != 7 || rec.Int("b", 42) != 42 || rec.Int("missing", -5) != -5 || rec.Int("c", 0) != -1 {
		t.Errorf("Int: got a=%d b=%d missing=%d c=%d", rec.Int("a", 0), rec.Int("b", 42), rec.Int("missing", -5), rec.Int("c", 0))
	}
}

func TestFormatPanicsOnBadKey(t *testing.T) {
	for _, kv := range [][]string{{"Bad", "x"}, {"a b", "x"}, {"odd"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Format(%q) did not panic", kv)
				}
			}()
			Format("result", kv...)
		}()
	}
}

// FuzzParse: Parse never panics, and whatever it accepts survives a
// FormatMap/Parse round trip unchanged.
func FuzzParse(f *testing.F) {
	f.Add("@@PLEDGEKIT done status=ok@@")
	f.Add(`x@@PLEDGEKIT result pkg=./p reason="a \"b\" @@"@@`)
	f.Add("@@PLEDGEKIT kernel landlock_abi=6 lsm=a,b,c@@\r")
	f.Add("@@PLEDGEKIT @@")
	f.Add(`@@PLEDGEKIT probe e="\xff"@@`)
	f.Fuzz(func(t *testing.T, line string) {
		rec, ok, err := Parse(line)
		if ok && err != nil {
			t.Fatalf("ok with error %v", err)
		}
		if !ok {
			return
		}
		again, ok2, err2 := Parse(FormatMap(rec.Kind, rec.Fields))
		if !ok2 || err2 != nil || again.Kind != rec.Kind || !reflect.DeepEqual(again.Fields, rec.Fields) {
			t.Fatalf("round trip of %+v gave %+v ok=%v err=%v", rec, again, ok2, err2)
		}
	})
}
