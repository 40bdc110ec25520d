package main

// The child → parent wire format.
//
// The parent is privileged and the child handles network data, so the
// parent's decoder is the one place where a compromised child can attack
// it. The format is therefore tiny and strict:
//
//	frame   = header payload
//	header  = magic:u8(0xD1) version:u8(1) type:u8 flags:u8(0) length:u32be
//	payload = type-specific fixed fields, then strings
//	string  = length:u16be bytes   (valid UTF-8, printable, ≤ maxWireString)
//
// Every type has a maximum payload length checked before anything is read,
// the payload is read into a fixed buffer (no allocation sized by the peer
// except strings, which are bounded by the frame), and a payload must be
// consumed exactly: trailing bytes are an error. Semantic checks (file
// index in range, progress monotonic and within the expected size, message
// order) are done by session, separately, so both can be fuzzed.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode"
	"unicode/utf8"
)

const (
	wireMagic     = 0xD1
	wireVersion   = 1
	wireHeaderLen = 8
	// maxWirePayload bounds every frame; the decoder's buffer is this big.
	maxWirePayload = 4096
	// maxWireString bounds every string field.
	maxWireString = 1024
	// maxGroups bounds the supplementary group list in a hello.
	maxGroups = 64
	// noIndex marks a message that is not about one file.
	noIndex = 0xFFFF
)

// ErrMalformed is returned (wrapped) for any frame that breaks the format
// or the protocol. The parent kills a child that sends one.
var ErrMalformed = errors.New("malformed message from child")

// msgType identifies a frame.
type msgType uint8

const (
	msgHello        msgType = 1  // privileges after the drop
	msgReportHeader msgType = 2  // sandbox report: the booleans
	msgReportItem   msgType = 3  // sandbox report: one item
	msgReady        msgType = 4  // sandbox applied; network (or verification) starts now
	msgStart        msgType = 5  // a transfer of one part from one mirror starts
	msgProgress     msgType = 6  // bytes of a part on disk so far
	msgDone         msgType = 7  // a part is complete on disk (renamed from .part)
	msgFail         msgType = 8  // a part failed on every mirror
	msgNote         msgType = 9  // human-readable remark (mirror failover, …)
	msgAttack       msgType = 10 // --demo-attack: result of one attempt
	msgVerify       msgType = 11 // verifier: signature result for one file
	msgFatal        msgType = 12 // the child gives up
	msgBye          msgType = 13 // clean end of the stream
	msgTypeMax              = msgBye
)

var msgNames = [...]string{
	msgHello: "hello", msgReportHeader: "report-header", msgReportItem: "report-item",
	msgReady: "ready", msgStart: "start", msgProgress: "progress", msgDone: "done",
	msgFail: "fail", msgNote: "note", msgAttack: "attack", msgVerify: "verify",
	msgFatal: "fatal", msgBye: "bye",
}

