//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

type launchCmd struct {
	Name, Desc string
	Argv       []string
	Skip       string `json:",omitempty"` // why it was not measured
}

type launchRaw struct {
	Rounds    int
	MS        map[string][]float64
	CPU       map[string][]float64
	Hyperfine map[string]float64 `json:",omitempty"` // median ms
	Cmds      []launchCmd
}

func launchCommands(o *options) ([]launchCmd, error) {
	// A plain go build, as a user makes it: the command links no cgo
	// (docs/DESIGN.md), so this is a static binary whatever CGO_ENABLED
	// says, while landlock-restrict (libpsx through go-landlock) is
	// dynamically linked where cgo is enabled.
	uv, err := o.goBuild(o.root, "./cmd/unveil", "unveil")
	if err != nil {
		return nil, err
	}
	ge, err := o.goBuild(o.benchDir(), "./cmd/goexec", "goexec")
	if err != nil {
		return nil, err
	}
	// go-landlock's own launcher (Landlock only, the mechanism landrun
	// uses too): the peer for the engine's launch ratios (issue #17).
	llr, err := o.goBuild(o.benchDir(), "github.com/landlock-lsm/go-landlock/cmd/landlock-restrict", "landlock-restrict")
	if err != nil {
		return nil, err
	}
	t := "/bin/true"
	cmds := []launchCmd{
		{Name: "bare", Desc: "`/bin/true` itself", Argv: []string{t}},
		{Name: "go-exec floor", Desc: "a Go program that only execs the target (bench/cmd/goexec)", Argv: []string{ge, t}},
		{Name: "unveil -q", Desc: "`unveil -q -p 'stdio rpath' -- /bin/true`: exec mode (no supervisor), seccomp + the Landlock promise layer", Argv: []string{uv, "-q", "-p", "stdio", "-p", "rpath", "--", t}},
		{Name: "unveil -q -v", Desc: "`unveil -q -p 'stdio rpath' -v r:/tmp -- /bin/true`: as above plus the veil layer (program, loader, libraries, /tmp)", Argv: []string{uv, "-q", "-p", "stdio", "-p", "rpath", "-v", "r:/tmp", "--", t}},
		{Name: "unveil", Desc: "`unveil -p 'stdio rpath' -- /bin/true`: default supervised mode (becomes the program; a detached supervisor serves the user-notification listener)", Argv: []string{uv, "-p", "stdio", "-p", "rpath", "--", t}},
		{Name: "landlock-restrict", Desc: "go-landlock's `cmd/landlock-restrict -ro /usr /lib /lib64 /etc -- /usr/bin/true` (Landlock only; the same mechanism as landrun)", Argv: []string{llr, "-ro", "/usr", "/lib", "/lib64", "/etc", "--", "/usr/bin/true"}},
		{Name: "unveil -q -v r:/etc", Desc: "`unveil -q -p 'stdio rpath' -v r:/etc -- /usr/bin/true`: exec mode, seccomp + Landlock veil", Argv: []string{uv, "-q", "-p", "stdio", "-p", "rpath", "-v", "r:/etc", "--", "/usr/bin/true"}},
		{Name: "unveil -v r:/etc", Desc: "`unveil -p 'stdio rpath' -v r:/etc -- /usr/bin/true`: the supervised default (readable denials)", Argv: []string{uv, "-p", "stdio", "-p", "rpath", "-v", "r:/etc", "--", "/usr/bin/true"}},
		{Name: "setpriv", Desc: "`setpriv --no-new-privs /bin/true` (util-linux; no Landlock support in this version)", Argv: []string{"setpriv", "--no-new-privs", t}},
		{Name: "bwrap", Desc: "`bwrap --ro-bind / / /bin/true` (bubblewrap: mount namespace, read-only root)", Argv: []string{"bwrap", "--ro-bind", "/", "/", t}},
		{Name: "firejail", Desc: "`firejail --noprofile --quiet /bin/true` (namespaces, no profile)", Argv: []string{"firejail", "--noprofile", "--quiet", t}},
	}
	if out, err := exec.Command("setpriv", "--help").CombinedOutput(); err == nil && strings.Contains(string(out), "--landlock-access") {
		cmds = append(cmds, launchCmd{Name: "setpriv landlock", Desc: "`setpriv --no-new-privs --landlock-access fs --landlock-rule path-beneath:read-file,read-dir,execute:/ /bin/true`",
			Argv: []string{"setpriv", "--no-new-privs", "--landlock-access", "fs", "--landlock-rule", "path-beneath:read-file,read-dir,execute:/", t}})
	}
	for i := range cmds {
		c := &cmds[i]
		if _, err := exec.LookPath(c.Argv[0]); err != nil {
			c.Skip = "not installed"
			continue
		}
		var stderr bytes.Buffer
		cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			c.Skip = fmt.Sprintf("fails here: %v: %s", err, firstLine(strings.TrimSpace(stderr.String())))
		}
	}
	return cmds, nil
}

// runOnce starts argv with /dev/null as standard streams, waits, and
// returns the wall time and the CPU time of the process (and of the
// children it waited for).
func runOnce(argv []string, devnull *os.File) (wall, cpu time.Duration, err error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	p, err := os.StartProcess(path, argv, &os.ProcAttr{Files: []*os.File{devnull, devnull, devnull}})
	if err != nil {
		return 0, 0, err
	}
	st, err := p.Wait()
	d := time.Since(t0)
	if err != nil {
		return 0, 0, err
	}
	if !st.Success() {
		return 0, 0, fmt.Errorf("%v: %v", argv, st)
	}
	return d, st.UserTime() + st.SystemTime(), nil
}

