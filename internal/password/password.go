// Package password hashes and checks user passwords with argon2id, stored as
// PHC strings so the parameters can change without breaking old hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// OWASP's recommended argon2id parameters.
const (
	memoryKiB = 19 * 1024
	time      = 2
	threads   = 1
	saltLen   = 16
	keyLen    = 32

	MinLen = 8
	MaxLen = 1024
)

var b64 = base64.RawStdEncoding

// ErrLength means the password is shorter than MinLen or longer than MaxLen bytes.
var ErrLength = fmt.Errorf("password must be %d to %d bytes long", MinLen, MaxLen)

// Hash returns the PHC string of password.
func Hash(password string) (string, error) {
	if len(password) < MinLen || len(password) > MaxLen {
		return "", ErrLength
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, time, memoryKiB, threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memoryKiB, time, threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Check reports whether password matches the PHC string hash, and whether the
// hash should be recomputed because its parameters are not the current ones.
func Check(password, hash string) (ok, rehash bool, err error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, false, errors.New("password: not an argon2id hash")
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, false, errors.New("password: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, false, fmt.Errorf("password: bad parameters: %w", err)
	}
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err := errors.Join(err1, err2); err != nil || len(key) == 0 {
		return false, false, errors.New("password: bad encoding")
	}
	if len(password) > MaxLen {
		return false, false, nil
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	ok = subtle.ConstantTimeCompare(got, key) == 1
	rehash = m != memoryKiB || t != time || p != threads || len(key) != keyLen || len(salt) != saltLen
	return ok, rehash, nil
}

// Generate returns a random password of 20 URL-safe characters.
func Generate() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
