package main

import (
	"errors"
	"flag"
	"net/url"
	"strings"

	"sohoa/cmd/sohoa/internal/dashboard"
	"sohoa/storage/catalog"
)

// addQueryFlags registers the record-search filters on fs (--unit,
// --level, --type, --field, --status, --issued-from, --issued-to,
// --ingested-from, --ingested-to, --number: the parameters of
// /api/search, dashes for underscores) and returns what builds the query
// of the words given once fs is parsed, or a usage error naming the flag.
// Limit and Offset are left for the command.
func addQueryFlags(fs *flag.FlagSet) func(text []string) (catalog.Query, error) {
	usage := map[string]string{
		"unit":          "mã đơn vị: nó và mọi đơn vị trực thuộc / unit code: it and every unit under it",
		"level":         "cấp đơn vị / level: province (tỉnh), district (huyện), commune (xã)",
		"type":          "loại văn bản / document type, e.g. quyet-dinh",
		"field":         "lĩnh vực / field, e.g. dat-dai",
		"status":        "trạng thái / status: digitized, needs_review, failed, duplicate, queued, processing",
		"issued_from":   "ban hành từ ngày / issued on or after (YYYY-MM-DD or DD/MM/YYYY)",
		"issued_to":     "ban hành đến ngày / issued on or before",
		"ingested_from": "nhập kho từ ngày / ingested on or after",
		"ingested_to":   "nhập kho đến ngày / ingested on or before",
		"number":        "số ký hiệu, gõ sao cũng được / the number, however typed: 86/QD-UBND = 86 qđ ubnd",
	}
	values := make(map[string]*string, len(dashboard.SearchParams))
	for _, p := range dashboard.SearchParams {
		values[p] = fs.String(strings.ReplaceAll(p, "_", "-"), "", usage[p])
	}
	return func(text []string) (catalog.Query, error) {
		v := url.Values{}
		for p, s := range values {
			if *s != "" {
				v.Set(p, *s)
			}
		}
		q, err := dashboard.ParseSearch(v, strings.Join(text, " "))
		var pe *dashboard.ParamError
		if errors.As(err, &pe) {
			return q, usagef("--%s %q: %s", strings.ReplaceAll(pe.Param, "_", "-"), pe.Value, pe.Hint)
		}
		return q, err
	}
}

// queryFiltered reports whether q filters by anything besides its text.
func queryFiltered(q catalog.Query) bool {
	q.Text, q.Limit, q.Offset = "", 0, 0
	return q != catalog.Query{}
}
