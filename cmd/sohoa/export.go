package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"sohoa/pipeline/vntext"
	"sohoa/storage"
	"sohoa/storage/bagit"
	"sohoa/storage/catalog"
)

const exportHelp = `
Xuất các hồ sơ khớp bộ lọc thành một gói chứng cứ BagIt (RFC 8493) dạng .zip:
với mỗi hồ sơ có bản gốc nguyên vẹn, bản PDF lưu trữ, một tệp JSON các trường
(kèm độ tin cậy, sha256, số trang) và lịch sử của hồ sơ. Các tệp manifest ghi
sha256 của từng tệp nên người nhận kiểm được gói bằng bất kỳ công cụ BagIt nào.
Việc xuất được ghi vào nhật ký kiểm toán.

Export the records the filters match as a BagIt evidence package (RFC 8493)
in one .zip: per record the untouched original, the archival PDF, a JSON of
its fields (with confidences, sha256, pages) and its history. The manifests
hold every file's sha256, so the recipient can check the bag with any BagIt
tool. The export is recorded in the audit log.

Ví dụ / examples:
  sohoa export --unit 21181 --type quyet-dinh --field dat-dai --out dat-dai-21181.zip
  sohoa export "giao dat" --issued-from 2025-01-01 --out giao-dat.zip --json
  sohoa export --all --out toan-bo.zip`

// runExport is `sohoa export`.
func runExport(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "export", "[bộ lọc / filters] [TỪ KHÓA...] --out TỆP.zip", exportHelp)
	query := addQueryFlags(fs)
	out := fs.String("out", "", "tệp .zip ghi ra / the .zip to write (must not exist)")
	all := fs.Bool("all", false, "xuất mọi hồ sơ khi không có bộ lọc / export every record when no filter is given")
	org := fs.String("org", "", "Source-Organization của gói / the bag's source organization (default: the --unit's name)")
	actor := fs.String("actor", "", "người xuất / who exports (default: $USER)")
	asJSON := fs.Bool("json", false, "in tóm tắt JSON / print a JSON summary")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	q, err := query(pos)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("thiếu --out TỆP.zip (give --out FILE.zip)")
	}
	if !strings.EqualFold(filepath.Ext(*out), ".zip") {
		return usagef("--out %q: tên tệp phải kết thúc bằng .zip (the file name must end in .zip)", *out)
	}
	if q.Text == "" && !queryFiltered(q) && !*all {
		return usagef("chưa có bộ lọc: thêm --unit, --type, từ khóa… hoặc --all để xuất mọi hồ sơ (no filter: give one, or --all to export every record)")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s đã có: chọn tên khác hoặc xóa tệp cũ (already exists: choose another name or remove it)", *out)
	}
	st, err := e.openData(ctx, *data, false)
	if err != nil {
		return err
	}
	defer st.Close()

	source := *org
	if source == "" {
		source = unitOrganization(ctx, st, q.Unit)
	}
	tty := false
	if f, ok := e.stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	ex := exporter{catalog: st.catalog, search: st.catalog, objects: st.objects}
	res, err := ex.export(ctx, q, exportOptions{
		out: *out, org: source, actor: actorName(*actor), now: time.Now(),
		progress: &exportProgress{w: e.stderr, tty: tty},
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "Đã xuất %d hồ sơ (%d tệp, %s) vào %s\nExported %d records (%d files) to %s\n  sha256 %s\n",
		res.Records, res.Files, humanBytes(res.Bytes), res.Out, res.Records, res.Files, res.Out, res.SHA256)
	return nil
}

// exportCatalog is what an export reads from and writes to the catalog.
type exportCatalog interface {
	Record(ctx context.Context, id int64) (catalog.Record, error)
	Pages(ctx context.Context, recordID int64) ([]catalog.Page, error)
	Events(ctx context.Context, recordID int64) ([]catalog.Event, error)
	AppendEvent(ctx context.Context, e catalog.Event) error
}

// exporter writes bags of records.
type exporter struct {
	catalog exportCatalog
	search  catalog.RecordSearcher
	objects storage.Objects
}

type exportOptions struct {
	out, org, actor string
	now             time.Time
	progress        *exportProgress // nil: none
}

// exportResult is the --json summary of an export.
type exportResult struct {
	Out          string `json:"out"`
	SHA256       string `json:"sha256"`
	Bytes        int64  `json:"bytes"`
	Records      int    `json:"records"`
	Files        int    `json:"files"`
	PayloadBytes int64  `json:"payload_bytes"`
	// ManifestSHA256 is the sha256 of manifest-sha256.txt, which pins
	// every payload file.
	ManifestSHA256 string         `json:"manifest_sha256"`
	Query          map[string]any `json:"query"`
}