func (t msgType) String() string {
	if t >= 1 && t <= msgTypeMax {
		return msgNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Part of a file a message is about.
const (
	partFile uint8 = 0
	partSig  uint8 = 1
)

// Hello flags.
const (
	helloSwitched      = 1 << 0 // the child changed uid/gid/groups
	helloNoNewPrivs    = 1 << 1 // no_new_privs verified on every thread
	helloSetuid0Denied = 1 << 2 // setuid(0) failed after the switch
	helloNoCaps        = 1 << 3 // permitted and effective capability sets empty
	helloSandboxOff    = 1 << 4 // --disable-sandbox
	helloFlagsMask     = 1<<5 - 1
)

// Report header flags.
const (
	repSeccomp    = 1 << 0
	repLandlock   = 1 << 1
	repNoNewPrivs = 1 << 2
	repFlagsMask  = 1<<3 - 1
)

// Error classes in fail and fatal messages.
const (
	codeOther       = 1
	codeNetwork     = 2
	codeHTTP        = 3
	codeSize        = 4
	codeRange       = 5
	codeSandbox     = 6
	codePrivDrop    = 7
	codeInterrupted = 8
	codeSetup       = 9
)

// Attack outcomes.
const (
	attackDenied    uint8 = 0 // the kernel refused; Errno says how
	attackSucceeded uint8 = 1 // the attempt worked: the sandbox failed
	attackPlanted   uint8 = 2 // planted for the parent to refuse (symlink)
)

// Message is one decoded frame. Which fields are meaningful depends on
// Type; the rest are zero.
type Message struct {
	Type msgType

	// hello
	UID, GID uint32
	Groups   []uint32
	PID      uint32
	Flags    uint8 // hello and report-header flags

	// report
	ABI    uint8
	Status uint8 // report item status code, see statusCodes
	Layer  string
	What   string
	Reason string
	Detail string
	Arch   string
	Kernel string

	// file messages
	Index  uint16
	Part   uint8
	Mirror uint8
	Offset uint64 // start: resume offset; progress: bytes on disk; done: size
	Total  uint64 // start: expected size (0 = unknown, signatures)

	// fail, note, fatal, attack, verify
	Code  uint8 // fail/fatal: error class; attack: attempt id; verify: 1 = good
	Errno uint32
	Text  string
}

// fixed payload sizes (before strings), and the number of strings.
var layout = [...]struct{ fixed, strs int }{
	msgHello:        {4 + 4 + 4 + 1 + 1, 0}, // + 4*ngroups
	msgReportHeader: {1 + 1, 2},
	msgReportItem:   {1, 4}, // layer, what, reason, detail
	msgReady:        {0, 0},
	msgStart:        {2 + 1 + 1 + 8 + 8, 0},
	msgProgress:     {2 + 1 + 8, 0},
	msgDone:         {2 + 1 + 8, 0},
	msgFail:         {2 + 1 + 1, 1},
	msgNote:         {2 + 1, 1},
	msgAttack:       {1 + 1 + 4, 1},
	msgVerify:       {2 + 1, 1},
	msgFatal:        {1, 1},
	msgBye:          {0, 0},
}

func maxPayload(t msgType) int {
	l := layout[t]
	n := l.fixed + l.strs*(2+maxWireString)
	if t == msgHello {
		n += 4 * maxGroups
	}
	return min(n, maxWirePayload)
}

// Encode appends the frame for m to dst. Strings are made safe first
// (invalid UTF-8 and non-printable characters replaced, length capped),
// so encoding a message about hostile data cannot produce a frame the
// decoder rejects.
func (m *Message) Encode(dst []byte) ([]byte, error) {
	if m.Type < 1 || m.Type > msgTypeMax {
		return dst, fmt.Errorf("encode: unknown message type %d", m.Type)
	}
	if len(m.Groups) > maxGroups {
		return dst, fmt.Errorf("encode: %d groups is over the limit of %d", len(m.Groups), maxGroups)
	}
	start := len(dst)
	dst = append(dst, wireMagic, wireVersion, byte(m.Type), 0, 0, 0, 0, 0)
	b := binary.BigEndian
	switch m.Type {
	case msgHello:
		dst = b.AppendUint32(dst, m.UID)
		dst = b.AppendUint32(dst, m.GID)
		dst = b.AppendUint32(dst, m.PID)
		dst = append(dst, m.Flags, byte(len(m.Groups)))
		for _, g := range m.Groups {
			dst = b.AppendUint32(dst, g)
		}
	case msgReportHeader:
		dst = append(dst, m.ABI, m.Flags)
		dst = appendString(dst, m.Arch)
		dst = appendString(dst, m.Kernel)
	case msgReportItem:
		dst = append(dst, m.Status)
		dst = appendString(dst, m.Layer)
		dst = appendString(dst, m.What)
		dst = appendString(dst, m.Reason)
		dst = appendString(dst, m.Detail)
	case msgReady, msgBye:
	case msgStart:
		dst = b.AppendUint16(dst, m.Index)
		dst = append(dst, m.Part, m.Mirror)
		dst = b.AppendUint64(dst, m.Offset)
		dst = b.AppendUint64(dst, m.Total)
	case msgProgress, msgDone:
		dst = b.AppendUint16(dst, m.Index)
		dst = append(dst, m.Part)
		dst = b.AppendUint64(dst, m.Offset)
	case msgFail:
		dst = b.AppendUint16(dst, m.Index)
		dst = append(dst, m.Part, m.Code)
		dst = appendString(dst, m.Text)
	case msgNote:
		dst = b.AppendUint16(dst, m.Index)
		dst = append(dst, m.Part)
		dst = appendString(dst, m.Text)
	case msgAttack:
		dst = append(dst, m.Code, m.Status)
		dst = b.AppendUint32(dst, m.Errno)
		dst = appendString(dst, m.Text)
	case msgVerify:
		dst = b.AppendUint16(dst, m.Index)
		dst = append(dst, m.Code)
		dst = appendString(dst, m.Text)
	case msgFatal:
		dst = append(dst, m.Code)
		dst = appendString(dst, m.Text)
	}
	n := len(dst) - start - wireHeaderLen
	if n > maxPayload(m.Type) {
		return dst[:start], fmt.Errorf("encode: %s payload of %d bytes is over its limit", m.Type, n)
	}
	b.PutUint32(dst[start+4:], uint32(n))
	return dst, nil
}

func appendString(dst []byte, s string) []byte {
	s = SanitizeText(s, maxWireString)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

// SanitizeText makes s printable and at most max bytes: invalid UTF-8 and
// control, format and bidi characters become U+FFFD, and the string is cut
// at a rune boundary.
func SanitizeText(s string, max int) string {
	ok := len(s) <= max && utf8.ValidString(s)
	if ok {
		for _, r := range s {
			if !printable(r) {
				ok = false
				break
			}
		}
	}
	if ok {
		return s
	}
	out := make([]byte, 0, min(len(s), max))
	for _, r := range s {
		if r == utf8.RuneError || !printable(r) {
			r = utf8.RuneError
		}
		if len(out)+utf8.RuneLen(r) > max {
			break
		}
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}

func printable(r rune) bool {
	return !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r)
}

// Encoder writes frames; it is safe for concurrent use.
type Encoder struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Send writes one frame.
func (e *Encoder) Send(m Message) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var err error
	e.buf, err = m.Encode(e.buf[:0])
	if err != nil {
		return err
	}
	_, err = e.w.Write(e.buf)
	return err
}

// Decoder reads frames from an untrusted stream.
type Decoder struct {
	r   io.Reader
	buf [wireHeaderLen + maxWirePayload]byte
}

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: r} }

