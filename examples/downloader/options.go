package main

import (
	"errors"
	"io"
	"time"

	"github.com/pledgekit/pledgekit/report"
)

// Options configure one run of the downloader (the parent side).
type Options struct {
	Cache    string   // cache directory (created if missing)
	ListFile string   // download list (TOML); or List
	List     *List    // an already parsed list (the demo, tests)
	Mirrors  []string // extra mirror base URLs (--mirror)
	User     string   // download user when root (--user); "": a dynamic uid per run
	Parallel int      // parallel downloads

	KeyFile   string // Ed25519 public key file (--key)
	PublicKey []byte // or the key itself
	CAFile    string // PEM roots to trust instead of the system store (--ca)
	CAPEM     []byte // or the PEM itself

	DisableSandbox bool
	RequireSandbox bool

	Quiet   bool
	Verbose bool
	Bars    bool // progress bars (stderr is a terminal)

	ConnectTimeout time.Duration
	HeaderTimeout  time.Duration
	StallTimeout   time.Duration
	FileTimeout    time.Duration

	// Set by the demo and tests only.
	attack             *attackJob
	errnoPenalty       bool
	simulateNoLandlock bool
	exe                string // binary to re-execute; default /proc/self/exe
	fetchRole          string // child role for the download (tests: misbehaving children)
	verifyRole         string // child role for the signature check (tests)

	Stderr io.Writer
}

// Result is what a run did, for --json and for tests.
type Result struct {
	Cache     string         `json:"cache"`
	Identity  *Identity      `json:"identity,omitempty"`
	Files     []FileResult   `json:"files"`
	Sandbox   *report.Report `json:"sandbox,omitempty"`
	Verifier  *report.Report `json:"verifier_sandbox,omitempty"`
	Warnings  []string       `json:"warnings,omitempty"`
	Attacks   []AttackResult `json:"attacks,omitempty"`
	Leftovers []string       `json:"leftovers_removed,omitempty"`
	Error     string         `json:"error,omitempty"`
}

// Identity is who the downloader child ran as, as it verified it.
type Identity struct {
	UID            uint32   `json:"uid"`
	GID            uint32   `json:"gid"`
	Groups         []uint32 `json:"groups"`
	Switched       bool     `json:"switched"`
	NoNewPrivs     bool     `json:"no_new_privs"`
	Setuid0Denied  bool     `json:"setuid0_denied"`
	NoCapabilities bool     `json:"no_capabilities"`
	SandboxOff     bool     `json:"sandbox_disabled,omitempty"`
}

// FileResult is the outcome for one file of the list.
type FileResult struct {
	Name      string `json:"name"`
	Status    string `json:"status"` // ok, failed, interrupted
	Size      int64  `json:"size"`
	SHA256    string `json:"sha256,omitempty"`
	Signature string `json:"signature"` // verified, unsigned, bad, unchecked
	Resumed   int64  `json:"resumed_from,omitempty"`
	Mirror    string `json:"mirror,omitempty"`
	Path      string `json:"path,omitempty"`
	Error     string `json:"error,omitempty"`
}

// AttackResult is one --demo-attack attempt.
type AttackResult struct {
	ID      int    `json:"id"`
	What    string `json:"what"`
	Outcome string `json:"outcome"` // DENIED, REFUSED, ALLOWED, NOT REPORTED
	Errno   string `json:"errno,omitempty"`
	Detail  string `json:"detail"`
}

// File statuses.
const (
	statusOK          = "ok"
	statusFailed      = "failed"
	statusInterrupted = "interrupted"
)

// Errors a caller can test for.
var (
	ErrInterrupted   = errors.New("interrupted")
	ErrLocked        = errors.New("another downloader is using this cache")
	ErrNeedRoot      = errors.New("switching to another user needs root")
	ErrChild         = errors.New("downloader child failed")
	ErrNotRegular    = errors.New("not a regular file")
	ErrSomeFailed    = errors.New("some files failed")
	ErrSandbox       = errors.New("sandbox requirement not met")
	ErrUsage         = errors.New("usage")
	ErrCompromised   = errors.New("child broke the protocol (treated as compromised)")
	ErrNoKey         = errors.New("signed files but no public key")
	ErrBadChecksum   = errors.New("sha256 mismatch")
	ErrBadSignature  = errors.New("bad signature")
	ErrWrongSize     = errors.New("wrong size")
	ErrLeftoverState = errors.New("cannot clean up")
	ErrUnsafeCache   = errors.New("the cache can be changed by another user")
)
