package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func sampleMessages() []Message {
	return []Message{
		{Type: msgHello, UID: 65534, GID: 65534, PID: 42, Flags: helloSwitched | helloNoNewPrivs, Groups: []uint32{1, 2}},
		{Type: msgHello, UID: 1000, GID: 1000, PID: 7},
		{Type: msgReportHeader, ABI: 7, Flags: repSeccomp | repLandlock, Arch: "amd64", Kernel: "6.18"},
		{Type: msgReportItem, Status: 1, Layer: "landlock-fs", What: "/tmp/x \"rwc\"", Reason: ""},
		{Type: msgReportItem, Status: 2, Layer: "landlock-net", What: "tcp", Reason: "short", Detail: "the long explanation"},
		{Type: msgReady},
		{Type: msgStart, Index: 2, Part: partSig, Mirror: 3, Offset: 10, Total: 0},
		{Type: msgProgress, Index: 1, Offset: 1 << 40},
		{Type: msgDone, Index: 0, Part: partFile, Offset: 99},
		{Type: msgFail, Index: 1, Part: partFile, Code: codeHTTP, Text: "HTTP 404 Not Found"},
		{Type: msgNote, Index: noIndex, Text: "ünïcödé is fine"},
		{Type: msgAttack, Code: attackExecShell, Status: attackDenied, Errno: 1, Text: "execve: operation not permitted"},
		{Type: msgVerify, Index: 3, Code: 1, Text: "good signature"},
		{Type: msgFatal, Code: codeSandbox, Text: "no"},
		{Type: msgBye},
	}
}

func TestWireRoundTrip(t *testing.T) {
	var stream bytes.Buffer
	enc := NewEncoder(&stream)
	msgs := sampleMessages()
	for _, m := range msgs {
		if err := enc.Send(m); err != nil {
			t.Fatalf("encode %s: %v", m.Type, err)
		}
	}
	dec := NewDecoder(&stream)
	for _, want := range msgs {
		got, err := dec.Next()
		if err != nil {
			t.Fatalf("decode %s: %v", want.Type, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip %s:\n got %+v\nwant %+v", want.Type, got, want)
		}
	}
	if _, err := dec.Next(); err != io.EOF {
		t.Fatalf("end of stream: %v, want io.EOF", err)
	}
}

func frame(t msgType, payload []byte) []byte {
	h := []byte{wireMagic, wireVersion, byte(t), 0, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[4:], uint32(len(payload)))
	return append(h, payload...)
}

func str(s string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(s)))
	return append(b, s...)
}

func TestWireRejects(t *testing.T) {
	good := frame(msgNote, append([]byte{0xFF, 0xFF, 0}, str("ok")...))
	cases := map[string][]byte{
		"bad magic":           append([]byte{0x00}, good[1:]...),
		"bad version":         append([]byte{wireMagic, 2}, good[2:]...),
		"unknown type 0":      frame(0, nil),
		"unknown type 200":    frame(200, nil),
		"reserved byte":       {wireMagic, wireVersion, byte(msgReady), 1, 0, 0, 0, 0},
		"huge length":         {wireMagic, wireVersion, byte(msgNote), 0, 0xFF, 0xFF, 0xFF, 0xFF},
		"length over type":    frame(msgReady, []byte{0}),
		"truncated header":    good[:5],
		"truncated payload":   good[:len(good)-1],
		"trailing bytes":      frame(msgBye, []byte{1}),
		"short fixed fields":  frame(msgStart, []byte{0, 1}),
		"string too long":     frame(msgNote, append([]byte{0, 0, 0}, 0xFF, 0xFF)),
		"string past end":     frame(msgNote, append([]byte{0, 0, 0}, 0, 10, 'a')),
		"invalid utf-8":       frame(msgNote, append([]byte{0, 0, 0}, str("\xff\xfe")...)),
		"control character":   frame(msgNote, append([]byte{0, 0, 0}, str("a\x1b[2Jb")...)),
		"bidi override":       frame(msgNote, append([]byte{0, 0, 0}, str("a\u202eb")...)),
		"newline":             frame(msgNote, append([]byte{0, 0, 0}, str("a\nb")...)),
		"unknown part":        frame(msgProgress, []byte{0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0}),
		"too many groups":     frame(msgHello, append(make([]byte, 12), 0, 65)),
		"groups past end":     frame(msgHello, append(make([]byte, 12), 0, 2, 0, 0, 0, 1)),
		"unknown hello flag":  frame(msgHello, append(make([]byte, 12), 0x80, 0)),
		"unknown status":      frame(msgReportItem, append([]byte{9}, append(str("a"), append(str("b"), append(str("c"), str("d")...)...)...)...)),
		"status zero":         frame(msgReportItem, append([]byte{0}, append(str("a"), append(str("b"), append(str("c"), str("d")...)...)...)...)),
		"item without detail": frame(msgReportItem, append([]byte{1}, append(str("a"), append(str("b"), str("c")...)...)...)),
		"unknown rep flag":    frame(msgReportHeader, append([]byte{7, 0x10}, append(str("a"), str("b")...)...)),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewDecoder(bytes.NewReader(b)).Next()
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	if _, err := NewDecoder(bytes.NewReader(good)).Next(); err != nil {
		t.Fatalf("the reference frame itself fails: %v", err)
	}
}

// countingReader counts how much the decoder reads.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func TestWireHugeLengthReadsNothingMore(t *testing.T) {
	// A frame that claims 4 GiB: the decoder must refuse after the header.
	b := append([]byte{wireMagic, wireVersion, byte(msgNote), 0, 0xFF, 0xFF, 0xFF, 0xFF}, make([]byte, 1<<20)...)
	cr := &countingReader{r: bytes.NewReader(b)}
	if _, err := NewDecoder(cr).Next(); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v", err)
	}
	if cr.n != wireHeaderLen {
		t.Fatalf("read %d bytes, want only the %d-byte header", cr.n, wireHeaderLen)
	}
}

