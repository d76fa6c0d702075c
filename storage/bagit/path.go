package bagit

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnsafePath means a payload path could escape the bag or would not
// survive every file system and unzip tool the bag may meet.
var ErrUnsafePath = errors.New("unsafe bag path")

// CheckPath reports whether p is a safe payload path, relative to data/:
// slash-separated segments of ASCII letters, digits, '.', '_' and '-',
// none empty, none starting with a dot (so no "." or ".."), at most 255
// bytes in all. The error wraps ErrUnsafePath.
func CheckPath(p string) error {
	if reason := pathProblem(p); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrUnsafePath, p, reason)
	}
	return nil
}

func pathProblem(p string) string {
	switch {
	case p == "":
		return "empty"
	case len(p) > 255:
		return "longer than 255 bytes"
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "" {
			return "empty segment (leading, trailing or double slash)"
		}
		if seg[0] == '.' {
			return fmt.Sprintf("segment %q starts with a dot", seg)
		}
		for i := 0; i < len(seg); i++ {
			if !safeByte(seg[i]) {
				return fmt.Sprintf("byte %q is not a letter, digit, '.', '_' or '-'", seg[i])
			}
		}
	}
	return ""
}

func safeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// encodePath writes a path as a manifest line wants it (RFC 8493 §2.1.3):
// CR, LF and '%' percent-encoded, '%' first so the result decodes back.
func encodePath(p string) string {
	return strings.NewReplacer("%", "%25", "\n", "%0A", "\r", "%0D").Replace(p)
}

// decodePath undoes encodePath. Only %25, %0A and %0D (either case) are
// decoded; any other '%' stays as it is, as bagit-python reads it.
func decodePath(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			switch strings.ToUpper(p[i+1 : i+3]) {
			case "25":
				b.WriteByte('%')
				i += 2
				continue
			case "0A":
				b.WriteByte('\n')
				i += 2
				continue
			case "0D":
				b.WriteByte('\r')
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
