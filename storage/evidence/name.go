package evidence

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sohoa/pipeline/vntext"
	"sohoa/storage/catalog"
)

// Root is the bag's base directory in the zip for a bag called name (a
// file name's folders and .zip are dropped: RFC 8493 §4 wants the zip's
// name without it): accents folded ("chứng cứ" → "chung cu") and anything
// else but ASCII letters, digits, '.', '_' and '-' turned into '-'.
func Root(name string) string {
	name = filepath.Base(name)
	if ext := filepath.Ext(name); strings.EqualFold(ext, ".zip") {
		name = strings.TrimSuffix(name, ext)
	}
	name = vntext.Fold(name)
	root := strings.Map(func(c rune) rune {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-' {
			return c
		}
		return '-'
	}, name)
	root = strings.TrimLeft(root, ".-")
	if root == "" {
		return "bag"
	}
	return root
}

// UnitLister is what Organization reads: the units of a catalogue.
type UnitLister interface {
	Units(ctx context.Context, scheme catalog.Scheme) ([]catalog.Unit, error)
}

// Organization names the Source-Organization of a bag of unit code: "Xã
// Tịnh Ấn Tây (21181)" when the catalogue in force at now knows it, the
// code alone otherwise, and "sohoa" for a bag of no one unit.
func Organization(ctx context.Context, units UnitLister, code string, now time.Time) string {
	if code == "" {
		return "sohoa"
	}
	if list, err := units.Units(ctx, catalog.SchemeOn(now)); err == nil {
		for _, u := range list {
			if u.Code == code {
				return fmt.Sprintf("%s (%s)", u.Name, code)
			}
		}
	}
	return "đơn vị / unit " + code
}

// originalExt is the file extension the original gets in the bag: from
// its sniffed content type, else from the clerk's file name when that is
// plain, else "bin".
func originalExt(r catalog.Record) string {
	switch r.ContentType {
	case "application/pdf":
		return "pdf"
	case "image/png":
		return "png"
	case "image/jpeg":
		return "jpg"
	case "image/tiff":
		return "tif"
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(r.Source), "."))
	if ext == "" || len(ext) > 5 {
		return "bin"
	}
	for _, c := range ext {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return "bin"
		}
	}
	return ext
}

// QueryFields are the filters of q that are set, under the names of
// `sohoa export`'s flags (underscores for dashes) and of the dashboard's
// search parameters.
func QueryFields(q catalog.Query) map[string]any {
	m := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("text", q.Text)
	set("unit", q.Unit)
	set("level", q.Level)
	set("type", q.DocType)
	set("field", q.Field)
	set("status", string(q.Status))
	set("issued_from", q.IssuedFrom)
	set("issued_to", q.IssuedTo)
	if !q.IngestedFrom.IsZero() {
		m["ingested_from"] = q.IngestedFrom.UTC().Format(time.RFC3339)
	}
	if !q.IngestedTo.IsZero() {
		m["ingested_to"] = q.IngestedTo.UTC().Format(time.RFC3339)
	}
	set("number", q.Number)
	return m
}

// DescribeQuery writes the filters of QueryFields as flags, in a fixed
// order: "--unit 21181 --type quyet-dinh"; "--all" for none.
func DescribeQuery(m map[string]any) string {
	var parts []string
	for _, k := range []string{"unit", "level", "type", "field", "status", "issued_from", "issued_to", "ingested_from", "ingested_to", "number"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("--%s %v", strings.ReplaceAll(k, "_", "-"), v))
		}
	}
	if t, ok := m["text"]; ok {
		parts = append(parts, strconv.Quote(fmt.Sprint(t)))
	}
	if len(parts) == 0 {
		return "--all"
	}
	return strings.Join(parts, " ")
}

// IDRanges writes sorted ids compactly: "1-4,9,12-13".
func IDRanges(ids []int64) string {
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j > i {
			fmt.Fprintf(&b, "%d-%d", ids[i], ids[j])
		} else {
			fmt.Fprintf(&b, "%d", ids[i])
		}
		i = j + 1
	}
	return b.String()
}
