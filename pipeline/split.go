package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"sohoa/pipeline/pages"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

// A clerk feeds a stack of many results through the scanner as one file.
// Ingest stores the file whole, once, and records it with its SplitRule;
// its job, once the original is stored, reads the page images, decides
// the documents, and in one catalog transaction turns the stack's record
// into the first document (its page range set) and adds a record with a
// job for each further document. Every record is then a document of its
// own — processed, archived and counted like any other — that keeps the
// original's key and sha256 and its page range of it. The stack itself
// is never a record apart, so progress counts documents only. A kill
// before the transaction splits again on resume (the decision is
// deterministic); after it, the stack's record has its range and is not
// split twice.

// SplitRule says how an ingested file is split into documents. The zero
// rule keeps the file as one document.
type SplitRule struct {
	// Blank splits at separator sheets: blank pages, scanner noise and
	// dust tolerated. A page with faint marks (a seal bleeding through)
	// is not blank and stays with its document.
	Blank bool
	// Duplex says the stack was scanned on both sides: a separator is a
	// sheet blank on both sides, and a document's blank back pages stay
	// with it. Only with Blank.
	Duplex bool
	// Pages splits into documents of this many pages (the last may be
	// shorter), without looking at the pages.
	Pages int
}

// ParseSplit reads a rule as the clerk gives it: "blank" or "pages:N"
// ("" for none); duplex applies to "blank".
func ParseSplit(s string, duplex bool) (SplitRule, error) {
	switch {
	case s == "":
		if duplex {
			return SplitRule{}, errors.New("--duplex chỉ dùng với --split blank (--duplex goes with --split blank)")
		}
		return SplitRule{}, nil
	case s == "blank":
		return SplitRule{Blank: true, Duplex: duplex}, nil
	case s == "blank-duplex":
		return SplitRule{Blank: true, Duplex: true}, nil
	case strings.HasPrefix(s, "pages:"):
		n, err := strconv.Atoi(strings.TrimPrefix(s, "pages:"))
		if err != nil || n < 1 {
			return SplitRule{}, fmt.Errorf("--split %q: số trang phải là số nguyên dương, ví dụ pages:2 (the page count must be a positive whole number, e.g. pages:2)", s)
		}
		if duplex {
			return SplitRule{}, errors.New("--duplex chỉ dùng với --split blank (--duplex goes with --split blank)")
		}
		return SplitRule{Pages: n}, nil
	}
	return SplitRule{}, fmt.Errorf("--split %q: dùng blank (tờ trắng ngăn cách) hoặc pages:N (mỗi N trang) (use blank, for separator sheets, or pages:N, for every N pages)", s)
}

// String is the rule as the catalog keeps it: "", "blank",
// "blank-duplex" or "pages:N".
func (r SplitRule) String() string {
	switch {
	case r.Blank && r.Duplex:
		return "blank-duplex"
	case r.Blank:
		return "blank"
	case r.Pages > 0:
		return "pages:" + strconv.Itoa(r.Pages)
	}
	return ""
}

// IsZero reports whether the rule keeps a file whole.
func (r SplitRule) IsZero() bool { return !r.Blank && r.Pages <= 0 }

// Ranges returns the documents of a stack of len(kinds) pages as
// first..last page ranges (from 1). With Blank, separator pages (sheets,
// with Duplex) belong to no document; kinds is only counted otherwise.
func (r SplitRule) Ranges(kinds []pages.Blankness) [][2]int {
	n := len(kinds)
	var out [][2]int
	if !r.Blank {
		size := r.Pages
		if size <= 0 {
			size = n
		}
		for first := 1; first <= n; first += size {
			out = append(out, [2]int{first, min(first+size-1, n)})
		}
		return out
	}
	step := 1
	if r.Duplex {
		step = 2 // a sheet: front and back
	}
	start := 0 // first page of the document being gathered; 0 if none
	for first := 1; first <= n; first += step {
		last := min(first+step-1, n)
		separator := true
		for p := first; p <= last; p++ {
			separator = separator && kinds[p-1] == pages.Blank
		}
		switch {
		case separator && start != 0:
			out = append(out, [2]int{start, first - 1})
			start = 0
		case !separator && start == 0:
			start = first
		}
	}
	if start != 0 {
		out = append(out, [2]int{start, n})
	}
	return out
}

// StackPlan is the split decided for a stack: its documents, and what
// each page of it held.
type StackPlan struct {
	Ranges [][2]int
	// Ink is each page's measure, in page order; nil for a rule that does
	// not look at the pages.
	Ink []pages.Ink
}

// PlanStack reads the file at path and decides its documents by rule.
func PlanStack(ctx context.Context, path string, rule SplitRule, opts pages.Options) (StackPlan, error) {
	if !rule.Blank {
		n, err := pages.Count(ctx, path, opts)
		if err != nil {
			return StackPlan{}, err
		}
		return StackPlan{Ranges: rule.Ranges(make([]pages.Blankness, n))}, nil
	}
	var plan StackPlan
	err := pages.Split(ctx, path, opts, func(pg pages.Page) error {
		ink, err := pages.InspectInk(pg.Image)
		if err != nil {
			return fmt.Errorf("page %d: %w", pg.N, err)
		}
		plan.Ink = append(plan.Ink, ink)
		return nil
	})
	if err != nil {
		return StackPlan{}, err
	}
	kinds := make([]pages.Blankness, len(plan.Ink))
	for i, ink := range plan.Ink {
		kinds[i] = ink.Class()
	}
	plan.Ranges = rule.Ranges(kinds)
	return plan, nil
}

