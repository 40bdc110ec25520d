package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// The parent hands each child its job as JSON on stdin. This direction is
// trusted (parent → child); it is still size-limited and re-validated.

// roleEnv selects the child role in a re-executed binary.
const roleEnv = "PLEDGEKIT_DOWNLOADER_ROLE"

const (
	roleFetch  = "fetch"
	roleVerify = "verify"
	maxJobSize = 16 << 20
)

// attackHeader in a mirror's response triggers the simulated compromise,
// but only in a child whose job has Attack set (--demo-attack).
const attackHeader = "X-Pledgekit-Demo-Attack"

// childJob is the part of the job every child role gets: whom to become,
// its directory, and how to sandbox itself. Embedded, its fields are
// top-level in the JSON.
type childJob struct {
	ParentPID int         `json:"parent_pid"`
	Dir       string      `json:"dir"`
	Switch    bool        `json:"switch"`
	UID       int         `json:"uid"`
	GID       int         `json:"gid"`
	Sandbox   sandboxOpts `json:"sandbox"`
	Penalty   string      `json:"penalty"` // "kill" or "errno"
}

type fetchJob struct {
	childJob
	Files     []jobFile `json:"files"`
	CAPEM     []byte    `json:"ca_pem,omitempty"`
	Parallel  int       `json:"parallel"`
	ReadOnly  []string  `json:"read_only,omitempty"`
	Ports     []uint16  `json:"ports"`
	UDPPorts  []uint16  `json:"udp_ports,omitempty"` // DNS: 53 when a mirror has a host name
	Endpoints []string  `json:"endpoints"`

	ConnectTimeout time.Duration `json:"connect_timeout"`
	HeaderTimeout  time.Duration `json:"header_timeout"`
	StallTimeout   time.Duration `json:"stall_timeout"`
	FileTimeout    time.Duration `json:"file_timeout,omitempty"`

	Attack *attackJob `json:"attack,omitempty"`
}

type jobFile struct {
	Name   string   `json:"name"`
	Size   int64    `json:"size"`
	Signed bool     `json:"signed,omitempty"`
	URLs   []string `json:"urls"`
}

// attackJob enables the --demo-attack hook and tells it what to aim at.
type attackJob struct {
	Secret        string `json:"secret"`         // a file the child must not read
	Outside       string `json:"outside"`        // a path outside the download dir
	ForbiddenPort uint16 `json:"forbidden_port"` // a listening port that is not a mirror
}

type verifyJob struct {
	childJob
	PublicKey []byte       `json:"public_key"`
	Files     []verifyFile `json:"files"`
}

type verifyFile struct {
	Index uint16 `json:"index"`
	Name  string `json:"name"`
}

func readJob(r io.Reader, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, maxJobSize+1))
	if err != nil {
		return fmt.Errorf("read job: %w", err)
	}
	if len(b) > maxJobSize {
		return fmt.Errorf("job is over %d bytes", maxJobSize)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode job: %w", err)
	}
	return nil
}
