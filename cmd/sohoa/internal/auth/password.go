package auth

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
)

// PasswordCost is bcrypt's cost for new hashes: about a quarter of a
// second on a modest office PC, which a person signing in does not notice
// and a guesser with a stolen catalog does.
var PasswordCost = 12

// Password length bounds: bcrypt reads only the first 72 bytes, so a
// longer password would silently be a shorter one.
const (
	MinPassword = 8
	MaxPassword = 72
)

// ErrWeakPassword is the answer of HashPassword for a password too short
// or too long.
var ErrWeakPassword = errors.New("password too short or too long")

// HashPassword returns the bcrypt hash of password (salted, with the cost
// in it).
func HashPassword(password string) (string, error) {
	if len(password) < MinPassword || len(password) > MaxPassword {
		return "", fmt.Errorf("mật khẩu cần từ %d đến %d ký tự (a password needs %d to %d bytes): %w",
			MinPassword, MaxPassword, MinPassword, MaxPassword, ErrWeakPassword)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password is the one hash was made from;
// it takes as long for a wrong password as for a right one.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// dummyHash is compared against when the user does not exist, so a
// sign-in with an unknown name takes as long as one with a wrong password
// and does not tell which names exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("sohoa-no-such-user"), bcrypt.MinCost)
