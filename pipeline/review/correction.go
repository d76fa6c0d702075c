// Package review holds the rules of a person's corrections to a record:
// which fields may be set, the names a clerk may type for them, and how
// each value is read and checked. The terminal (`sohoa review set`) and
// the review page of `sohoa serve` both go through Parse, so a value one
// accepts the other accepts too, and is stored the same way.
package review

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"sohoa/pipeline/classify"
	"sohoa/pipeline/vntext"
)

// Fields are the fields a person can set on a record, in the order a
// clerk reads a document, as the catalog's corrections spell them.
var Fields = []string{"doc_type", "field", "number", "issued_on", "issuer", "subject", "valid"}

// Correction is one value a person sets on a record, in the form the
// catalog stores: a slug for doc_type and field, an ISO day for
// issued_on, "true" or "false" for valid.
type Correction struct {
	Field string
	Value string
}

// InvalidError is a value refused; Error is what the clerk reads: the
// field, the value and what to write instead.
type InvalidError struct{ msg string }

func (e *InvalidError) Error() string { return e.msg }

func invalidf(format string, a ...any) error { return &InvalidError{fmt.Sprintf(format, a...)} }

// aliases are the other names a clerk may type for a field.
var aliases = map[string]string{
	"type": "doc_type", "loai": "doc_type",
	"linh_vuc": "field", "linhvuc": "field",
	"so": "number", "so_ky_hieu": "number",
	"issued": "issued_on", "date": "issued_on", "ngay": "issued_on",
	"co_quan":   "issuer",
	"trich_yeu": "subject",
	"hieu_luc":  "valid", "validity": "valid",
}

// ParseArg reads one "field=value" argument, as `sohoa review set` takes
// it; see Parse.
func ParseArg(arg string, today time.Time) (Correction, error) {
	name, value, ok := strings.Cut(arg, "=")
	if !ok {
		return Correction{}, invalidf("%q: viết trường=giá-trị, ví dụ doc_type=quyet-dinh (write field=value)", arg)
	}
	return Parse(name, value, today)
}

// Parse checks the value a clerk gave for the field (its name or an
// alias) and returns it in the form the catalog stores: a type or field
// by slug or by name (accents and case optional), a day as 16/01/2025 or
// 2025-01-16 (none before 1945 nor after today), spaces collapsed.
// A refused value is an *InvalidError.
func Parse(name, value string, today time.Time) (Correction, error) {
	name = strings.ToLower(strings.TrimSpace(strings.ReplaceAll(name, "-", "_")))
	if a, ok := aliases[name]; ok {
		name = a
	}
	value = strings.TrimSpace(value)
	if strings.IndexFunc(value, unicode.IsControl) >= 0 {
		return Correction{}, invalidf("%s: giá trị có ký tự điều khiển (the value has control characters)", name)
	}
	bad := func(format string, a ...any) error {
		return invalidf("%s=%q: %s", name, value, fmt.Sprintf(format, a...))
	}
	switch name {
	case "doc_type":
		slug, ok := LabelSlug(classify.Types(), value)
		if !ok {
			return Correction{}, bad("không phải loại văn bản; dùng một trong / not a document type; use one of: %s", slugList(classify.Types()))
		}
		value = slug
	case "field":
		slug, ok := LabelSlug(classify.Fields(), value)
		if !ok {
			return Correction{}, bad("không phải lĩnh vực; dùng một trong / not a field; use one of: %s", slugList(classify.Fields()))
		}
		value = slug
	case "issued_on":
		d, err := ParseIssueDate(value, today)
		if err != nil {
			return Correction{}, bad("%v", err)
		}
		value = d
	case "number", "issuer", "subject":
		value = strings.Join(strings.Fields(value), " ")
		if value == "" && name != "number" {
			return Correction{}, bad("không được để trống (must not be empty)")
		}
	case "valid":
		switch vntext.Fold(strings.ToLower(value)) {
		case "true", "yes", "1", "co", "con", "on":
			value = "true"
		case "false", "no", "0", "khong", "het", "off":
			value = "false"
		default:
			return Correction{}, bad("dùng true hoặc false (use true or false)")
		}
	default:
		return Correction{}, invalidf("%q: không có trường này; dùng / no such field; use %s", name, strings.Join(Fields, ", "))
	}
	return Correction{Field: name, Value: value}, nil
}

// LabelSlug finds the slug a clerk meant: the slug itself or the display
// name, accents and case optional ("Quyết định", "quyet dinh").
func LabelSlug(ls []classify.Label, v string) (string, bool) {
	key := strings.ReplaceAll(vntext.Fold(strings.ToLower(v)), " ", "-")
	for _, l := range ls {
		if key == l.Slug || key == strings.ReplaceAll(vntext.Fold(strings.ToLower(l.Name)), " ", "-") {
			return l.Slug, true
		}
	}
	return "", false
}

func slugList(ls []classify.Label) string {
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = l.Slug
	}
	return strings.Join(s, ", ")
}

// dayMonthYear is a date as Vietnamese documents write it (16/01/2025,
// 16-1-2025, 16.01.2025), yearMonthDay one as ISO 8601 writes it.
var (
	dayMonthYear = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$`)
	yearMonthDay = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
)

// ParseIssueDate reads 2025-01-16 or 16/01/2025 and returns it as ISO; a
// day that does not exist, one before 1945 (no document of this state is
// older) or after today is refused.
func ParseIssueDate(s string, today time.Time) (string, error) {
	var d, mo, y int
	if m := yearMonthDay.FindStringSubmatch(s); m != nil {
		y, _ = strconv.Atoi(m[1])
		mo, _ = strconv.Atoi(m[2])
		d, _ = strconv.Atoi(m[3])
	} else if m := dayMonthYear.FindStringSubmatch(s); m != nil {
		d, _ = strconv.Atoi(m[1])
		mo, _ = strconv.Atoi(m[2])
		y, _ = strconv.Atoi(m[3])
	} else {
		return "", errors.New("viết ngày dạng 16/01/2025 hoặc 2025-01-16 (write the day as 16/01/2025 or 2025-01-16)")
	}
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != mo {
		return "", errors.New("không có ngày này (no such day): kiểm tra lại / check it")
	}
	if t.Year() < 1945 {
		return "", errors.New("trước năm 1945 (before 1945): kiểm tra lại năm / check the year")
	}
	if t.After(today) {
		return "", errors.New("ngày trong tương lai (a day in the future): kiểm tra lại / check it")
	}
	return t.Format(time.DateOnly), nil
}
