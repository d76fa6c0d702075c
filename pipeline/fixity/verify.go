package fixity

import (
	"context"
	"fmt"
	"time"

	"sohoa/storage"
	"sohoa/storage/catalog"
)

// Selection says which objects Verify checks: every object (All, which
// also lists the store for orphans), or those of the records of a unit or
// with the ids given.
type Selection struct {
	All     bool
	Unit    string
	Records []int64
}

// Progress is how far Verify is.
type Progress struct {
	Done, Total int
	Bytes       int64
}

// Report is what one Verify found.
type Report struct {
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Checked  int       `json:"checked"`
	OK       int       `json:"ok"`
	Missing  int       `json:"missing"`
	Altered  int       `json:"altered"`
	Orphaned int       `json:"orphaned"`
	Bytes    int64     `json:"bytes"`
	// Problems are the checks that found something wrong, in the order
	// found.
	Problems []catalog.FixityCheck `json:"problems"`
}

// Clean reports whether nothing is missing, altered or orphaned.
func (r Report) Clean() bool { return r.Missing == 0 && r.Altered == 0 && r.Orphaned == 0 }

func (r *Report) add(c catalog.FixityCheck) {
	switch c.Result {
	case catalog.FixityOK:
		r.OK++
	case catalog.FixityMissing:
		r.Missing++
	case catalog.FixityAltered:
		r.Altered++
	case catalog.FixityOrphaned:
		r.Orphaned++
	}
	if c.Result != catalog.FixityOrphaned {
		r.Checked++
		r.Bytes += c.Size // orphans are listed, not read
	}
	if c.Result.Problem() {
		r.Problems = append(r.Problems, c)
	}
}

// pageSize is how many objects are read from the catalog at a time: no
// read transaction stays open while objects are hashed.
const pageSize = 256

// Verify checks the objects sel names, originals first, then archival
// PDFs; with sel.All it then lists the store for orphans and records the
// pass. onCheck, if not nil, is called after each object with the check
// and the progress so far. An error stops the pass (the store
// unreachable, ctx done); the report then holds what was checked.
func (v *Verifier) Verify(ctx context.Context, sel Selection, onCheck func(catalog.FixityCheck, Progress)) (Report, error) {
	rep := Report{Started: v.now()}
	var prog Progress
	for _, kind := range []string{catalog.ObjectOriginal, catalog.ObjectArchive} {
		n, err := v.cat.CountStoredObjects(ctx, catalog.ObjectQuery{Kind: kind, Unit: sel.Unit, Records: sel.Records})
		if err != nil {
			return rep, err
		}
		prog.Total += n
	}
	for _, kind := range []string{catalog.ObjectOriginal, catalog.ObjectArchive} {
		q := catalog.ObjectQuery{Kind: kind, Unit: sel.Unit, Records: sel.Records, Limit: pageSize}
		for {
			objs, err := v.cat.StoredObjects(ctx, q)
			if err != nil {
				return rep, err
			}
			for _, o := range objs {
				c, err := v.Check(ctx, o)
				if err != nil {
					return rep, err
				}
				rep.add(c)
				prog.Done++
				prog.Bytes += c.Size
				if prog.Done > prog.Total {
					prog.Total = prog.Done // records added during the pass
				}
				if onCheck != nil {
					onCheck(c, prog)
				}
			}
			if len(objs) < pageSize {
				break
			}
			q.After = objs[len(objs)-1].Key
		}
	}
	if !sel.All {
		rep.Finished = v.now()
		return rep, nil
	}
	orphans, err := v.Orphans(ctx, func(c catalog.FixityCheck) {
		rep.add(c)
		if onCheck != nil {
			onCheck(c, prog)
		}
	})
	if err != nil {
		return rep, err
	}
	rep.Finished = v.now()
	err = v.cat.SaveScan(ctx, catalog.FixityScan{
		Scope: catalog.ScanAll, Started: rep.Started, Finished: rep.Finished,
		Checked: rep.Checked, OK: rep.OK, Missing: rep.Missing, Altered: rep.Altered, Orphaned: rep.Orphaned,
		Orphans: orphans,
	})
	return rep, err
}

// orphanPrefixes are the folders of the objects records point at.
var orphanPrefixes = []string{"originals/", "archives/"}

// Orphans lists the store for objects under originals/ and archives/ that
// no record points at and that are older than the grace, appends an event
// for each, and calls found (if not nil) for each. It does not save them:
// Verify and Continuous do, with the pass.
func (v *Verifier) Orphans(ctx context.Context, found func(catalog.FixityCheck)) ([]catalog.FixityCheck, error) {
	cutoff := v.now().Add(-v.grace)
	var out []catalog.FixityCheck
	for _, prefix := range orphanPrefixes {
		err := v.objects.List(ctx, prefix, func(info storage.ObjectInfo) error {
			ok, err := v.cat.Referenced(ctx, info.Key)
			if err != nil || ok {
				return err
			}
			if info.ModTime.After(cutoff) {
				return nil // maybe an ingest between storing and recording
			}
			kind := catalog.ObjectOriginal
			if prefix == "archives/" {
				kind = catalog.ObjectArchive
			}
			c := catalog.FixityCheck{Key: info.Key, Kind: kind, Result: catalog.FixityOrphaned, At: v.now(), Size: info.Size,
				Got:    info.SHA256,
				Detail: "không hồ sơ nào trỏ tới, ghi lúc / no record points at it; written " + info.ModTime.UTC().Format(time.RFC3339)}
			if err := v.event(ctx, 0, c); err != nil {
				return err
			}
			out = append(out, c)
			if found != nil {
				found(c)
			}
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("list %s for orphans: %w", prefix, err)
		}
	}
	return out, nil
}
