//go:build linux

// Command benchall runs pledgekit's performance benchmarks and writes the
// results as Markdown tables into docs/PERFORMANCE.md (between the
// "<!-- BEGIN section -->" / "<!-- END section -->" markers of each section
// it ran), or to standard output.
//
//	cd bench && go run ./cmd/benchall -out ../docs/PERFORMANCE.md
//	go run ./cmd/benchall -only syscalls,apply -rounds 9
//	go run ./cmd/benchall -quick            # smoke run: seconds, numbers meaningless
//
// Sections: syscalls (per-syscall filter cost, instructions per decision),
// apply (time to apply pledge/unveil), launch (CLI start-up against other
// sandboxes), workloads (HTTP server under wrk, file walk, Landlock per
// open, the downloader). Each measurement that needs a fresh process (a
// filter cannot be removed) runs in a child: this binary re-executed with
// PKBENCH_CHILD set. Configurations are interleaved round by round and the
// tables quote medians over rounds.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

type options struct {
	out    string
	only   map[string]bool
	rounds int
	quick  bool
	root   string // the pledgekit repository
	tmp    string // build and scratch directory
	raw    string // raw results as JSON
	keep   bool
	logw   io.Writer
}

var sections = []string{"syscalls", "apply", "launch", "workloads"}

func main() {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(childMain(role))
	}
	var o options
	var only string
	flag.StringVar(&o.out, "out", "", "Markdown file whose result sections are replaced (default: print to stdout)")
	flag.StringVar(&only, "only", strings.Join(sections, ","), "comma-separated sections to run: "+strings.Join(sections, ","))
	flag.IntVar(&o.rounds, "rounds", 0, "rounds per section (default: per section; -quick: 1)")
	flag.BoolVar(&o.quick, "quick", false, "smoke run: tiny iteration counts, one round; checks that everything builds and runs")
	flag.StringVar(&o.root, "root", "..", "the pledgekit repository (the bench module's parent)")
	flag.StringVar(&o.raw, "raw", "", "also write the raw per-round measurements as JSON to this file")
	flag.BoolVar(&o.keep, "keep", false, "keep the scratch directory")
	flag.Parse()
	o.only = map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !contains(sections, s) {
			fatalf("unknown section %q (want %s)", s, strings.Join(sections, ","))
		}
		o.only[s] = true
	}
	o.logw = os.Stderr
	if err := run(&o); err != nil {
		fatalf("%v", err)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func fatalf(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "benchall: "+f+"\n", a...)
	os.Exit(1)
}

func (o *options) logf(f string, a ...any) {
	fmt.Fprintf(o.logw, "benchall: "+f+"\n", a...)
}

func (o *options) roundsOr(def int) int {
	switch {
	case o.quick:
		return 1
	case o.rounds > 0:
		return o.rounds
	}
	return def
}

// section is one section's result: its Markdown and raw data.
type section struct {
	Name     string
	Markdown string
	Raw      any
}

func run(o *options) error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the benchmarks need Linux (seccomp, Landlock)")
	}
	root, err := filepath.Abs(o.root)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "pledge")); err != nil {
		return fmt.Errorf("-root %s is not the pledgekit repository: %w", root, err)
	}
	o.root = root
	if o.tmp, err = os.MkdirTemp("", "pkbench-"); err != nil {
		return err
	}
	if !o.keep {
		defer os.RemoveAll(o.tmp)
	}
	env := describeMachine()
	o.logf("%s", env)
	var done []section
	for _, name := range sections {
		if !o.only[name] {
			continue
		}
		load := loadavg()
		o.logf("section %s (load: %s)", name, load)
		start := time.Now()
		var s section
		var err error
		switch name {
		case "syscalls":
			s, err = benchSyscalls(o)
		case "apply":
			s, err = benchApply(o)
		case "launch":
			s, err = benchLaunch(o)
		case "workloads":
			s, err = benchWorkloads(o)
		}
		if err != nil {
			return fmt.Errorf("section %s: %w", name, err)
		}
		s.Name = name
		s.Markdown = fmt.Sprintf("_Measured %s on %s; load average before: %s; %s._\n\n",
			time.Now().UTC().Format("2006-01-02 15:04 MST"), env, load, commandLine(o, name)) + s.Markdown
		done = append(done, s)
		o.logf("section %s done in %s", name, time.Since(start).Round(time.Second))
	}
	if o.raw != "" {
		b, _ := json.MarshalIndent(done, "", "  ")
		if err := os.WriteFile(o.raw, b, 0o644); err != nil {
			return err
		}
	}
	if o.out == "" {
		for _, s := range done {
			fmt.Printf("<!-- BEGIN %s -->\n%s<!-- END %s -->\n\n", s.Name, s.Markdown, s.Name)
		}
		return nil
	}
	return replaceSections(o.out, done)
}

