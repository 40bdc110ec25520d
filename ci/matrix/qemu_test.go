package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A guest that hangs is a failure with its console tail, never a pass.
func TestRunCommandCellTimeout(t *testing.T) {
	script := `printf '\n@@PLEDGEKIT boot cell=x release=r machine=m expect_abi=6 guest=true cpus=1@@\r\n'
printf 'last words before the hang\r\n'
exec sleep 60`
	log := filepath.Join(t.TempDir(), "cell.log")
	start := time.Now()
	res := runCommandCell(context.Background(), "sh", []string{"-c", script}, nil, 500*time.Millisecond, log, nil, "")
	if time.Since(start) > 20*time.Second {
		t.Fatalf("timeout not enforced: took %v", time.Since(start))
	}
	if !res.TimedOut || !res.Guest.Booted || res.Guest.Done {
		t.Fatalf("res = %+v", res)
	}
	if !strings.Contains(strings.Join(res.Tail, "\n"), "last words before the hang") {
		t.Errorf("tail %q lacks the last console line", res.Tail)
	}
	b, _ := os.ReadFile(log)
	if !strings.Contains(string(b), "last words before the hang") {
		t.Errorf("log %q lacks the console", b)
	}
	o := &cellOutcome{Cell: Cell{Arch: "amd64", Kernel: "6.12"}, ExpectABI: 6, Users: []string{"root"},
		Guest: res.Guest, TimedOut: res.TimedOut, Timeout: 500 * time.Millisecond}
	o.judge()
	if o.Verdict != verdictFail {
		t.Errorf("hung cell verdict %s", o.Verdict)
	}
}

func TestRunCommandCellExitStatus(t *testing.T) {
	res := runCommandCell(context.Background(), "sh", []string{"-c", "echo '@@PLEDGEKIT done status=ok@@'; exit 3"}, nil, 10*time.Second, "", nil, "")
	if res.TimedOut || !strings.Contains(res.RunErr, "status 3") || !res.Guest.Done {
		t.Errorf("res = %+v", res)
	}
}
