package main

import (
	"errors"
	"testing"

	"github.com/pledgekit/pledgekit/report"
)

func runningSession(t *testing.T, attack bool) *session {
	t.Helper()
	s := newSession(kindFetch, []sessFile{{size: 100, urls: 2}, {size: 10, signed: true, urls: 1}}, attack, nil)
	for _, m := range []Message{
		{Type: msgHello, UID: 65534},
		{Type: msgReportHeader, ABI: 7, Flags: repLandlock | repSeccomp | repNoNewPrivs, Arch: "amd64"},
		{Type: msgReportItem, Status: 3, Layer: "landlock-net", What: "tcp", Reason: "old kernel", Detail: "needs ABI 4"},
		{Type: msgReady},
	} {
		if err := s.Apply(m); err != nil {
			t.Fatalf("%s: %v", m.Type, err)
		}
	}
	return s
}

func TestSessionReport(t *testing.T) {
	s := runningSession(t, false)
	r := s.report
	if !r.Landlock || !r.Seccomp || !r.NoNewPrivs || r.LandlockABI != 7 || r.Arch != "amd64" {
		t.Fatalf("report %+v", r)
	}
	if len(r.Items) != 1 || r.Items[0].Status != report.Dropped || r.Items[0].Reason != "old kernel" || r.Items[0].Detail != "needs ABI 4" {
		t.Fatalf("items %+v", r.Items)
	}
}

func TestSessionAccepts(t *testing.T) {
	s := runningSession(t, true)
	for _, m := range []Message{
		{Type: msgStart, Index: 0, Mirror: 0, Offset: 10, Total: 100},
		{Type: msgProgress, Index: 0, Offset: 10},
		{Type: msgProgress, Index: 0, Offset: 60},
		{Type: msgNote, Index: 0, Text: "mirror 0 failed"},
		{Type: msgStart, Index: 0, Mirror: 1, Offset: 60, Total: 100},
		{Type: msgStart, Index: 0, Mirror: 1, Offset: 0, Total: 100}, // range ignored: restart
		{Type: msgProgress, Index: 0, Offset: 100},
		{Type: msgDone, Index: 0, Offset: 100},
		{Type: msgStart, Index: 1, Total: 10},
		{Type: msgDone, Index: 1, Offset: 10},
		{Type: msgStart, Index: 1, Part: partSig},
		{Type: msgFail, Index: 1, Part: partSig, Text: "404"},
		{Type: msgAttack, Code: attackPlantSymlink, Status: attackPlanted},
		{Type: msgBye},
	} {
		if err := s.Apply(m); err != nil {
			t.Fatalf("%+v: %v", m, err)
		}
	}
	if !s.parts[0][partFile].done || !s.parts[1][partSig].failed || s.parts[1][partSig].fail != "404" {
		t.Fatalf("state %+v", s.parts)
	}
}