// commandLine is the command that reproduces a section.
func commandLine(o *options, name string) string {
	c := "`bench/run.sh -only " + name
	if o.rounds > 0 {
		c += fmt.Sprintf(" -rounds %d", o.rounds)
	}
	if o.quick {
		c += " -quick"
	}
	return c + "`"
}

// replaceSections replaces each section's marked block in the file, or
// appends the block if the file lacks its markers.
func replaceSections(path string, done []section) error {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	for _, s := range done {
		block := fmt.Sprintf("<!-- BEGIN %s -->\n%s<!-- END %s -->", s.Name, s.Markdown, s.Name)
		re := regexp.MustCompile(`(?s)<!-- BEGIN ` + regexp.QuoteMeta(s.Name) + ` -->.*?<!-- END ` + regexp.QuoteMeta(s.Name) + ` -->`)
		if re.Match(b) {
			b = re.ReplaceAllLiteral(b, []byte(block))
		} else {
			b = append(b, []byte("\n"+block+"\n")...)
		}
	}
	return os.WriteFile(path, b, 0o644)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// describeMachine names the CPU, core count, kernel and Go version.
func describeMachine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				if i := strings.IndexByte(l, ':'); i >= 0 {
					cpu = strings.TrimSpace(l[i+1:])
				}
				break
			}
		}
	}
	var u unix.Utsname
	kernel := "?"
	if unix.Uname(&u) == nil {
		kernel = unix.ByteSliceToString(u.Release[:])
	}
	return fmt.Sprintf("%s, %d CPUs, Linux %s, %s", cpu, runtime.NumCPU(), kernel, runtime.Version())
}

// goBuild builds a package into o.tmp and returns the binary's path. dir
// is the module directory to build in ("" for the bench module).
func (o *options) goBuild(dir, pkg, name string, env ...string) (string, error) {
	out := filepath.Join(o.tmp, name)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s (in %s): %w\n%s", pkg, dir, err, stderr.String())
	}
	return out, nil
}

// goTestBinary builds the test binary of a package into o.tmp.
func (o *options) goTestBinary(dir, pkg, name string) (string, error) {
	out := filepath.Join(o.tmp, name)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	cmd := exec.Command("go", "test", "-c", "-o", out, pkg)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go test -c %s (in %s): %w\n%s", pkg, dir, err, stderr.String())
	}
	return out, nil
}

// benchDir is the bench module's directory.
func (o *options) benchDir() string { return filepath.Join(o.root, "bench") }

// child runs this binary in a child role and decodes its JSON output
// into v.
func child(role string, env []string, v any, args ...string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, args...)
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("child %s %v: %w\n%s", role, env, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), v); err != nil {
		return fmt.Errorf("child %s %v: bad output %q: %w\n%s", role, env, stdout.String(), err, stderr.String())
	}
	return nil
}

// commandOutput runs a command and returns its standard output.
func commandOutput(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %v: %w\n%s", name, args, err, stderr.String())
	}
	return out, nil
}