// export writes the bag of the records q matches to opts.out. It writes
// opts.out+".part" and renames it once the bag is complete and the export
// is in the audit log, so a bag under the real name is always whole.
func (x exporter) export(ctx context.Context, q catalog.Query, opts exportOptions) (res exportResult, err error) {
	ids, err := x.selectRecords(ctx, q)
	if err != nil {
		return res, err
	}
	part := opts.out + ".part"
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return res, fmt.Errorf("create %s: %w", part, err)
	}
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(part)
		}
	}()
	spec := bagSpec{name: strings.TrimSuffix(filepath.Base(opts.out), filepath.Ext(opts.out)), org: opts.org, actor: opts.actor,
		now: opts.now, query: q, ids: ids}
	buf := bufio.NewWriterSize(f, 1<<20)
	res, err = x.writeBag(ctx, buf, spec, opts.progress)
	if err != nil {
		return res, err
	}
	res.Out = opts.out
	if err := buf.Flush(); err != nil {
		return res, fmt.Errorf("write %s: %w", part, err)
	}
	if err := f.Sync(); err != nil {
		return res, fmt.Errorf("write %s: %w", part, err)
	}
	if err := f.Close(); err != nil {
		return res, fmt.Errorf("write %s: %w", part, err)
	}
	// The event comes before the rename: a bag under its real name has
	// always been recorded.
	if err := x.recordExport(ctx, spec, res); err != nil {
		return res, err
	}
	if err := os.Rename(part, opts.out); err != nil {
		return res, fmt.Errorf("rename %s to %s: %w", part, opts.out, err)
	}
	done = true
	return res, nil
}

// selectRecords returns the ids of the records q matches, in id order,
// all of them before any is exported: the count goes into bag-info.txt,
// and no catalog read stays open while objects stream.
func (x exporter) selectRecords(ctx context.Context, q catalog.Query) ([]int64, error) {
	var ids []int64
	if err := x.search.EachRecordID(ctx, q, func(id int64) error { ids = append(ids, id); return nil }); err != nil {
		return nil, fmt.Errorf("find the records to export: %w", err)
	}
	if len(ids) == 0 {
		return nil, errors.New("không có hồ sơ nào khớp bộ lọc: không xuất gì (no record matches: nothing exported)")
	}
	return ids, nil
}

// bagSpec is what goes into one bag and who makes it.
type bagSpec struct {
	// name identifies the bag (External-Identifier) and, made safe, is its
	// base directory: the zip's file name without .zip.
	name       string
	org, actor string
	now        time.Time
	query      catalog.Query
	ids        []int64
}

// writeBag streams the bag of spec.ids to w: the zip goes out as the
// objects are read, so a web handler can pass its response writer. The
// result has the sha256 and size of the bytes written; Out is left empty.
func (x exporter) writeBag(ctx context.Context, w io.Writer, spec bagSpec, progress *exportProgress) (exportResult, error) {
	h := sha256.New()
	count := &byteCounter{}
	query := queryFields(spec.query)
	qjson, _ := json.Marshal(query)
	tags := []bagit.Tag{
		{Label: "Source-Organization", Value: spec.org},
		{Label: "Contact-Name", Value: spec.actor},
		{Label: "External-Identifier", Value: spec.name},
		{Label: "External-Description", Value: fmt.Sprintf("Gói chứng cứ sohoa: %d hồ sơ khớp %s / sohoa evidence package: %d records matching %s",
			len(spec.ids), describeQuery(query), len(spec.ids), describeQuery(query))},
		{Label: "Bag-Software-Agent", Value: "sohoa " + sohoaRevision()},
		{Label: "Bag-Count", Value: "1 of 1"},
		{Label: "Sohoa-Query", Value: string(qjson)},
		{Label: "Sohoa-Records", Value: strconv.Itoa(len(spec.ids))},
	}
	if chain, ok := x.catalog.(catalog.AuditLog); ok {
		head, err := chain.Head(ctx)
		if err != nil {
			return exportResult{}, fmt.Errorf("read the audit chain head: %w", err)
		}
		tags = append(tags, bagit.Tag{Label: "Sohoa-Audit-Head", Value: fmt.Sprintf("%d %s", head.LastID, head.Hash)})
	}
	bag, err := bagit.NewWriter(io.MultiWriter(w, h, count), bagRoot(spec.name), tags, spec.now)
	if err != nil {
		return exportResult{}, err
	}
	progress.start(len(spec.ids))
	defer progress.finish()
	for i, id := range spec.ids {
		if err := x.addRecord(ctx, bag, id); err != nil {
			return exportResult{}, err
		}
		progress.update(i+1, count.n)
	}
	sum, err := bag.Close()
	if err != nil {
		return exportResult{}, err
	}
	return exportResult{
		SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: count.n, Records: len(spec.ids),
		Files: sum.Files, PayloadBytes: sum.Octets, ManifestSHA256: sum.ManifestSHA256, Query: query,
	}, nil
}

