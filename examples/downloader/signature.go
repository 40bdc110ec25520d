package main

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Signatures are detached Ed25519ph (RFC 8032, pre-hashed with SHA-512)
// over the file, with this context string. Pre-hashing lets the verifier
// stream a package of any size instead of holding it in memory.
const sigContext = "pledgekit-downloader v1"

// signatureSize is the size of a .sig file: one raw Ed25519 signature.
const signatureSize = ed25519.SignatureSize

// SignFile returns the detached signature of the data read from r.
func SignFile(priv ed25519.PrivateKey, r io.Reader) ([]byte, error) {
	h := sha512.New()
	if _, err := io.Copy(h, r); err != nil {
		return nil, err
	}
	return priv.Sign(nil, h.Sum(nil), &ed25519.Options{Hash: crypto.SHA512, Context: sigContext})
}

// VerifyFile checks a detached signature made by SignFile.
func VerifyFile(pub ed25519.PublicKey, r io.Reader, sig []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("public key is %d bytes, want %d", len(pub), ed25519.PublicKeySize)
	}
	if len(sig) != signatureSize {
		return fmt.Errorf("signature is %d bytes, want %d", len(sig), signatureSize)
	}
	h := sha512.New()
	if _, err := io.Copy(h, r); err != nil {
		return err
	}
	return ed25519.VerifyWithOptions(pub, h.Sum(nil), sig, &ed25519.Options{Hash: crypto.SHA512, Context: sigContext})
}

// checkContentRange accepts only "bytes <offset>-<end>/<total>" that
// continues exactly where we are; for a file of known size end must be
// size-1 and total the size.
func checkContentRange(h string, offset int64, known bool, size int64) error {
	rest, ok := strings.CutPrefix(h, "bytes ")
	if !ok {
		return fmt.Errorf("bad Content-Range %q", SanitizeText(h, 80))
	}
	rng, tot, ok := strings.Cut(rest, "/")
	first, last, ok2 := strings.Cut(rng, "-")
	if !ok || !ok2 {
		return fmt.Errorf("bad Content-Range %q", SanitizeText(h, 80))
	}
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || a < 0 || b < a {
		return fmt.Errorf("bad Content-Range %q", SanitizeText(h, 80))
	}
	if a != offset {
		return fmt.Errorf("Content-Range starts at %d, we asked for %d", a, offset)
	}
	if tot != "*" {
		t, err := strconv.ParseInt(tot, 10, 64)
		if err != nil || t <= b {
			return fmt.Errorf("bad Content-Range total %q", SanitizeText(tot, 40))
		}
		if known && t != size {
			return fmt.Errorf("Content-Range total %d is not the expected size %d", t, size)
		}
	}
	if known && b != size-1 {
		return fmt.Errorf("Content-Range ends at %d, want %d", b, size-1)
	}
	if !known && b >= maxSigSize {
		return fmt.Errorf("Content-Range end %d beyond the %d byte limit", b, maxSigSize)
	}
	return nil
}
