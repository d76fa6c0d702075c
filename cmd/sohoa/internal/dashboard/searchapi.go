package dashboard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sohoa/pipeline/classify"
	"sohoa/storage/catalog"
)

// Bounds of /api/search's paging.
const (
	apiSearchLimit    = 20
	apiSearchMaxLimit = 100
	// apiSearchMaxOffset spares the catalog a huge offset: past it a
	// script should narrow the filters, or export the records.
	apiSearchMaxOffset = 10_000
)

// SearchHit is one record a search found, as /api/search and `sohoa
// search --json` write it.
type SearchHit struct {
	ID      int64  `json:"id"`
	Number  string `json:"number"`
	Subject string `json:"subject"`
	// Snippet is the text around the match with each match in [ and ];
	// empty for a search without words.
	Snippet string `json:"snippet"`
	// Score ranks hits of a search with words, higher better; 0 without.
	Score       float64        `json:"score"`
	Unit        string         `json:"unit"`
	DocType     string         `json:"doc_type"`
	DocTypeName string         `json:"doc_type_name"`
	Field       string         `json:"field"`
	FieldName   string         `json:"field_name"`
	Status      catalog.Status `json:"status"`
	IssuedOn    string         `json:"issued_on"`
	Issuer      string         `json:"issuer"`
	Source      string         `json:"source"`
	Pages       int            `json:"pages"`
	IngestedAt  time.Time      `json:"ingested_at"`
	// URL is the record's page on the dashboard.
	URL string `json:"url"`
}

// NewSearchHit puts a hit together with the record it found.
func NewSearchHit(h catalog.Hit, r catalog.Record) SearchHit {
	return SearchHit{
		ID: h.RecordID, Number: h.Number, Subject: h.Subject, Snippet: h.Snippet,
		Score: math.Round(h.Score*1000) / 1000,
		Unit:  r.Unit, DocType: r.DocType.Value, DocTypeName: classify.TypeName(r.DocType.Value),
		Field: r.Field.Value, FieldName: classify.FieldName(r.Field.Value), Status: r.Status,
		IssuedOn: r.Issued.Value, Issuer: r.Issuer.Value, Source: r.Source, Pages: r.Pages,
		IngestedAt: r.CreatedAt.UTC(), URL: fmt.Sprintf("/records/%d", h.RecordID),
	}
}

// HitFinder is what a search with its records needs.
type HitFinder interface {
	catalog.RecordSearcher
	// Record returns the record with the id; catalog.ErrNotFound if none.
	Record(ctx context.Context, id int64) (catalog.Record, error)
}

// FindHits runs q and reads each hit's record.
func FindHits(ctx context.Context, src HitFinder, q catalog.Query) ([]SearchHit, error) {
	hits, err := src.SearchRecords(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]SearchHit, 0, len(hits))
	for _, h := range hits {
		r, err := src.Record(ctx, h.RecordID)
		if err != nil {
			return nil, fmt.Errorf("read record %d of a hit: %w", h.RecordID, err)
		}
		out = append(out, NewSearchHit(h, r))
	}
	return out, nil
}

// SearchAnswer is the body of /api/search.
type SearchAnswer struct {
	// Query echoes the parameters understood, as given (q and the
	// filters of SearchParams).
	Query  map[string]string `json:"query"`
	Limit  int               `json:"limit"`
	Offset int               `json:"offset"`
	Hits   []SearchHit       `json:"hits"`
	// More is set when another page follows: ask again with offset +
	// limit.
	More bool `json:"more"`
}

// serveSearchAPI answers /api/search?q=&unit=&level=&type=&field=&status=
// &issued_from=&issued_to=&ingested_from=&ingested_to=&number=&limit=&offset=
// with SearchAnswer: the hits best first with words, newest first without.
// Neither words nor filters lists the newest records. A parameter that
// does not parse is 400 with {"error": "..."}.
func (d *Dashboard) serveSearchAPI(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	q, ans, err := parseSearchAPI(v)
	if err != nil {
		d.writeError(w, r, err)
		return
	}
	q.Limit = ans.Limit + 1 // one more says whether there is a next page
	hits, err := FindHits(r.Context(), d.src, q)
	if err != nil {
		d.writeError(w, r, fmt.Errorf("search records: %w", err))
		return
	}
	if len(hits) > ans.Limit {
		hits, ans.More = hits[:ans.Limit], true
	}
	ans.Hits = hits
	d.writeJSON(w, r, ans)
}

// parseSearchAPI reads the query and the page of /api/search.
func parseSearchAPI(v url.Values) (catalog.Query, SearchAnswer, error) {
	ans := SearchAnswer{Query: map[string]string{}, Limit: apiSearchLimit, Hits: []SearchHit{}}
	for _, name := range append([]string{"q"}, SearchParams...) {
		if s := strings.TrimSpace(v.Get(name)); s != "" {
			ans.Query[name] = s
		}
	}
	q, err := ParseSearch(v, v.Get("q"))
	var pe *ParamError
	if errors.As(err, &pe) {
		return q, ans, badRequestf("%s", pe.Error())
	} else if err != nil {
		return q, ans, err
	}
	num := func(name string, def, least, most int) (int, error) {
		s := strings.TrimSpace(v.Get(name))
		if s == "" {
			return def, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < least || n > most {
			return 0, badRequestf("%s %q: viết một số từ %d đến %d (give a number from %d to %d)", name, s, least, most, least, most)
		}
		return n, nil
	}
	if ans.Limit, err = num("limit", apiSearchLimit, 1, apiSearchMaxLimit); err != nil {
		return q, ans, err
	}
	if ans.Offset, err = num("offset", 0, 0, apiSearchMaxOffset); err != nil {
		return q, ans, err
	}
	q.Offset = ans.Offset
	return q, ans, nil
}