// Next reads one frame. It returns io.EOF only at a frame boundary; any
// other problem is an error wrapping ErrMalformed (or the read error).
func (d *Decoder) Next() (Message, error) {
	h := d.buf[:wireHeaderLen]
	if _, err := io.ReadFull(d.r, h); err != nil {
		if err == io.ErrUnexpectedEOF {
			return Message{}, fmt.Errorf("%w: stream ends inside a frame header", ErrMalformed)
		}
		return Message{}, err
	}
	if h[0] != wireMagic {
		return Message{}, fmt.Errorf("%w: bad magic 0x%02x", ErrMalformed, h[0])
	}
	if h[1] != wireVersion {
		return Message{}, fmt.Errorf("%w: protocol version %d, want %d", ErrMalformed, h[1], wireVersion)
	}
	t := msgType(h[2])
	if t < 1 || t > msgTypeMax {
		return Message{}, fmt.Errorf("%w: unknown message type %d", ErrMalformed, h[2])
	}
	if h[3] != 0 {
		return Message{}, fmt.Errorf("%w: %s: reserved header byte is %d", ErrMalformed, t, h[3])
	}
	n := binary.BigEndian.Uint32(h[4:])
	if n > uint32(maxPayload(t)) {
		return Message{}, fmt.Errorf("%w: %s: payload of %d bytes is over its limit of %d", ErrMalformed, t, n, maxPayload(t))
	}
	p := d.buf[wireHeaderLen : wireHeaderLen+int(n)]
	if _, err := io.ReadFull(d.r, p); err != nil {
		return Message{}, fmt.Errorf("%w: %s: stream ends inside the payload: %w", ErrMalformed, t, err)
	}
	return decodePayload(t, p)
}

