package main

import (
	"fmt"

	"github.com/pledgekit/pledgekit/report"
)

// statusCodes maps report statuses to their wire codes (index) and back.
var statusCodes = [...]report.Status{1: report.Enforced, 2: report.Partial, 3: report.Dropped, 4: report.NoEffect}

func statusCode(s report.Status) uint8 {
	for i, v := range statusCodes {
		if i > 0 && v == s {
			return uint8(i)
		}
	}
	return 2 // a status this example does not know: shown as partial
}

const maxReportItems = 512

// session is the parent's view of one child's message stream. Apply
// accepts a message only if it makes sense at this point of the protocol
// and for the files the parent asked for; the first error ends the child.
type session struct {
	kind   roleKind
	files  []sessFile
	attack bool // --demo-attack: attack results are expected

	phase   int
	items   int
	hello   Message
	report  report.Report
	parts   [][2]partState
	attacks map[uint8]Message
	verify  map[uint16]Message
	want    map[uint16]bool // verify: the files the verifier was asked about
	fatal   *Message
}

// sessFile is what the parent told the child about one file.
type sessFile struct {
	size   uint64
	signed bool
	urls   int
}

type partState struct {
	started, done, failed bool
	restarted             bool
	pos                   uint64
	size                  uint64
	mirror                uint8
	fail                  string
}

type roleKind int

const (
	kindFetch roleKind = iota
	kindVerify
)

const (
	phaseHello = iota
	phaseReportHeader
	phaseReport
	phaseRunning
	phaseEnded
)

func newSession(kind roleKind, files []sessFile, attack bool, verifyWant []uint16) *session {
	s := &session{kind: kind, files: files, attack: attack, parts: make([][2]partState, len(files))}
	if kind == kindVerify {
		s.want = make(map[uint16]bool, len(verifyWant))
		for _, i := range verifyWant {
			s.want[i] = true
		}
		s.verify = map[uint16]Message{}
	}
	if attack {
		s.attacks = map[uint8]Message{}
	}
	return s
}

func (s *session) bad(m Message, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, m.Type, fmt.Sprintf(format, args...))
}

// Apply validates m against the protocol state and records it.
func (s *session) Apply(m Message) error {
	if s.phase == phaseEnded {
		return s.bad(m, "message after the end of the stream")
	}
	if m.Type == msgFatal {
		s.fatal = &m
		s.phase = phaseEnded
		return nil
	}
	switch s.phase {
	case phaseHello:
		if m.Type != msgHello {
			return s.bad(m, "expected hello first")
		}
		s.hello = m
		s.phase = phaseReportHeader
		return nil
	case phaseReportHeader:
		if m.Type != msgReportHeader {
			return s.bad(m, "expected the sandbox report after hello")
		}
		s.report = report.Report{
			Arch: m.Arch, Kernel: m.Kernel, LandlockABI: int(m.ABI),
			Seccomp: m.Flags&repSeccomp != 0, Landlock: m.Flags&repLandlock != 0,
			NoNewPrivs: m.Flags&repNoNewPrivs != 0,
		}
		s.phase = phaseReport
		return nil
	case phaseReport:
		switch m.Type {
		case msgReportItem:
			if s.items++; s.items > maxReportItems {
				return s.bad(m, "more than %d report items", maxReportItems)
			}
			s.report.Items = append(s.report.Items, report.Item{Layer: report.Layer(m.Layer), What: m.What, Status: statusCodes[m.Status], Reason: m.Reason, Detail: m.Detail})
			return nil
		case msgNote:
			return s.checkIndex(m, true)
		case msgReady:
			s.phase = phaseRunning
			return nil
		}
		return s.bad(m, "not allowed while the sandbox report is sent")
	}
	// phaseRunning
	switch m.Type {
	case msgBye:
		s.phase = phaseEnded
		return nil
	case msgNote:
		return s.checkIndex(m, true)
	case msgAttack:
		return s.applyAttack(m)
	case msgVerify:
		if s.kind != kindVerify {
			return s.bad(m, "only the verifier sends signature results")
		}
		if !s.want[m.Index] {
			return s.bad(m, "file index %d was not given to the verifier", m.Index)
		}
		if _, dup := s.verify[m.Index]; dup {
			return s.bad(m, "second result for file index %d", m.Index)
		}
		if m.Code > 1 {
			return s.bad(m, "result code %d", m.Code)
		}
		s.verify[m.Index] = m
		return nil
	case msgStart, msgProgress, msgDone, msgFail:
		if s.kind != kindFetch {
			return s.bad(m, "the verifier does not download")
		}
		return s.applyFile(m)
	}
	return s.bad(m, "not allowed after ready")
}