// recordExport appends the export to the audit log: the query, the
// records (as id ranges), and the bag's sha256, size and name.
func (x exporter) recordExport(ctx context.Context, spec bagSpec, res exportResult) error {
	details, _ := json.Marshal(map[string]any{
		"query": res.Query, "count": res.Records, "records": idRanges(spec.ids), "sha256": res.SHA256,
		"bytes": res.Bytes, "bag": spec.name, "manifest_sha256": res.ManifestSHA256,
	})
	if err := x.catalog.AppendEvent(ctx, catalog.Event{Actor: spec.actor, Action: "export", Details: string(details)}); err != nil {
		return fmt.Errorf("record the export in the audit log: %w", err)
	}
	return nil
}

// addRecord puts one record's files under data/records/<id>/.
func (x exporter) addRecord(ctx context.Context, bag *bagit.Writer, id int64) error {
	r, err := x.catalog.Record(ctx, id)
	if err != nil {
		return fmt.Errorf("read record %d: %w", id, err)
	}
	dir := fmt.Sprintf("records/%d/", id)
	if r.Original == "" {
		return fmt.Errorf("hồ sơ #%d chưa có bản gốc trong kho (status %s): chạy sohoa worker rồi xuất lại (record %d has no stored original: run sohoa worker, then export again)", id, r.Status, id)
	}
	if err := x.addObject(ctx, bag, id, dir+"original."+originalExt(r), r.Original, r.SHA256); err != nil {
		return err
	}
	if r.Archive != "" {
		want, err := x.archiveSHA256(ctx, r.Archive)
		if err != nil {
			return fmt.Errorf("record %d: %w", id, err)
		}
		if err := x.addObject(ctx, bag, id, dir+"archive.pdf", r.Archive, want); err != nil {
			return err
		}
	}
	pages, err := x.catalog.Pages(ctx, id)
	if err != nil {
		return fmt.Errorf("read pages of record %d: %w", id, err)
	}
	texts := make([]string, len(pages))
	for i, p := range pages {
		texts[i] = p.Text
	}
	if err := addJSON(ctx, bag, dir+"record.json", toJSON(r, strings.Join(texts, "\n\f"))); err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	history, err := x.history(ctx, id)
	if err != nil {
		return err
	}
	if err := addJSON(ctx, bag, dir+"events.json", history); err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	return nil
}

// storedObjects looks up the sha256 the catalog holds for an object.
type storedObjects interface {
	StoredObject(ctx context.Context, key string) (catalog.StoredObject, error)
}

// archiveSHA256 is the sha256 the catalog recorded for an archival PDF
// when it was built, or "" when the catalog holds none (the store's own
// record is used then): checked against the catalog, a PDF rewritten in
// the store together with its metadata is still caught.
func (x exporter) archiveSHA256(ctx context.Context, key string) (string, error) {
	so, ok := x.catalog.(storedObjects)
	if !ok {
		return "", nil
	}
	o, err := so.StoredObject(ctx, key)
	if errors.Is(err, catalog.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return o.SHA256, nil
}

// history is a record's events for the bag, with their links in the
// audit chain when the catalog keeps one, so the recipient can check them
// against the chain head in bag-info.txt.
func (x exporter) history(ctx context.Context, id int64) ([]bagEvent, error) {
	var out []bagEvent
	if chain, ok := x.catalog.(catalog.AuditLog); ok {
		events, err := chain.AuditEvents(ctx, catalog.AuditFilter{RecordID: id})
		if err != nil {
			return nil, fmt.Errorf("read history of record %d: %w", id, err)
		}
		for _, ev := range events {
			b := toBagEvent(ev.Event)
			b.PrevHash, b.Hash = ev.PrevHash, ev.Hash
			out = append(out, b)
		}
		return out, nil
	}
	events, err := x.catalog.Events(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read history of record %d: %w", id, err)
	}
	for _, ev := range events {
		out = append(out, toBagEvent(ev))
	}
	return out, nil
}

// addObject streams one stored object into the bag, checked against the
// sha256 the catalog holds (want) or, when empty, the one the store holds.
func (x exporter) addObject(ctx context.Context, bag *bagit.Writer, id int64, path, key, want string) error {
	rc, info, err := x.objects.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("hồ sơ #%d: %s không còn trong kho; chạy sohoa verify và báo CNTT (record %d: object missing from the store: run sohoa verify and tell IT)", id, key, id)
	}
	if err != nil {
		return fmt.Errorf("record %d: read %s from the store: %w", id, key, err)
	}
	defer rc.Close()
	if want == "" {
		want = info.SHA256
	}
	err = bag.Add(ctx, bagit.Entry{Path: path, Size: info.Size, Body: rc, SHA256: want})
	if errors.Is(err, storage.ErrChecksum) || errors.Is(err, bagit.ErrChecksum) {
		return fmt.Errorf("hồ sơ #%d: %s không khớp sha256 đã ghi — bản lưu có thể đã bị sửa; chạy sohoa verify và báo CNTT (record %d: the stored bytes do not match their sha256: run sohoa verify and tell IT): %w", id, key, id, err)
	}
	if err != nil {
		return fmt.Errorf("record %d: %w", id, err)
	}
	return nil
}

