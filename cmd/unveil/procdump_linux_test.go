package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// procDump describes every process this test can see: for a launch whose
// output stream stayed open after the program was reaped, it shows who
// holds it and where each task waits (state, wchan, kernel stack where
// readable, seccomp state, descriptors and a listener's fdinfo).
func procDump() string {
	var b strings.Builder
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		status, err := os.ReadFile(d + "/status")
		if err != nil {
			continue
		}
		var keep []string
		for _, l := range strings.Split(string(status), "\n") {
			for _, k := range []string{"Name:", "State:", "Tgid:", "PPid:", "Uid:", "Seccomp:", "Seccomp_filters:", "NoNewPrivs:", "SigBlk:", "SigPnd:", "ShdPnd:"} {
				if strings.HasPrefix(l, k) {
					keep = append(keep, strings.Join(strings.Fields(l), " "))
				}
			}
		}
		fmt.Fprintf(&b, "%s: %s\n", d, strings.Join(keep, "; "))
		tasks, _ := filepath.Glob(d + "/task/[0-9]*")
		for _, t := range tasks {
			stat, _ := os.ReadFile(t + "/stat")
			wchan, _ := os.ReadFile(t + "/wchan")
			sc, _ := os.ReadFile(t + "/syscall")
			fmt.Fprintf(&b, "  task %s: wchan=%q syscall=%q stat=%q\n", filepath.Base(t), wchan, strings.TrimSpace(string(sc)), strings.TrimSpace(string(stat)))
			if st, err := os.ReadFile(t + "/stack"); err == nil {
				for _, l := range strings.Split(strings.TrimSpace(string(st)), "\n") {
					fmt.Fprintf(&b, "    %s\n", l)
				}
			}
		}
		fds, _ := filepath.Glob(d + "/fd/*")
		for _, f := range fds {
			link, _ := os.Readlink(f)
			fmt.Fprintf(&b, "  fd %s -> %s\n", filepath.Base(f), link)
			if strings.Contains(link, "seccomp") {
				info, _ := os.ReadFile(d + "/fdinfo/" + filepath.Base(f))
				fmt.Fprintf(&b, "    %s\n", strings.ReplaceAll(strings.TrimSpace(string(info)), "\n", "; "))
			}
		}
	}
	return b.String()
}