func (s *session) checkIndex(m Message, allowNone bool) error {
	if m.Index == noIndex && allowNone {
		return nil
	}
	if int(m.Index) >= len(s.files) {
		return s.bad(m, "file index %d out of range (%d files)", m.Index, len(s.files))
	}
	return nil
}

// limit is the largest size a part may have.
func (s *session) limit(i uint16, part uint8) uint64 {
	if part == partSig {
		return maxSigSize
	}
	return s.files[i].size
}

func (s *session) applyFile(m Message) error {
	if err := s.checkIndex(m, false); err != nil {
		return err
	}
	f := s.files[m.Index]
	if m.Part == partSig && !f.signed {
		return s.bad(m, "file index %d has no signature", m.Index)
	}
	p := &s.parts[m.Index][m.Part]
	if p.done {
		return s.bad(m, "file index %d part %d is already complete", m.Index, m.Part)
	}
	if p.failed {
		return s.bad(m, "file index %d part %d already failed", m.Index, m.Part)
	}
	lim := s.limit(m.Index, m.Part)
	switch m.Type {
	case msgStart:
		if int(m.Mirror) >= f.urls {
			return s.bad(m, "mirror %d out of range (%d urls)", m.Mirror, f.urls)
		}
		if p.started {
			// Mirrors are tried in order; one restart from 0 per mirror
			// (a server that ignored the range request).
			switch {
			case m.Mirror < p.mirror:
				return s.bad(m, "mirror %d after mirror %d", m.Mirror, p.mirror)
			case m.Mirror == p.mirror && (p.restarted || m.Offset != 0):
				return s.bad(m, "second start on mirror %d", m.Mirror)
			}
			p.restarted = m.Mirror == p.mirror
		}
		if m.Part == partFile && m.Total != f.size {
			return s.bad(m, "total %d is not the expected size %d", m.Total, f.size)
		}
		if m.Part == partSig && m.Total != 0 {
			return s.bad(m, "signature total must be 0 (unknown), got %d", m.Total)
		}
		if m.Offset > lim {
			return s.bad(m, "resume offset %d beyond the size limit %d", m.Offset, lim)
		}
		p.started, p.pos, p.mirror = true, m.Offset, m.Mirror
	case msgProgress:
		if !p.started {
			return s.bad(m, "progress before start")
		}
		if m.Offset < p.pos {
			return s.bad(m, "progress went backwards from %d to %d", p.pos, m.Offset)
		}
		if m.Offset > lim {
			return s.bad(m, "progress %d beyond the size limit %d", m.Offset, lim)
		}
		p.pos = m.Offset
	case msgDone:
		if !p.started {
			return s.bad(m, "done before start")
		}
		if m.Offset < p.pos || m.Offset > lim {
			return s.bad(m, "final size %d outside %d..%d", m.Offset, p.pos, lim)
		}
		if m.Part == partFile && m.Offset != f.size {
			return s.bad(m, "final size %d is not the expected size %d", m.Offset, f.size)
		}
		if m.Part == partSig && m.Offset == 0 {
			return s.bad(m, "empty signature")
		}
		p.done, p.pos, p.size = true, m.Offset, m.Offset
	case msgFail:
		p.failed, p.fail = true, m.Text
	}
	return nil
}

// attack ids, in the order the child tries them.
const (
	attackWriteOutside = iota
	attackReadSecret
	attackExecShell
	attackConnectPort
	attackSignalParent
	attackRegainRoot
	attackPlantSymlink
	attackFillDisk
	numAttacks
)

var attackNames = [numAttacks]string{
	attackWriteOutside: "write a file outside the download directory",
	attackReadSecret:   "read a secret file next to the cache",
	attackExecShell:    "execute /bin/sh",
	attackConnectPort:  "connect to a port that is not a mirror",
	attackSignalParent: "send SIGTERM to the privileged parent",
	attackRegainRoot:   "regain root with setuid(0)",
	attackPlantSymlink: "plant a symlink to the secret as a finished download",
	attackFillDisk:     "fill the disk: fallocate 2 GiB in the download dir",
}

func (s *session) applyAttack(m Message) error {
	if !s.attack || s.kind != kindFetch {
		return s.bad(m, "attack results are only accepted in --demo-attack mode")
	}
	if m.Code >= numAttacks {
		return s.bad(m, "unknown attempt %d", m.Code)
	}
	if _, dup := s.attacks[m.Code]; dup {
		return s.bad(m, "second result for attempt %d", m.Code)
	}
	switch m.Status {
	case attackDenied, attackSucceeded:
	case attackPlanted:
		if m.Code != attackPlantSymlink {
			return s.bad(m, "only the symlink attempt can be planted")
		}
	default:
		return s.bad(m, "unknown outcome %d", m.Status)
	}
	s.attacks[m.Code] = m
	return nil
}
