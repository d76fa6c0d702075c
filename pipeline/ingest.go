package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sohoa/pipeline/pages"
	"sohoa/storage"
	"sohoa/storage/catalog"
)

// IngestRequest is what a clerk hands over: files and folders for a unit.
type IngestRequest struct {
	Paths []string
	Unit  string
	Clerk string
	// Split, when set, splits each file into documents once stored (a
	// stack of results scanned as one file); see SplitRule.
	Split SplitRule
}

// IngestResult lists the records of the batch, one per file, in the order
// the files were found.
type IngestResult struct {
	Batch   catalog.Batch
	Records []catalog.Record
	// Unreadable lists files that could not even be read (permissions, a
	// vanished file): they have no record, and the clerk must act.
	Unreadable []error
}

// Ingest stores every file's bytes untouched in the object store and
// records it with a job in the catalog. Re-running the same request after
// a crash resumes the same batch, even once it was sealed: files already
// recorded are not stored or recorded again. Bytes already held by another
// record become a duplicate record linked to it, stored once.
func (p *Pipeline) Ingest(ctx context.Context, req IngestRequest, onFile func(catalog.Record)) (IngestResult, error) {
	files, unreadable, err := collectFiles(req.Paths)
	if err != nil {
		return IngestResult{}, err
	}
	abs := make([]string, len(files))
	for i, f := range files {
		abs[i] = f.path
	}
	key := batchKey(req, abs)
	if b, recs, ok, err := p.finishedBatch(ctx, key, files); err != nil {
		return IngestResult{}, err
	} else if ok {
		for _, r := range recs {
			if onFile != nil {
				onFile(r)
			}
		}
		return IngestResult{Batch: b, Records: recs, Unreadable: unreadable}, nil
	}
	b, err := p.cfg.Catalog.OpenBatch(ctx, catalog.Batch{Unit: req.Unit, Clerk: req.Clerk, Key: key})
	if err != nil {
		return IngestResult{}, fmt.Errorf("open batch: %w", err)
	}
	res := IngestResult{Batch: b, Unreadable: unreadable}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		r, err := p.ingestFile(ctx, b, req, f)
		if err != nil {
			var ue *unreadableError
			if errors.As(err, &ue) {
				res.Unreadable = append(res.Unreadable, err)
				continue
			}
			return res, err
		}
		res.Records = append(res.Records, r)
		if onFile != nil {
			onFile(r)
		}
	}
	return res, nil
}

type inputFile struct {
	path   string // absolute
	source string // as the clerk gave it (relative to the folder given)
}

// collectFiles expands folders recursively, in name order, skipping hidden
// files and folders (.DS_Store, .Trash) that no scanner writes.
func collectFiles(paths []string) ([]inputFile, []error, error) {
	if len(paths) == 0 {
		return nil, nil, errors.New("no files given: name the scans or a folder of scans")
	}
	var files []inputFile
	var unreadable []error
	seen := map[string]bool{}
	add := func(path, source string) {
		abs, err := filepath.Abs(path)
		if err != nil {
			unreadable = append(unreadable, &unreadableError{source, err})
			return
		}
		if !seen[abs] {
			seen[abs] = true
			files = append(files, inputFile{path: abs, source: source})
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			unreadable = append(unreadable, &unreadableError{root, err})
			continue
		}
		if !info.IsDir() {
			add(root, filepath.Base(root))
			continue
		}
		var found []string
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				unreadable = append(unreadable, &unreadableError{path, err})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(d.Name(), ".") && path != root {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("walk %s: %w", root, err)
		}
		sort.Strings(found)
		for _, path := range found {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				rel = path
			}
			add(path, filepath.ToSlash(filepath.Join(filepath.Base(root), rel)))
		}
	}
	return files, unreadable, nil
}

// batchKey identifies an ingest request, so that running it again after a
// crash finds the batch it started.
func batchKey(req IngestRequest, abs []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "unit=%s\x00clerk=%s\x00", req.Unit, req.Clerk)
	for _, a := range abs {
		fmt.Fprintf(h, "%s\x00", a)
	}
	return hex.EncodeToString(h.Sum(nil))
}

type unreadableError struct {
	file string
	err  error
}

func (e *unreadableError) Error() string {
	return fmt.Sprintf("%s: không đọc được tệp — kiểm tra tệp còn đó và có quyền đọc (cannot read the file: check it exists and is readable): %v", e.file, e.err)
}

func (e *unreadableError) Unwrap() error { return e.err }

