package dashboard

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"sohoa/pipeline/classify"
	"sohoa/storage/catalog"
)

// searchPageSize is how many hits a page of the search shows.
const searchPageSize = 20

// maxSearchPage bounds how deep paging goes: past it the auditor should
// narrow the filters, and the catalog is spared a huge offset.
const maxSearchPage = 500

// searchForm is what the search page was asked, as typed.
type searchForm struct {
	Text string
	// Params are the filters by their names in SearchParams, as typed.
	Params map[string]string
	// Query is what they mean (a type's slug for its name).
	Query catalog.Query
	Page  int
}

// searchData is what the search page shows.
type searchData struct {
	Form searchForm
	// Asked is false for the page as first opened: the newest records
	// are shown then.
	Asked bool
	Hits  []searchRow
	// More is set when there is a next page.
	More     bool
	Types    []classify.Label
	Fields   []classify.Label
	Statuses []statusOption
	Levels   []statusOption
	Problem  string
}

// searchRow is one hit with the record it found.
type searchRow struct {
	catalog.Hit
	Record  catalog.Record
	Type    string
	Snippet template.HTML
}

type statusOption struct {
	Value catalog.Status
	Label string
}

var recordStatusLabels = []statusOption{
	{catalog.StatusDigitized, "đã số hóa / digitized"},
	{catalog.StatusNeedsReview, "cần xem / needs review"},
	{catalog.StatusFailed, "lỗi / failed"},
	{catalog.StatusQueued, "đang chờ / queued"},
	{catalog.StatusProcessing, "đang xử lý / processing"},
	{catalog.StatusDuplicate, "trùng / duplicate"},
}

var searchLevels = []statusOption{
	{catalog.Status(catalog.LevelProvince), levelLabels[catalog.LevelProvince]},
	{catalog.Status(catalog.LevelDistrict), levelLabels[catalog.LevelDistrict]},
	{catalog.Status(catalog.LevelCommune), levelLabels[catalog.LevelCommune]},
}

func recordStatusLabel(s catalog.Status) string {
	for _, o := range recordStatusLabels {
		if o.Value == s {
			return o.Label
		}
	}
	return string(s)
}

// parseSearch reads the search page's parameters: q, the filters of
// SearchParams (read by ParseSearch, as /api/search reads them) and page.
func parseSearch(v url.Values) (searchForm, error) {
	f := searchForm{Text: strings.TrimSpace(v.Get("q")), Params: map[string]string{}, Page: 1}
	for _, name := range SearchParams {
		if s := strings.TrimSpace(v.Get(name)); s != "" {
			f.Params[name] = s
		}
	}
	q, err := ParseSearch(v, f.Text)
	f.Query = q
	if err != nil {
		var pe *ParamError
		if errors.As(err, &pe) {
			return f, badRequestf("%s", pe.Error())
		}
		return f, err
	}
	if s := v.Get("page"); s != "" {
		p, err := strconv.Atoi(s)
		if err != nil || p < 1 || p > maxSearchPage {
			return f, badRequestf("trang %q không hợp lệ, từ 1 đến %d (page %q: give 1 to %d)", s, maxSearchPage, s, maxSearchPage)
		}
		f.Page = p
	}
	f.Query.Limit = searchPageSize + 1 // one more says whether there is a next page
	f.Query.Offset = (f.Page - 1) * searchPageSize
	return f, nil
}

// asked reports whether the form asks for anything.
func (f searchForm) asked() bool { return f.Text != "" || len(f.Params) > 0 }

// PageLink is the address of another page of the same search.
func (f searchForm) PageLink(page int) string {
	v := url.Values{}
	if f.Text != "" {
		v.Set("q", f.Text)
	}
	for name, s := range f.Params {
		v.Set(name, s)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return "/search?" + v.Encode()
}

// serveSearch renders the auditor's search page, /search?q=&page= and
// the filters of /api/search (SearchParams): the words typed (accents
// optional), the hits best first with the matches highlighted, each
// linking to its record page; the newest records when nothing is asked.
func (d *Dashboard) serveSearch(w http.ResponseWriter, r *http.Request) {
	data := searchData{Types: classify.Types(), Fields: classify.Fields(), Statuses: recordStatusLabels, Levels: searchLevels}
	form, err := parseSearch(r.URL.Query())
	data.Form, data.Asked = form, form.asked()
	status := http.StatusOK
	if err == nil {
		data.Hits, data.More, err = d.search(r.Context(), form.Query)
	}
	if err != nil {
		status = httpStatus(err)
		data.Problem = problemText(err)
		if status == http.StatusInternalServerError {
			d.log.Error("serve search", "url", r.URL.String(), "err", err)
		}
	}
	d.render(w, r, d.evidence.search, status, data)
}

// search runs q and reads the record of each hit.
func (d *Dashboard) search(ctx context.Context, q catalog.Query) ([]searchRow, bool, error) {
	hits, err := d.src.SearchRecords(ctx, q)
	if err != nil {
		return nil, false, fmt.Errorf("search records: %w", err)
	}
	more := len(hits) > searchPageSize
	if more {
		hits = hits[:searchPageSize]
	}
	rows := make([]searchRow, 0, len(hits))
	for _, h := range hits {
		rec, err := d.src.Record(ctx, h.RecordID)
		if err != nil {
			return nil, false, fmt.Errorf("read record %d of a hit: %w", h.RecordID, err)
		}
		row := searchRow{Hit: h, Record: rec, Type: classify.TypeName(rec.DocType.Value), Snippet: markSnippet(h.Snippet)}
		if row.Type == "" {
			row.Type = rec.DocType.Value
		}
		rows = append(rows, row)
	}
	return rows, more, nil
}

// markSnippet turns the catalog's snippet, whose matches are wrapped in [
// and ], into HTML with each match in <mark> and everything else escaped:
// OCR text is whatever was on the paper, and is never markup.
func markSnippet(s string) template.HTML {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i+1:], ']')
		if j < 0 {
			break
		}
		b.WriteString(template.HTMLEscapeString(s[:i]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(s[i+1 : i+1+j]))
		b.WriteString("</mark>")
		s = s[i+1+j+1:]
	}
	b.WriteString(template.HTMLEscapeString(s))
	return template.HTML(b.String())
}

// ExportCommand is the `sohoa export` command line that writes the
// records of this search (every page of it) to a BagIt bag: the flags
// are the search's parameters, dashes for underscores.
func (f searchForm) ExportCommand() string {
	args := []string{"sohoa", "export"}
	if f.Text != "" {
		args = append(args, shellQuote(f.Text))
	}
	for _, name := range SearchParams {
		if s, ok := f.Params[name]; ok {
			args = append(args, "--"+strings.ReplaceAll(name, "_", "-"), shellQuote(s))
		}
	}
	return strings.Join(append(args, "--out", "ho-so.zip"), " ")
}

// shellQuote quotes s for a POSIX shell unless it is plain.
func shellQuote(s string) string {
	plain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_./:-=", r))
	}) < 0
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
