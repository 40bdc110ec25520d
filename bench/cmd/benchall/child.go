//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// childEnv selects a child role; the roles run in fresh processes because
// a seccomp filter or Landlock domain cannot be removed.
const childEnv = "PKBENCH_CHILD"

func childMain(role string) int {
	var v any
	var err error
	switch role {
	case "syscalls":
		v, err = childSyscalls()
	case "apply":
		v, err = childApply()
	case "httpserver":
		err = childHTTPServer()
		if err == nil {
			return 0
		}
	case "walk":
		v, err = childWalk()
	case "open":
		v, err = childOpen()
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchall child %s: %v\n", role, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "benchall child %s: %v\n", role, err)
		return 1
	}
	return 0
}
