package dashboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/pipeline/review"
	"sohoa/storage/catalog"
)

// viewer is who a request is from, put in its context by the policy
// check (auth.go).
type viewer struct {
	auth.User
	// open is set when serve has no users: the local, read-only view of
	// before sign-in existed, whose actor is the proxy's header or the
	// address.
	open bool
	// via says how the request proved who it is: "session", "token" or
	// "" (open).
	via     string
	session auth.Session

	// units are the codes a record of the clerk's may have, read once
	// per request (allowedUnits).
	once  sync.Once
	units clerkUnits
	err   error
}

// clerkUnits are the codes of a clerk's units and of every unit under
// them: old in the 2024 catalogue (for records ingested before the
// reorganisation), new in the 2025 one (for those since). It is the
// same tree catalog.Query.Unit walks, so a clerk's search and the
// records it may open agree.
type clerkUnits struct{ old, new map[string]bool }

// has reports whether rec is of the clerk's units, read in the catalogue
// in force when it was ingested.
func (c clerkUnits) has(rec catalog.Record) bool {
	if rec.CreatedAt.Before(catalog.Reorganised) {
		return c.old[rec.Unit]
	}
	return c.new[rec.Unit]
}

type viewerKey struct{}

func withViewer(ctx context.Context, v *viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// viewerFrom returns who the request of ctx is from; nil outside a
// request (the pipeline, the tests of a handler alone).
func viewerFrom(ctx context.Context) *viewer {
	v, _ := ctx.Value(viewerKey{}).(*viewer)
	return v
}

// unitScoped reports whether v sees only some units' records.
func (v *viewer) unitScoped() bool { return v != nil && !v.open && v.Role == auth.Clerk }

// allowedUnits returns the codes of the clerk's units and every unit
// under them, walked as catalog.Query.Unit does: down each catalogue,
// and from a 2025 unit to the 2024 units merged whole into it.
func (v *viewer) allowedUnits(ctx context.Context, reg catalog.Registry) (clerkUnits, error) {
	v.once.Do(func() {
		units, err := reg.Units(ctx, "")
		if err != nil {
			v.err = fmt.Errorf("read units of clerk %s: %w", v.Name, err)
			return
		}
		merges, err := reg.Merges(ctx)
		if err != nil {
			v.err = fmt.Errorf("read unit merges of clerk %s: %w", v.Name, err)
			return
		}
		type node struct {
			scheme catalog.Scheme
			code   string
		}
		children := map[node][]node{}
		for _, u := range units {
			if u.Parent != "" {
				p := node{u.Scheme, u.Parent}
				children[p] = append(children[p], node{u.Scheme, u.Code})
			}
		}
		for _, m := range merges {
			if m.Full {
				p := node{catalog.Scheme2025, m.New}
				children[p] = append(children[p], node{catalog.Scheme2024, m.Old})
			}
		}
		v.units = clerkUnits{old: map[string]bool{}, new: map[string]bool{}}
		seen := map[node]bool{}
		var todo []node
		for _, c := range v.Units {
			todo = append(todo, node{catalog.Scheme2024, c}, node{catalog.Scheme2025, c})
		}
		for len(todo) > 0 {
			n := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			if seen[n] {
				continue
			}
			seen[n] = true
			if n.scheme == catalog.Scheme2024 {
				v.units.old[n.code] = true
			} else {
				v.units.new[n.code] = true
			}
			todo = append(todo, children[n]...)
		}
	})
	return v.units, v.err
}

// scopedSource is the Source every handler reads through: for a clerk it
// is the records of the clerk's units only, so /records/{id} of another
// unit's record is "no such record" (not "forbidden", which would confirm
// the id exists) and a search never lists one. Everyone else sees all.
type scopedSource struct{ Source }

// visible reports whether the viewer of ctx may see rec.
func (s scopedSource) visible(ctx context.Context, rec catalog.Record) (bool, error) {
	v := viewerFrom(ctx)
	if !v.unitScoped() {
		return true, nil
	}
	units, err := v.allowedUnits(ctx, s.Source)
	if err != nil {
		return false, err
	}
	return units.has(rec), nil
}

// Record returns the record with the id, catalog.ErrNotFound also when
// the clerk may not see it.
func (s scopedSource) Record(ctx context.Context, id int64) (catalog.Record, error) {
	rec, err := s.Source.Record(ctx, id)
	if err != nil {
		return rec, err
	}
	ok, err := s.visible(ctx, rec)
	if err != nil {
		return catalog.Record{}, err
	}
	if !ok {
		return catalog.Record{}, fmt.Errorf("record %d: %w", id, catalog.ErrNotFound)
	}
	return rec, nil
}

// checkID refuses a record the clerk may not see.
func (s scopedSource) checkID(ctx context.Context, id int64) error {
	if !viewerFrom(ctx).unitScoped() {
		return nil
	}
	_, err := s.Record(ctx, id)
	return err
}

// Pages returns a record's pages, none of a record the clerk may not see.
func (s scopedSource) Pages(ctx context.Context, recordID int64) ([]catalog.Page, error) {
	if err := s.checkID(ctx, recordID); err != nil {
		return nil, err
	}
	return s.Source.Pages(ctx, recordID)
}

// Events returns a record's history, none of a record the clerk may not
// see.
func (s scopedSource) Events(ctx context.Context, recordID int64) ([]catalog.Event, error) {
	if err := s.checkID(ctx, recordID); err != nil {
		return nil, err
	}
	return s.Source.Events(ctx, recordID)
}

// List returns the records of f the viewer may see.
func (s scopedSource) List(ctx context.Context, f catalog.Filter) ([]catalog.Record, error) {
	recs, err := s.Source.List(ctx, f)
	if err != nil || !viewerFrom(ctx).unitScoped() {
		return recs, err
	}
	out := recs[:0]
	for _, r := range recs {
		ok, err := s.visible(ctx, r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// searchScanMax bounds how many hits a clerk's search reads to find its
// page of the clerk's own records.
const searchScanMax = 20000

// SearchRecords runs q over the records the viewer may see. For a clerk
// of one unit, or one asking for one of its units, the query itself is
// narrowed (the unit filter walks the same tree as allowedUnits);
// otherwise hits of other units are dropped while paging through the
// results.
func (s scopedSource) SearchRecords(ctx context.Context, q catalog.Query) ([]catalog.Hit, error) {
	v := viewerFrom(ctx)
	if !v.unitScoped() {
		return s.Source.SearchRecords(ctx, q)
	}
	units, err := v.allowedUnits(ctx, s.Source)
	if err != nil {
		return nil, err
	}
	if q.Unit == "" && len(v.Units) == 1 {
		q.Unit = v.Units[0]
	}
	if q.Unit != "" && slices.Contains(v.Units, q.Unit) {
		return s.Source.SearchRecords(ctx, q) // the unit's tree is the clerk's
	}
	want, skip := q.Limit, q.Offset
	batch := max(200, 2*(q.Offset+q.Limit))
	var out []catalog.Hit
	for from := 0; from < searchScanMax; from += batch {
		page := q
		page.Offset, page.Limit = from, batch
		hits, err := s.Source.SearchRecords(ctx, page)
		if err != nil {
			return nil, err
		}
		for _, h := range hits {
			rec, err := s.Source.Record(ctx, h.RecordID)
			if err != nil {
				return nil, fmt.Errorf("read record %d of a hit: %w", h.RecordID, err)
			}
			if !units.has(rec) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, h)
			if want > 0 && len(out) == want {
				return out, nil
			}
		}
		if len(hits) < batch {
			break
		}
	}
	return out, nil
}

// EachRecordID calls fn with the ids q matches that the viewer may see.
func (s scopedSource) EachRecordID(ctx context.Context, q catalog.Query, fn func(id int64) error) error {
	if !viewerFrom(ctx).unitScoped() {
		return s.Source.EachRecordID(ctx, q, fn)
	}
	return s.Source.EachRecordID(ctx, q, func(id int64) error {
		if _, err := s.Record(ctx, id); err == nil {
			return fn(id)
		} else if !isNotFound(err) {
			return err
		}
		return nil
	})
}

func isNotFound(err error) bool { return errors.Is(err, catalog.ErrNotFound) }

// requestUser returns who signed in for the request of ctx; false when
// no one did (the open read-only view of serve without users included).
func requestUser(ctx context.Context) (auth.User, bool) {
	v := viewerFrom(ctx)
	if v == nil || v.open {
		return auth.User{}, false
	}
	return v.User, true
}

// mayActFor reports whether the user of ctx may act for unit (ingest,
// review): a clerk for its units and those under them, IT for every
// unit, nobody else. Handlers that change a unit's records ask it
// before doing so; reading is scoped by scopedSource.
func (d *Dashboard) mayActFor(ctx context.Context, unit string) (bool, error) {
	v := viewerFrom(ctx)
	switch {
	case v == nil || v.open:
		return false, nil
	case v.Role == auth.IT:
		return true, nil
	case v.Role != auth.Clerk:
		return false, nil
	}
	units, err := v.allowedUnits(ctx, d.src)
	return units.old[unit] || units.new[unit], err
}

// scopedReviewer is the Reviewer the review pages use: for a clerk the
// queue holds its units' records only, and any other record is "no such
// record", to read and to change alike, whatever id is guessed.
type scopedReviewer struct {
	Reviewer
	src scopedSource
}

// ReviewQueue returns the records of the queue the viewer may see.
func (s scopedReviewer) ReviewQueue(ctx context.Context, unit string) ([]catalog.Record, error) {
	recs, err := s.Reviewer.ReviewQueue(ctx, unit)
	if err != nil || !viewerFrom(ctx).unitScoped() {
		return recs, err
	}
	out := recs[:0]
	for _, r := range recs {
		ok, err := s.src.visible(ctx, r)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// ReviewState refuses a record the clerk may not see.
func (s scopedReviewer) ReviewState(ctx context.Context, id int64) (ReviewState, error) {
	if err := s.src.checkID(ctx, id); err != nil {
		return ReviewState{}, err
	}
	return s.Reviewer.ReviewState(ctx, id)
}

// Correct refuses a record the clerk may not see.
func (s scopedReviewer) Correct(ctx context.Context, id int64, who string, cs []review.Correction) ([]Change, error) {
	if err := s.src.checkID(ctx, id); err != nil {
		return nil, err
	}
	return s.Reviewer.Correct(ctx, id, who, cs)
}

// Confirm refuses a record the clerk may not see.
func (s scopedReviewer) Confirm(ctx context.Context, id int64, who string) (Confirmation, error) {
	if err := s.src.checkID(ctx, id); err != nil {
		return Confirmation{}, err
	}
	return s.Reviewer.Confirm(ctx, id, who)
}

// ChangePages refuses a record the clerk may not see.
func (s scopedReviewer) ChangePages(ctx context.Context, id int64, who string, ops []string) error {
	if err := s.src.checkID(ctx, id); err != nil {
		return err
	}
	return s.Reviewer.ChangePages(ctx, id, who, ops)
}