func TestSessionRejects(t *testing.T) {
	cases := map[string][]Message{
		"report before hello":     {{Type: msgReportHeader}},
		"start before ready":      {{Type: msgHello}, {Type: msgReportHeader}, {Type: msgStart, Total: 100}},
		"index out of range":      {{Type: msgStart, Index: 2, Total: 10}},
		"note index out of range": {{Type: msgNote, Index: 5}},
		"wrong total":             {{Type: msgStart, Index: 0, Total: 101}},
		"mirror out of range":     {{Type: msgStart, Index: 0, Mirror: 2, Total: 100}},
		"offset beyond size":      {{Type: msgStart, Index: 0, Offset: 101, Total: 100}},
		"progress before start":   {{Type: msgProgress, Index: 0, Offset: 1}},
		"progress backwards":      {{Type: msgStart, Index: 0, Total: 100}, {Type: msgProgress, Index: 0, Offset: 50}, {Type: msgProgress, Index: 0, Offset: 49}},
		"progress beyond size":    {{Type: msgStart, Index: 0, Total: 100}, {Type: msgProgress, Index: 0, Offset: 101}},
		"done short":              {{Type: msgStart, Index: 0, Total: 100}, {Type: msgDone, Index: 0, Offset: 99}},
		"done twice":              {{Type: msgStart, Index: 0, Total: 100}, {Type: msgDone, Index: 0, Offset: 100}, {Type: msgDone, Index: 0, Offset: 100}},
		"progress after done":     {{Type: msgStart, Index: 0, Total: 100}, {Type: msgDone, Index: 0, Offset: 100}, {Type: msgProgress, Index: 0, Offset: 100}},
		"sig of unsigned file":    {{Type: msgStart, Index: 0, Part: partSig}},
		"sig with a total":        {{Type: msgStart, Index: 1, Part: partSig, Total: 64}},
		"sig over limit":          {{Type: msgStart, Index: 1, Part: partSig}, {Type: msgProgress, Index: 1, Part: partSig, Offset: maxSigSize + 1}},
		"empty sig":               {{Type: msgStart, Index: 1, Part: partSig}, {Type: msgDone, Index: 1, Part: partSig, Offset: 0}},
		"mirrors backwards":       {{Type: msgStart, Index: 0, Mirror: 1, Total: 100}, {Type: msgStart, Index: 0, Mirror: 0, Total: 100}},
		"two restarts":            {{Type: msgStart, Index: 0, Total: 100}, {Type: msgStart, Index: 0, Total: 100}, {Type: msgStart, Index: 0, Total: 100}},
		"restart not at 0":        {{Type: msgStart, Index: 0, Offset: 5, Total: 100}, {Type: msgStart, Index: 0, Offset: 5, Total: 100}},
		"attack not enabled":      {{Type: msgAttack, Code: 0}},
		"verify from fetcher":     {{Type: msgVerify, Index: 0, Code: 1}},
		"after bye":               {{Type: msgBye}, {Type: msgNote, Index: noIndex}},
		"after fatal":             {{Type: msgFatal}, {Type: msgBye}},
		"hello twice":             {{Type: msgHello}},
		"report item after ready": {{Type: msgReportItem, Status: 1}},
	}
	for name, msgs := range cases {
		t.Run(name, func(t *testing.T) {
			var s *session
			if msgs[0].Type == msgReportHeader || (len(msgs) > 1 && msgs[1].Type == msgReportHeader) {
				s = newSession(kindFetch, []sessFile{{size: 100, urls: 2}, {size: 10, signed: true, urls: 1}}, false, nil)
			} else {
				s = runningSession(t, false)
			}
			var err error
			for _, m := range msgs {
				if err = s.Apply(m); err != nil {
					break
				}
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestSessionAttackRules(t *testing.T) {
	s := runningSession(t, true)
	if err := s.Apply(Message{Type: msgAttack, Code: numAttacks}); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown attempt: %v", err)
	}
	s = runningSession(t, true)
	if err := s.Apply(Message{Type: msgAttack, Code: attackExecShell, Status: attackPlanted}); !errors.Is(err, ErrMalformed) {
		t.Errorf("planted exec: %v", err)
	}
	s = runningSession(t, true)
	_ = s.Apply(Message{Type: msgAttack, Code: attackExecShell})
	if err := s.Apply(Message{Type: msgAttack, Code: attackExecShell}); !errors.Is(err, ErrMalformed) {
		t.Errorf("duplicate attempt: %v", err)
	}
}

func TestSessionVerify(t *testing.T) {
	start := func() *session {
		s := newSession(kindVerify, []sessFile{{size: 1}, {size: 1, signed: true}, {size: 1, signed: true}}, false, []uint16{1})
		for _, m := range []Message{{Type: msgHello}, {Type: msgReportHeader}, {Type: msgReady}} {
			if err := s.Apply(m); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	s := start()
	if err := s.Apply(Message{Type: msgVerify, Index: 1, Code: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(Message{Type: msgVerify, Index: 1, Code: 1}); !errors.Is(err, ErrMalformed) {
		t.Errorf("duplicate result: %v", err)
	}
	for name, m := range map[string]Message{
		"not asked":    {Type: msgVerify, Index: 2, Code: 1},
		"bad code":     {Type: msgVerify, Index: 1, Code: 2},
		"verifier dls": {Type: msgStart, Index: 1, Total: 1},
	} {
		if err := start().Apply(m); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestSessionReportItemCap(t *testing.T) {
	s := newSession(kindFetch, nil, false, nil)
	_ = s.Apply(Message{Type: msgHello})
	_ = s.Apply(Message{Type: msgReportHeader})
	var err error
	for i := 0; i <= maxReportItems && err == nil; i++ {
		err = s.Apply(Message{Type: msgReportItem, Status: 1})
	}
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("item %d accepted: %v", maxReportItems+1, err)
	}
}

func TestStatusCodes(t *testing.T) {
	for _, st := range []report.Status{report.Enforced, report.Partial, report.Dropped, report.NoEffect} {
		if c := statusCode(st); c == 0 || statusCodes[c] != st {
			t.Errorf("%s -> %d", st, c)
		}
	}
	if statusCodes[statusCode("future")] != report.Partial {
		t.Error("an unknown status must be shown as partial")
	}
}