// stackSplitter is the part of a catalog that splits a stack's record
// into documents in one transaction (storage/catalog/sqlite has it).
type stackSplitter interface {
	// SplitStack gives the stack's record (FirstPage 0) the first range
	// and adds a record with a job for each other range; on a stack
	// already split it changes nothing. It returns the documents, the
	// stack's record first.
	SplitStack(ctx context.Context, stackID int64, ranges [][2]int, ev catalog.Event) ([]catalog.Record, error)
}

// isStack reports whether r is an ingested stack still to be split.
func isStack(r catalog.Record) bool {
	return r.Split != "" && r.FirstPage == 0 && r.SplitFrom == 0
}

// splitStack decides the documents of the stack in d (its original at
// d.path) and records them; d.rec becomes the first document.
func (p *Pipeline) splitStack(ctx context.Context, d *document) error {
	rule, err := ParseSplit(d.rec.Split, false)
	if err != nil {
		return &permanentError{msg: fmt.Sprintf("%s: cách tách %q không hợp lệ (unknown split rule): %v", d.rec.Source, d.rec.Split, err)}
	}
	ss, ok := p.cfg.Catalog.(stackSplitter)
	if !ok {
		return &permanentError{msg: fmt.Sprintf("%s: danh mục này không tách được tập hồ sơ — báo cho bộ phận CNTT (this catalog cannot split stacks: tell IT)", d.rec.Source)}
	}
	plan, err := PlanStack(ctx, d.path, rule, p.pagesOptions())
	if err != nil {
		return p.inputError(d.rec, err)
	}
	if len(plan.Ranges) == 0 {
		return &permanentError{msg: fmt.Sprintf(
			"%s: mọi trang đều trắng, không có văn bản nào để tách — kiểm tra lại bản quét (every page is blank, no document to split: check the scan)", d.rec.Source)}
	}
	blank := []int{}
	for i, ink := range plan.Ink {
		if ink.Class() == pages.Blank {
			blank = append(blank, i+1)
		}
	}
	ev := p.newEvent("split", map[string]any{"rule": rule.String(), "documents": plan.Ranges, "blank_pages": blank})
	docs, err := ss.SplitStack(ctx, d.rec.ID, plan.Ranges, ev)
	if err != nil {
		return fmt.Errorf("split %s into documents: %w", d.rec.Source, err)
	}
	p.log.Info("stack split", "record", d.rec.ID, "source", d.rec.Source, "documents", len(docs), "ranges", plan.Ranges)
	d.rec = docs[0]
	return nil
}

// rangePages is how many pages the record's range has of its original's
// total (before its page plan: docPages).
func rangePages(r catalog.Record, total int) (int, error) {
	if r.FirstPage == 0 {
		return total, nil
	}
	if r.LastPage > total {
		return 0, &permanentError{msg: fmt.Sprintf(
			"%s: hồ sơ là trang %d–%d nhưng tệp chỉ có %d trang — báo cho bộ phận CNTT (the record is pages %d–%d but the file has %d)",
			r.Source, r.FirstPage, r.LastPage, total, r.FirstPage, r.LastPage, total)}
	}
	return r.LastPage - r.FirstPage + 1, nil
}

// errPastRange stops reading a file once a record's last page is read.
var errPastRange = errors.New("past the record's last page")

// splitRange is pages.Split limited to the record's page range, the
// pages numbered from 1 within it; splitDoc reads it through the
// record's page plan.
func (p *Pipeline) splitRange(ctx context.Context, r catalog.Record, path string, fn func(pages.Page) error) error {
	if r.FirstPage == 0 {
		return pages.Split(ctx, path, p.pagesOptions(), fn)
	}
	err := pages.Split(ctx, path, p.pagesOptions(), func(pg pages.Page) error {
		if pg.N < r.FirstPage {
			return nil
		}
		if pg.N > r.LastPage {
			return errPastRange
		}
		pg.N -= r.FirstPage - 1
		return fn(pg)
	})
	if errors.Is(err, errPastRange) {
		return nil
	}
	return err
}

// archiveKey is where the record's archival PDF is stored: by the
// original's sha256, and for a document of a stack by its page range too.
func archiveKey(r catalog.Record) string {
	key := storage.ArchiveKey(r.SHA256)
	if r.FirstPage == 0 {
		return key
	}
	return strings.TrimSuffix(key, ".pdf") + fmt.Sprintf(".p%d-%d.pdf", r.FirstPage, r.LastPage)
}

// madeByIngest leaves out the records a split added, keeping one record
// per file ingested.
func madeByIngest(recs []catalog.Record) []catalog.Record {
	out := recs[:0:0]
	for _, r := range recs {
		if r.SplitFrom == 0 {
			out = append(out, r)
		}
	}
	return out
}