// reader consumes a payload; the first error sticks.
type reader struct {
	p   []byte
	err error
}

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.p) {
		r.err = errors.New("payload too short")
		return nil
	}
	b := r.p[:n]
	r.p = r.p[n:]
	return b
}

func (r *reader) u8() uint8 {
	if b := r.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.take(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *reader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *reader) str() string {
	n := int(r.u16())
	if r.err != nil {
		return ""
	}
	if n > maxWireString {
		r.err = fmt.Errorf("string of %d bytes is over the limit of %d", n, maxWireString)
		return ""
	}
	b := r.take(n)
	if r.err != nil {
		return ""
	}
	if !utf8.Valid(b) {
		r.err = errors.New("string is not valid UTF-8")
		return ""
	}
	s := string(b)
	for _, c := range s {
		if !printable(c) {
			r.err = fmt.Errorf("string contains the non-printable character %U", c)
			return ""
		}
	}
	return s
}

func decodePayload(t msgType, p []byte) (Message, error) {
	r := &reader{p: p}
	m := Message{Type: t}
	switch t {
	case msgHello:
		m.UID, m.GID, m.PID = r.u32(), r.u32(), r.u32()
		m.Flags = r.u8()
		ng := int(r.u8())
		if r.err == nil && ng > maxGroups {
			r.err = fmt.Errorf("%d groups is over the limit of %d", ng, maxGroups)
		}
		if r.err == nil && m.Flags&^helloFlagsMask != 0 {
			r.err = fmt.Errorf("unknown hello flags 0x%02x", m.Flags)
		}
		if r.err == nil && ng > 0 {
			if ng*4 > len(r.p) {
				r.err = errors.New("payload too short for the group list")
				break
			}
			m.Groups = make([]uint32, ng)
			for i := range m.Groups {
				m.Groups[i] = r.u32()
			}
		}
	case msgReportHeader:
		m.ABI, m.Flags = r.u8(), r.u8()
		m.Arch, m.Kernel = r.str(), r.str()
		if r.err == nil && m.Flags&^repFlagsMask != 0 {
			r.err = fmt.Errorf("unknown report flags 0x%02x", m.Flags)
		}
	case msgReportItem:
		m.Status = r.u8()
		m.Layer, m.What, m.Reason, m.Detail = r.str(), r.str(), r.str(), r.str()
		if r.err == nil && (m.Status < 1 || int(m.Status) >= len(statusCodes)) {
			r.err = fmt.Errorf("unknown report status %d", m.Status)
		}
	case msgReady, msgBye:
	case msgStart:
		m.Index, m.Part, m.Mirror = r.u16(), r.u8(), r.u8()
		m.Offset, m.Total = r.u64(), r.u64()
	case msgProgress, msgDone:
		m.Index, m.Part = r.u16(), r.u8()
		m.Offset = r.u64()
	case msgFail:
		m.Index, m.Part, m.Code = r.u16(), r.u8(), r.u8()
		m.Text = r.str()
	case msgNote:
		m.Index, m.Part = r.u16(), r.u8()
		m.Text = r.str()
	case msgAttack:
		m.Code, m.Status = r.u8(), r.u8()
		m.Errno = r.u32()
		m.Text = r.str()
	case msgVerify:
		m.Index, m.Code = r.u16(), r.u8()
		m.Text = r.str()
	case msgFatal:
		m.Code = r.u8()
		m.Text = r.str()
	}
	if r.err == nil && m.Part > partSig {
		r.err = fmt.Errorf("unknown part %d", m.Part)
	}
	if r.err == nil && len(r.p) != 0 {
		r.err = fmt.Errorf("%d trailing bytes", len(r.p))
	}
	if r.err != nil {
		return Message{}, fmt.Errorf("%w: %s: %w", ErrMalformed, t, r.err)
	}
	return m, nil
}