func TestEncodeSanitizes(t *testing.T) {
	hostile := "../../etc\x00\x1b[31m\u202e" + strings.Repeat("é", 2000) + "\xff"
	m := Message{Type: msgNote, Index: noIndex, Text: hostile}
	b, err := m.Encode(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := NewDecoder(bytes.NewReader(b)).Next()
	if err != nil {
		t.Fatalf("a sanitized frame must decode: %v", err)
	}
	if len(got.Text) > maxWireString || strings.ContainsAny(got.Text, "\x00\x1b\u202e") {
		t.Fatalf("not sanitized: %q", got.Text)
	}
	if !strings.HasPrefix(got.Text, "../../etc") {
		t.Fatalf("printable prefix lost: %q", got.Text[:20])
	}
	if _, err := (&Message{Type: 99}).Encode(nil); err == nil {
		t.Error("encoding an unknown type succeeded")
	}
	if _, err := (&Message{Type: msgHello, Groups: make([]uint32, maxGroups+1)}).Encode(nil); err == nil {
		t.Error("encoding too many groups succeeded")
	}
}

func TestSanitizeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		"a\tb":         "a\uFFFDb",
		"\xffx":        "\uFFFDx",
		"zero\u200bw":  "zero\uFFFDw",
		"héllo wörld!": "héllo wörld!",
	} {
		if got := SanitizeText(in, 100); got != want {
			t.Errorf("SanitizeText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := SanitizeText("ééé", 5); got != "éé" {
		t.Errorf("cut inside a rune: %q", got)
	}
}

// FuzzDecode feeds arbitrary bytes to the parent's decoder and session,
// as a compromised child could. It must never panic, never accept a
// message the session state forbids, and every accepted message must
// re-encode to a frame that decodes to the same message.
func FuzzDecode(f *testing.F) {
	var stream bytes.Buffer
	enc := NewEncoder(&stream)
	for _, m := range sampleMessages() {
		_ = enc.Send(m)
		b, _ := m.Encode(nil)
		f.Add(b)
	}
	f.Add(stream.Bytes())
	var ok bytes.Buffer
	enc = NewEncoder(&ok)
	for _, m := range []Message{
		{Type: msgHello, UID: 1}, {Type: msgReportHeader}, {Type: msgReportItem, Status: 1, Layer: "l", What: "w"},
		{Type: msgReady}, {Type: msgStart, Index: 0, Total: 100}, {Type: msgProgress, Offset: 50},
		{Type: msgDone, Offset: 100}, {Type: msgStart, Index: 1, Part: partSig}, {Type: msgDone, Index: 1, Part: partSig, Offset: 64},
		{Type: msgAttack, Code: 2, Errno: 1}, {Type: msgBye},
	} {
		_ = enc.Send(m)
	}
	f.Add(ok.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		files := []sessFile{{size: 100, urls: 2}, {size: 5, signed: true, urls: 1}, {size: 0, urls: 1}}
		s := newSession(kindFetch, files, len(data)%2 == 0, nil)
		dec := NewDecoder(bytes.NewReader(data))
		for range 10000 {
			m, err := dec.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrMalformed) {
					t.Fatalf("error not wrapping ErrMalformed: %v", err)
				}
				return
			}
			b, err := m.Encode(nil)
			if err != nil {
				t.Fatalf("accepted message does not re-encode: %+v: %v", m, err)
			}
			again, err := NewDecoder(bytes.NewReader(b)).Next()
			if err != nil || !reflect.DeepEqual(again, m) {
				t.Fatalf("re-encode round trip: %+v -> %+v (%v)", m, again, err)
			}
			if err := s.Apply(m); err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("session error not wrapping ErrMalformed: %v", err)
				}
				return
			}
			// Invariants the parent relies on after each accepted message.
			for i, ps := range s.parts {
				for part, p := range ps {
					if p.pos > s.limit(uint16(i), uint8(part)) {
						t.Fatalf("file %d part %d position %d beyond its limit", i, part, p.pos)
					}
					if p.done && part == int(partFile) && p.size != files[i].size {
						t.Fatalf("file %d done with size %d, want %d", i, p.size, files[i].size)
					}
				}
			}
		}
	})
}