func (p *Pipeline) ingestFile(ctx context.Context, b catalog.Batch, req IngestRequest, f inputFile) (catalog.Record, error) {
	if r, err := p.cfg.Catalog.RecordInBatch(ctx, b.ID, f.source); err == nil {
		return r, nil // recorded before a crash: resume, do not repeat
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return catalog.Record{}, fmt.Errorf("look up %s in batch: %w", f.source, err)
	}

	fh, err := os.Open(f.path)
	if err != nil {
		return catalog.Record{}, &unreadableError{f.source, err}
	}
	defer fh.Close()
	h := sha256.New()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(fh, head)
	head = head[:n]
	h.Write(head)
	rest, err := io.Copy(h, fh)
	if err != nil {
		return catalog.Record{}, &unreadableError{f.source, err}
	}
	size := int64(n) + rest
	sum := hex.EncodeToString(h.Sum(nil))
	format := pages.Sniff(head)
	key := storage.OriginalKey(sum)

	r := catalog.Record{
		BatchID:     b.ID,
		Unit:        req.Unit,
		Source:      f.source,
		SHA256:      sum,
		Size:        size,
		ContentType: format.ContentType(),
		Original:    key,
		Status:      catalog.StatusQueued,
		Stage:       StageStored,
	}

	r, err = p.recordStored(ctx, fh, r, req.Split, func(r catalog.Record) map[string]any {
		return map[string]any{"source": r.Source, "sha256": sum, "size": size, "batch": b.ID, "unit": req.Unit, "clerk": req.Clerk}
	})
	if err != nil {
		return catalog.Record{}, err
	}
	if r.Status == catalog.StatusDuplicate {
		if p.cfg.Hooks.Record != nil {
			p.cfg.Hooks.Record(r)
		}
	}
	return r, nil
}

// recordStored finishes taking a file whose bytes fh holds, r filled in
// with its unit, source, checksum, size, type and key. Bytes another record
// holds already make r a duplicate linked to it, stored once; otherwise r
// takes the split rule. The bytes are stored first and r recorded second,
// with its job and its ingest event (details, given r as it will be
// recorded): a crash in between leaves an object no record points at
// (found by doctor, or by the next Take of the file), never a record
// without its bytes.
func (p *Pipeline) recordStored(ctx context.Context, fh *os.File, r catalog.Record, split SplitRule, details func(catalog.Record) map[string]any) (catalog.Record, error) {
	first, err := p.cfg.Catalog.FirstRecordWithSHA(ctx, r.SHA256)
	switch {
	case err == nil:
		r.Status = catalog.StatusDuplicate
		r.Stage = StageDone
		r.DuplicateOf = first.ID
		r.Pages = first.Pages
		r.Error = fmt.Sprintf("trùng với hồ sơ #%d (%s) đã nhập — không lưu lại lần nữa (same bytes as record #%d, not stored again)", first.ID, first.Source, first.ID)
	case errors.Is(err, catalog.ErrNotFound):
		r.Split = split.String()
	default:
		return catalog.Record{}, fmt.Errorf("look up %s by checksum: %w", r.Source, err)
	}
	if err := p.storeOriginal(ctx, fh, r.Original, r.Size, r.SHA256, r.ContentType); err != nil {
		return catalog.Record{}, fmt.Errorf("store original of %s: %w", r.Source, err)
	}
	events := []catalog.Event{p.newEvent("ingest", details(r))}
	if r.Status == catalog.StatusDuplicate {
		events = append(events, p.newEvent("duplicate", map[string]any{"of": r.DuplicateOf}))
	}
	added, err := p.addRecord(ctx, r, r.Status == catalog.StatusQueued, events)
	if err != nil {
		return catalog.Record{}, fmt.Errorf("record %s: %w", r.Source, err)
	}
	return added, nil
}

// storeOriginal puts the file under its content key unless an object with
// the same checksum is already there.
func (p *Pipeline) storeOriginal(ctx context.Context, fh *os.File, key string, size int64, sum, contentType string) error {
	if info, err := p.cfg.Objects.Stat(ctx, key); err == nil && info.SHA256 == sum && info.Size == size {
		return nil
	} else if err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := p.cfg.Objects.Put(ctx, key, fh, size, storage.PutOptions{ContentType: contentType, SHA256: sum})
	if err != nil {
		return err
	}
	p.event(ctx, "store", 0, map[string]any{"key": key, "sha256": sum, "size": size})
	return nil
}

// event appends to the catalog's event log. A failed append is logged, not
// returned: the work it describes is already durable.
func (p *Pipeline) event(ctx context.Context, action string, recordID int64, details map[string]any) {
	d, _ := json.Marshal(details)
	if err := p.cfg.Catalog.AppendEvent(ctx, catalog.Event{Actor: p.cfg.Actor, Action: action, RecordID: recordID, Details: string(d)}); err != nil {
		p.log.Warn("append event", "action", action, "record", recordID, "err", err)
	}
}
