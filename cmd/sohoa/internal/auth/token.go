package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// TokenPrefix starts every API token, so one pasted into the wrong place
// is recognisable (and findable by secret scanners).
const TokenPrefix = "sohoa_"

// NewToken returns a new API token: 32 random bytes. Only its HashSecret
// is stored.
func NewToken() string { return TokenPrefix + randomString() }

// randomString is 32 bytes from the system's CSPRNG, base64url.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is how tokens and session ids are stored: the hex sha256.
// They are 256 random bits, so a fast hash is enough: there is nothing to
// guess from it.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(s)))
	return hex.EncodeToString(h[:])
}
