package storage

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrInvalidKey means a key breaks the rules CheckKey enforces. Every
// implementation rejects the same keys, so data can move between stores.
var ErrInvalidKey = errors.New("invalid object key")

// MaxKeyLen is the longest key, in bytes, that every store accepts (the S3
// limit).
const MaxKeyLen = 1024

// CheckKey reports whether key is a valid object key: slash-separated
// segments, none of them empty, "." or "..", none starting with a dot (the
// local store keeps its temporary files and sidecars under dot names), no
// leading or trailing slash, no backslash or control characters, valid
// UTF-8, at most MaxKeyLen bytes. The error wraps ErrInvalidKey.
func CheckKey(key string) error {
	if reason := keyProblem(key); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, reason)
	}
	return nil
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLen)
	case !utf8.ValidString(key):
		return "not valid UTF-8"
	case strings.HasPrefix(key, "/"):
		return "absolute path"
	case strings.HasSuffix(key, "/"):
		return "ends with a slash"
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f {
			return "control character"
		}
		if r == '\\' {
			return "backslash"
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return "empty segment"
		case seg == "." || seg == "..":
			return fmt.Sprintf("%q segment", seg)
		case strings.HasPrefix(seg, "."):
			return fmt.Sprintf("segment %q starts with a dot", seg)
		}
	}
	return ""
}

// PrefixMayMatch reports whether some valid key could start with prefix:
// false when a complete segment of prefix (one followed by a slash) breaks
// the key rules, such as "../". List returns nothing for such a prefix
// rather than an error, and never looks outside the store.
func PrefixMayMatch(prefix string) bool {
	i := strings.LastIndexByte(prefix, '/')
	return i < 0 || keyProblem(prefix[:i]) == ""
}
