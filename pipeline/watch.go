package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"sohoa/pipeline/pages"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

// TakeRequest names one file of a watched folder that has stopped growing.
type TakeRequest struct {
	Path string // the file
	// Name is the file's name in the watched folder: the record's Source
	// and, with the sha256 of its bytes, what identifies the file.
	Name   string
	Unit   string
	Clerk  string
	Folder string // the watched folder, for the log
	// Split, when set, splits the file into documents once stored (a
	// stack scanned as one file), as IngestRequest.Split does. It is not
	// part of what identifies the file: the same name and bytes taken
	// again return the first record whatever the rule.
	Split SplitRule
}

// Taken is what Take made of a file.
type Taken struct {
	Record catalog.Record
	// Before is set when an earlier Take had recorded the file already (a
	// watcher stopped or killed before it moved the file out of the
	// folder, or the file put back): nothing was stored or recorded now.
	Before bool
	// ModTime is the file's modification time when its bytes were read:
	// a later one means the file was written again since.
	ModTime time.Time
}

// ErrStillWriting means the file changed while Take read it: it is not
// finished yet, and nothing was recorded.
var ErrStillWriting = errors.New("the file changed while it was read: it is still being written")

// Take stores the bytes of one file of a watched folder untouched in the
// object store and records them with a job in the catalog, once: a file is
// known by its name and the sha256 of its bytes, and Take called again for
// the same name and bytes — after a crash between recording the file and
// moving it out of the folder, say — returns the record made the first
// time. Each file is a batch of its own, keyed by unit, name and sha256,
// so a later scan saved under the same name is a new record.
//
// The file is hashed and stored from one open handle and the store
// verifies the sum, so the record always describes the bytes stored. Bytes
// another record holds already become a duplicate record linked to it, as
// in Ingest. An unreadable file is an error naming it; ErrStillWriting
// if it changed while read.
func (p *Pipeline) Take(ctx context.Context, req TakeRequest) (Taken, error) {
	lf, ok := p.cfg.Catalog.(lastBatchFinder)
	if !ok {
		return Taken{}, errors.New("take a watched file: the catalog cannot find earlier batches, which taking each file once needs")
	}
	fh, err := os.Open(req.Path)
	if err != nil {
		return Taken{}, &unreadableError{req.Name, err}
	}
	defer fh.Close()
	before, err := fh.Stat()
	if err != nil {
		return Taken{}, &unreadableError{req.Name, err}
	}
	h := sha256.New()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(fh, head)
	head = head[:n]
	h.Write(head)
	rest, err := io.Copy(h, fh)
	if err != nil {
		return Taken{}, &unreadableError{req.Name, err}
	}
	size := int64(n) + rest
	after, err := fh.Stat()
	if err != nil {
		return Taken{}, &unreadableError{req.Name, err}
	}
	if size != before.Size() || after.Size() != size || !after.ModTime().Equal(before.ModTime()) {
		return Taken{}, fmt.Errorf("take %s: %w", req.Name, ErrStillWriting)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	key := takeKey(req.Unit, req.Name, sum)

	// Recorded before? The batch and its record are looked up even once
	// sealed: that is the case of a watcher killed after recording.
	if b, err := lf.LastBatch(ctx, key); err == nil {
		r, err := p.cfg.Catalog.RecordInBatch(ctx, b.ID, req.Name)
		switch {
		case err == nil && r.SHA256 == sum:
			if !b.Sealed {
				if err := p.cfg.Catalog.SealBatch(ctx, b.ID); err != nil {
					return Taken{}, fmt.Errorf("seal batch %d of %s: %w", b.ID, req.Name, err)
				}
			}
			return Taken{Record: r, Before: true, ModTime: before.ModTime()}, nil
		case err != nil && !errors.Is(err, catalog.ErrNotFound):
			return Taken{}, fmt.Errorf("look up %s in batch %d: %w", req.Name, b.ID, err)
		}
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return Taken{}, fmt.Errorf("look up the batch of %s: %w", req.Name, err)
	}

	// A batch opened by a Take killed before it recorded is resumed.
	b, err := p.cfg.Catalog.OpenBatch(ctx, catalog.Batch{Unit: req.Unit, Clerk: req.Clerk, Key: key})
	if err != nil {
		return Taken{}, fmt.Errorf("open batch of %s: %w", req.Name, err)
	}
	format := pages.Sniff(head)
	objKey := storage.OriginalKey(sum)
	r := catalog.Record{
		BatchID:     b.ID,
		Unit:        req.Unit,
		Source:      req.Name,
		SHA256:      sum,
		Size:        size,
		ContentType: format.ContentType(),
		Original:    objKey,
		Status:      catalog.StatusQueued,
		Stage:       StageStored,
	}
	r, err = p.recordStored(ctx, fh, r, req.Split, func(r catalog.Record) map[string]any {
		return map[string]any{"source": r.Source, "sha256": sum, "size": size,
			"batch": b.ID, "unit": req.Unit, "clerk": req.Clerk, "watch": req.Folder, "split": r.Split}
	})
	if err != nil {
		return Taken{}, err
	}
	if err := p.cfg.Catalog.SealBatch(ctx, b.ID); err != nil {
		return Taken{}, fmt.Errorf("seal batch %d of %s: %w", b.ID, req.Name, err)
	}
	if r.Status == catalog.StatusDuplicate && p.cfg.Hooks.Record != nil {
		p.cfg.Hooks.Record(r)
	}
	return Taken{Record: r, ModTime: before.ModTime()}, nil
}

// takeKey identifies a watched file by unit, name and bytes: the batch key
// a Take finds again.
func takeKey(unit, name, sum string) string {
	h := sha256.New()
	fmt.Fprintf(h, "watch\x00unit=%s\x00name=%s\x00sha256=%s", unit, name, sum)
	return hex.EncodeToString(h.Sum(nil))
}
