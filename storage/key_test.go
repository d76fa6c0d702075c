package storage_test

import (
	"errors"
	"strings"
	"testing"

	"sohoa/storage"
)

func TestCheckKey(t *testing.T) {
	t.Parallel()
	valid := []string{
		storage.OriginalKey(strings.Repeat("ab", 32)),
		storage.ArchiveKey(strings.Repeat("ab", 32)),
		"a", "a/b/c", "a-b", "a.b", "a/b.", "hồ sơ/Quyết định 12.pdf",
		strings.Repeat("x", storage.MaxKeyLen),
	}
	for _, k := range valid {
		if err := storage.CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", k, err)
		}
	}
	invalid := map[string]string{
		"":                                       "empty",
		"/a":                                     "absolute",
		"a/":                                     "ends with a slash",
		"a//b":                                   "empty segment",
		"./a":                                    `"." segment`,
		"a/../b":                                 `".." segment`,
		"..":                                     `".." segment`,
		".a":                                     "starts with a dot",
		"a/.put-1.tmp":                           "starts with a dot",
		`a\b`:                                    "backslash",
		"a\nb":                                   "control character",
		"a\x00":                                  "control character",
		"\xff":                                   "UTF-8",
		strings.Repeat("x", storage.MaxKeyLen+1): "longer than",
	}
	for k, reason := range invalid {
		err := storage.CheckKey(k)
		if !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalidKey", k, err)
			continue
		}
		if !strings.Contains(err.Error(), reason) {
			t.Errorf("CheckKey(%q) = %q, want it to say %q", k, err, reason)
		}
	}
}

func TestPrefixMayMatch(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"":               true,
		"a":              true,
		".":              true, // only complete segments are judged
		"originals/":     true,
		"originals/sha2": true,
		"../":            false,
		"a/../":          false,
		"/a":             false,
		"a//":            false,
		".hidden/":       false,
	}
	for prefix, want := range tests {
		if got := storage.PrefixMayMatch(prefix); got != want {
			t.Errorf("PrefixMayMatch(%q) = %v, want %v", prefix, got, want)
		}
	}
}
