//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgekit/pledgekit/ci/matrix/internal/proto"
)

func TestCounter(t *testing.T) {
	var out bytes.Buffer
	c := &counter{out: &out}
	// Written in odd chunks, as a pipe delivers it.
	text := "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n    --- PASS: TestB/sub (0.00s)\n--- FAIL: TestB (0.01s)\n--- SKIP: TestC (0.00s)\nFAIL\n"
	for i := 0; i < len(text); i += 7 {
		c.Write([]byte(text[i:min(i+7, len(text))]))
	}
	if c.passed != 1 || c.failed != 1 || c.skipped != 1 {
		t.Errorf("counted passed=%d failed=%d skipped=%d; want 1/1/1 (top-level only)", c.passed, c.failed, c.skipped)
	}
	if out.String() != text {
		t.Errorf("output not passed through unchanged")
	}
}

func parseRecords(t *testing.T, s string) []proto.Record {
	t.Helper()
	var recs []proto.Record
	for _, l := range strings.Split(s, "\n") {
		r, ok, err := proto.Parse(l)
		if err != nil {
			t.Errorf("malformed record: %v", err)
		}
		if ok {
			recs = append(recs, r)
		}
	}
	return recs
}

// The runner reports pass, fail and skip from real child processes; fake
// test binaries are shell scripts.
func TestRunnerHostMode(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := script("good.test", `echo "--- PASS: TestA (0.00s)"; echo "env $PLEDGEKIT_EXPECT_LANDLOCK_ABI $PLEDGEKIT_MATRIX_CELL $PLEDGEKIT_MATRIX $PLEDGEKIT_MATRIX_USER args $*"; exit 0`)
	bad := script("bad.test", `echo "--- PASS: TestA (0.00s)"; echo "--- FAIL: TestB (0.00s)"; exit 1`)
	skip := script("skip.test", `echo "--- SKIP: TestA (0.00s)"; exit 0`)
	lying := script("lying.test", `echo "--- FAIL: TestA (0.00s)"; exit 0`)
	hang := script("hang.test", `echo started; exec sleep 30`)
	probe := script("probecheck", `echo '@@PLEDGEKIT probe landlock_abi=3 seccomp=true status=pass@@'`)
	sandbox := script("sandboxcheck", `echo '@@PLEDGEKIT sandbox check=strict-paths ok=true@@'; echo '@@PLEDGEKIT sandbox check=best-tcp ok=false@@'; exit 1`)
	cfg := &proto.Config{
		Probe:            probe,
		Sandbox:          sandbox,
		TestArgs:         []string{"-test.v", "-test.short"},
		KillAfterSeconds: 1,
		Users:            []string{proto.UserRoot},
		Packages: []proto.Package{
			{Name: "./good", Binary: good, Dir: dir},
			{Name: "./bad", Binary: bad, Dir: dir},
			{Name: "./skip", Binary: skip, Dir: dir},
			{Name: "./lying", Binary: lying, Dir: dir},
			{Name: "./hang", Binary: hang, Dir: dir},
		},
	}
	var out bytes.Buffer
	console = &out
	defer func() { console = os.Stdout }()
	r := &runner{cfg: cfg, cell: "amd64/test", expect: "3"}
	failed := r.runAll()
	if failed != 4 {
		t.Errorf("runAll failed = %d, want 4 (sandbox, bad, lying, hang)", failed)
	}
	var sandboxRecs int
	status := map[string]string{}
	for _, rec := range parseRecords(t, out.String()) {
		switch rec.Kind {
		case proto.KindResult:
			status[rec.Get("pkg")] = rec.Get("status")
			if rec.Get("pkg") == "./hang" && !strings.Contains(rec.Get("reason"), "killed after 1s") {
				t.Errorf("hang reason %q", rec.Get("reason"))
			}
		case proto.KindProbe:
			if rec.Get("user") != "root" || rec.Get("landlock_abi") != "3" {
				t.Errorf("probe record %v", rec.Fields)
			}
		case proto.KindSandbox:
			sandboxRecs++
			if rec.Get("user") != "root" {
				t.Errorf("sandbox record %v", rec.Fields)
			}
		}
	}
	if sandboxRecs != 2 {
		t.Errorf("%d sandbox records passed through, want 2", sandboxRecs)
	}
	want := map[string]string{"./good": "pass", "./bad": "fail", "./skip": "skip", "./lying": "fail", "./hang": "fail"}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s: status %q, want %q", k, status[k], v)
		}
	}
	if !strings.Contains(out.String(), "env 3 amd64/test 1 root args -test.v -test.short") {
		t.Errorf("test binary did not get the environment and arguments:\n%s", out.String())
	}
}

func TestRunnerProbeMissing(t *testing.T) {
	var out bytes.Buffer
	console = &out
	defer func() { console = os.Stdout }()
	r := &runner{cfg: &proto.Config{Users: []string{proto.UserRoot}, KillAfterSeconds: 5}}
	if failed := r.runAll(); failed != 2 {
		t.Errorf("failed = %d, want 2 (probe and sandbox checks missing)", failed)
	}
	recs := parseRecords(t, out.String())
	if len(recs) != 2 || recs[0].Kind != proto.KindProbe || recs[0].Get("status") != "fail" ||
		recs[1].Kind != proto.KindSandbox || recs[1].Get("ok") != "false" {
		t.Errorf("records %v", recs)
	}
}

func TestReadConfigDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(p, []byte(`{"packages":[{"name":"./x","binary":"/x","dir":"/"}]}`), 0o644)
	cfg, err := readConfig(p)
	if err != nil || len(cfg.Users) != 1 || cfg.Users[0] != "root" || cfg.KillAfterSeconds <= 0 {
		t.Fatalf("cfg %+v, %v", cfg, err)
	}
	os.WriteFile(p, []byte(`{`), 0o644)
	if _, err := readConfig(p); err == nil {
		t.Error("bad JSON accepted")
	}
}
