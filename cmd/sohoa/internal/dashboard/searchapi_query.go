package dashboard

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"

	"sohoa/pipeline/classify"
	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
)

// SearchParams are the filters of a record search, by the names
// /api/search takes them; `sohoa search` and `sohoa export` take the same
// as flags, with dashes for the underscores (--issued-from).
var SearchParams = []string{
	"unit", "level", "type", "field", "status",
	"issued_from", "issued_to", "ingested_from", "ingested_to", "number",
}

// ParamError is a search filter whose value cannot be used.
type ParamError struct {
	// Param is the filter's name in SearchParams.
	Param string
	Value string
	// Hint says what to write instead, in Vietnamese with English in
	// parentheses.
	Hint string
}

func (e *ParamError) Error() string { return fmt.Sprintf("%s %q: %s", e.Param, e.Value, e.Hint) }

// ParseSearch builds the query of text and the filters in v (named as in
// SearchParams; absent or blank ones do not filter). Document types and
// fields are slugs ("quyet-dinh") or their names, accents optional ("quyet
// dinh"); levels are English or Vietnamese ("xa"); days are 2025-01-16 or
// 16/01/2025, inclusive at both ends. Ingest days are in the machine's
// time zone. Limit and Offset are left for the caller.
func ParseSearch(v url.Values, text string) (catalog.Query, error) {
	get := func(name string) string { return strings.TrimSpace(v.Get(name)) }
	q := catalog.Query{Text: strings.TrimSpace(text), Number: get("number")}
	if s := get("unit"); s != "" {
		if strings.Trim(s, "0123456789") != "" {
			return q, &ParamError{"unit", s, "mã đơn vị là chữ số, ví dụ 51 hoặc 21199 (a unit code is digits, e.g. 51 or 21199)"}
		}
		q.Unit = s
	}
	if s := get("level"); s != "" {
		l, ok := catalog.ParseLevel(strings.ToLower(s))
		if !ok {
			return q, &ParamError{"level", s, "dùng province, district hoặc commune (use province, district or commune)"}
		}
		q.Level = string(l)
	}
	var err error
	if q.DocType, err = parseLabel("type", get("type"), classify.Types()); err != nil {
		return q, err
	}
	if q.Field, err = parseLabel("field", get("field"), classify.Fields()); err != nil {
		return q, err
	}
	if s := get("status"); s != "" {
		st := catalog.Status(strings.ToLower(s))
		if !st.Final() && st != catalog.StatusQueued && st != catalog.StatusProcessing {
			return q, &ParamError{"status", s, "dùng / use digitized, needs_review, failed, duplicate, queued, processing"}
		}
		q.Status = st
	}
	if q.IssuedFrom, err = parseSearchDay("issued_from", get("issued_from")); err != nil {
		return q, err
	}
	if q.IssuedTo, err = parseSearchDay("issued_to", get("issued_to")); err != nil {
		return q, err
	}
	if q.IssuedFrom != "" && q.IssuedTo != "" && q.IssuedFrom > q.IssuedTo {
		return q, &ParamError{"issued_to", q.IssuedTo, fmt.Sprintf("trước ngày đầu %s (is before the first day, %s)", q.IssuedFrom, q.IssuedFrom)}
	}
	from, err := parseSearchDay("ingested_from", get("ingested_from"))
	if err != nil {
		return q, err
	}
	to, err := parseSearchDay("ingested_to", get("ingested_to"))
	if err != nil {
		return q, err
	}
	if from != "" && to != "" && from > to {
		return q, &ParamError{"ingested_to", to, fmt.Sprintf("trước ngày đầu %s (is before the first day, %s)", from, from)}
	}
	if from != "" {
		q.IngestedFrom, _ = time.ParseInLocation(time.DateOnly, from, time.Local)
	}
	if to != "" {
		// The query's end is exclusive: the day after the last one.
		day, _ := time.ParseInLocation(time.DateOnly, to, time.Local)
		q.IngestedTo = day.AddDate(0, 0, 1)
	}
	if q.Number != "" && !strings.ContainsFunc(q.Number, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return q, &ParamError{"number", q.Number, "số ký hiệu cần chữ hoặc số, ví dụ 86/QĐ-UBND (a number needs letters or digits, e.g. 86/QĐ-UBND)"}
	}
	return q, nil
}

// parseLabel resolves a document type or field typed as its slug or its
// name, accents and case aside.
func parseLabel(param, s string, labels []classify.Label) (string, error) {
	if s == "" {
		return "", nil
	}
	key := strings.Join(strings.Fields(strings.ReplaceAll(vntext.Fold(s), "-", " ")), "-")
	slugs := make([]string, len(labels))
	for i, l := range labels {
		if key == l.Slug || key == strings.Join(strings.Fields(vntext.Fold(l.Name)), "-") {
			return l.Slug, nil
		}
		slugs[i] = l.Slug
	}
	return "", &ParamError{param, s, "dùng / use " + strings.Join(slugs, ", ")}
}

// parseSearchDay reads a day as 2025-01-16 or 16/01/2025 and returns it
// in ISO form; "" stays "".
func parseSearchDay(param, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	for _, layout := range []string{time.DateOnly, "02/01/2006", "2/1/2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", &ParamError{param, s, "viết ngày dạng 2025-01-16 hoặc 16/01/2025 (write the day as 2025-01-16 or 16/01/2025)"}
}