func addJSON(ctx context.Context, bag *bagit.Writer, path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	b = append(b, '\n')
	return bag.Add(ctx, bagit.Entry{Path: path, Size: int64(len(b)), Body: strings.NewReader(string(b)), Compress: true})
}

// bagEvent is one event of a record's history in the bag.
type bagEvent struct {
	ID       int64           `json:"id"`
	At       string          `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	RecordID int64           `json:"record_id"`
	Details  json.RawMessage `json:"details,omitempty"`
	// PrevHash and Hash link the event in the audit chain.
	PrevHash string `json:"prev_hash,omitempty"`
	Hash     string `json:"hash,omitempty"`
}

func toBagEvent(ev catalog.Event) bagEvent {
	b := bagEvent{ID: ev.ID, At: ev.At.UTC().Format(time.RFC3339Nano), Actor: ev.Actor, Action: ev.Action, RecordID: ev.RecordID}
	switch {
	case ev.Details == "":
	case json.Valid([]byte(ev.Details)):
		b.Details = json.RawMessage(ev.Details)
	default:
		b.Details, _ = json.Marshal(ev.Details)
	}
	return b
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

// bagRoot is the bag's base directory in the zip: the file's name without
// .zip (RFC 8493 §4), accents folded ("chứng cứ" → "chung cu") and
// anything else but ASCII letters, digits, '.', '_' and '-' turned into '-'.
func bagRoot(out string) string {
	name := vntext.Fold(strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)))
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

// queryFields are the filters of q that are set, under the names of the
// command's flags.
func queryFields(q catalog.Query) map[string]any {
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

// describeQuery writes the filters as flags, in a fixed order.
func describeQuery(m map[string]any) string {
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

// idRanges writes sorted ids compactly: "1-4,9,12-13".
func idRanges(ids []int64) string {
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

// unitOrganization names the unit for Source-Organization: "Xã Tịnh Ấn
// Tây (21181)" when the catalogue knows it, the code alone otherwise.
func unitOrganization(ctx context.Context, st *stores, code string) string {
	if code == "" {
		return "sohoa"
	}
	units, err := st.catalog.Units(ctx, catalog.SchemeOn(time.Now()))
	if err == nil {
		for _, u := range units {
			if u.Code == code {
				return fmt.Sprintf("%s (%s)", u.Name, code)
			}
		}
	}
	return "đơn vị / unit " + code
}

type byteCounter struct{ n int64 }

func (c *byteCounter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// exportProgress draws "12/40 hồ sơ · 35 MB" on a terminal; nothing
// elsewhere. A nil *exportProgress draws nothing.
type exportProgress struct {
	w     io.Writer
	tty   bool
	total int
	begin time.Time
	last  time.Time
	drawn bool
}

func (p *exportProgress) start(total int) {
	if p == nil {
		return
	}
	p.total, p.begin = total, time.Now()
}

func (p *exportProgress) update(done int, written int64) {
	if p == nil || !p.tty {
		return
	}
	now := time.Now()
	if done < p.total && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	rate := ""
	if secs := now.Sub(p.begin).Seconds(); secs > 1 {
		rate = fmt.Sprintf(" · %s/s", humanBytes(int64(float64(written)/secs)))
	}
	fmt.Fprintf(p.w, "\r\033[KĐang xuất / exporting %d/%d hồ sơ (records) · %s%s", done, p.total, humanBytes(written), rate)
	p.drawn = true
}

func (p *exportProgress) finish() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// humanBytes writes a size as people read it: "12.3 MB".
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
