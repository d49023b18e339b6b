package lead

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// NewToken returns a fresh secret: prefix followed by 32 random bytes in
// base64url (256 bits, well over the 128 a guess must beat).
func NewToken(prefix string) string {
	var b [32]byte
	rand.Read(b[:]) // never fails on supported platforms (Go ≥1.24 crashes instead)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken returns the hex SHA-256 of a token. Tokens are looked up by this
// hash, so a lookup's timing says nothing about how much of a guess matched.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