func benchLaunch(o *options) (section, error) {
	var s section
	cmds, err := launchCommands(o)
	if err != nil {
		return s, err
	}
	rounds := o.roundsOr(150)
	raw := launchRaw{Rounds: rounds, MS: map[string][]float64{}, CPU: map[string][]float64{}, Cmds: cmds}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return s, err
	}
	defer devnull.Close()
	var live []launchCmd
	for _, c := range cmds {
		if c.Skip == "" {
			live = append(live, c)
		}
	}
	for r := range rounds + 3 { // 3 warm-up rounds
		for i := range live {
			c := live[(i+r)%len(live)]
			d, cpu, err := runOnce(c.Argv, devnull)
			if err != nil {
				return s, err
			}
			if r >= 3 {
				raw.MS[c.Name] = append(raw.MS[c.Name], float64(d.Nanoseconds())/1e6)
				raw.CPU[c.Name] = append(raw.CPU[c.Name], float64(cpu.Nanoseconds())/1e6)
			}
		}
	}
	if hf, err := exec.LookPath("hyperfine"); err == nil && !o.quick {
		raw.Hyperfine, err = hyperfine(o, hf, live, min(rounds, 100))
		if err != nil {
			o.logf("hyperfine: %v", err)
		}
	}
	s.Raw = raw
	var b strings.Builder
	fmt.Fprintf(&b, "Wall time to run `/bin/true` through each launcher, milliseconds (median of %d runs, commands interleaved, started with os.StartProcess; hyperfine -N cross-check, median of %d runs each). Δ is the difference to the Go-exec floor. CPU is user + system time of the launcher and the processes it waited for (a namespace sandbox's helper processes included), which leaves out waiting for a CPU.\n\n", rounds, min(rounds, 100))
	b.WriteString("| launcher | wall ms | ± % | Δ go-exec floor (ms) | CPU ms | Δ CPU floor (ms) | hyperfine ms |\n|---|--:|--:|--:|--:|--:|--:|\n")
	floor := median(raw.MS["go-exec floor"])
	cfloor := median(raw.CPU["go-exec floor"])
	for _, c := range cmds {
		if c.Skip != "" {
			fmt.Fprintf(&b, "| %s | – | | | | | not measured: %s |\n", c.Name, c.Skip)
			continue
		}
		m := median(raw.MS[c.Name])
		h := "–"
		if v, ok := raw.Hyperfine[c.Name]; ok {
			h = fmt.Sprintf("%.2f", v)
		}
		cm := median(raw.CPU[c.Name])
		fmt.Fprintf(&b, "| %s | %.2f | %.0f | %+.2f | %.2f | %+.2f | %s |\n", c.Name, m, spread(raw.MS[c.Name]), m-floor, cm, cm-cfloor, h)
	}
	if len(raw.MS["landlock-restrict"]) > 0 {
		// Ratios are medians of per-round ratios: the commands of one round
		// ran within milliseconds of each other, so a change of load
		// during the run moves both sides of each ratio.
		b.WriteString("\nRatios to go-landlock's landlock-restrict (medians of the per-round ratios of this run, wall and CPU; targets from issue #17):\n\n")
		for _, r := range []struct {
			name   string
			target float64
		}{{"unveil -q -v r:/etc", 1.2}, {"unveil -v r:/etc", 1.5}, {"bwrap", 0}} {
			wall := roundRatio(raw.MS[r.name], raw.MS["landlock-restrict"])
			cpu := roundRatio(raw.CPU[r.name], raw.CPU["landlock-restrict"])
			if math.IsNaN(wall) {
				continue
			}
			fmt.Fprintf(&b, "- %s: %.2f× wall, %.2f× CPU", r.name, wall, cpu)
			if r.target > 0 {
				verdict := "met"
				if wall > r.target {
					verdict = "not met"
				}
				fmt.Fprintf(&b, " (target ≤ %.1f× wall: %s)", r.target, verdict)
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\nLaunchers:\n\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "- %s: %s\n", c.Name, c.Desc)
	}
	s.Markdown = b.String()
	return s, nil
}

// hyperfine runs the commands under hyperfine -N and returns the median of
// each, in milliseconds.
func hyperfine(o *options, hf string, cmds []launchCmd, runs int) (map[string]float64, error) {
	out := filepath.Join(o.tmp, "hyperfine.json")
	args := []string{"-N", "--warmup", "5", "--runs", fmt.Sprint(runs), "--export-json", out, "--style", "none"}
	for _, c := range cmds {
		// -N splits a command line at spaces, with no quoting.
		for _, a := range c.Argv {
			if strings.ContainsAny(a, " \t") {
				return nil, fmt.Errorf("%s: argument %q has a space, which hyperfine -N would split", c.Name, a)
			}
		}
		args = append(args, "-n", c.Name, strings.Join(c.Argv, " "))
	}
	cmd := exec.Command(hf, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, err
	}
	var res struct {
		Results []struct {
			Command string  `json:"command"`
			Median  float64 `json:"median"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for _, r := range res.Results {
		m[r.Command] = r.Median * 1e3
	}
	return m, nil
}

// roundRatio is the median over rounds of xs[i]/ys[i] (NaN when either is
// missing): the per-round samples of two interleaved commands.
func roundRatio(xs, ys []float64) float64 {
	n := min(len(xs), len(ys))
	if n == 0 {
		return math.NaN()
	}
	rs := make([]float64, 0, n)
	for i := range n {
		if ys[i] > 0 {
			rs = append(rs, xs[i]/ys[i])
		}
	}
	return median(rs)
}
