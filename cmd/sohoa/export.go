package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"sohoa/storage/catalog"
	"sohoa/storage/evidence"
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

Nút "Xuất gói chứng cứ (BagIt)" trên trang /search của sohoa serve tạo đúng
gói này cho bộ lọc đang xem. / The "Export evidence bag" button on the search
page of sohoa serve makes the same bag for the filters shown.

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
		source = evidence.Organization(ctx, st.catalog, q.Unit, time.Now())
	}
	tty := false
	if f, ok := e.stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	res, err := exportToFile(ctx, evidence.New(st.catalog, st.objects), q, exportOptions{
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

// exportResult is the --json summary of an export: the bag's file and
// what evidence.Exporter wrote into it.
type exportResult struct {
	Out string `json:"out"`
	evidence.Result
}

// exportOptions are the bag's file and who makes it.
type exportOptions struct {
	out, org, actor string
	now             time.Time
	progress        *exportProgress // nil: none
}

// exportToFile writes the bag of the records q matches to opts.out. It
// writes opts.out+".part" and renames it once the bag is complete and the
// export is in the audit log, so a bag under the real name is always
// whole.
func exportToFile(ctx context.Context, x evidence.Exporter, q catalog.Query, opts exportOptions) (res exportResult, err error) {
	ids, err := x.Select(ctx, q)
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
	bag := evidence.Bag{Name: strings.TrimSuffix(filepath.Base(opts.out), filepath.Ext(opts.out)), Organization: opts.org,
		Actor: opts.actor, Now: opts.now, Query: q, IDs: ids}
	buf := bufio.NewWriterSize(f, 1<<20)
	var progress evidence.Progress
	if opts.progress != nil {
		progress = opts.progress
	}
	res.Result, err = x.Write(ctx, buf, bag, progress)
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
	if err := x.Record(ctx, bag, res.Result); err != nil {
		return res, err
	}
	if err := os.Rename(part, opts.out); err != nil {
		return res, fmt.Errorf("rename %s to %s: %w", part, opts.out, err)
	}
	done = true
	return res, nil
}

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

var _ evidence.Progress = (*exportProgress)(nil)

// Start begins the line of an export of total records.
func (p *exportProgress) Start(total int) {
	if p == nil {
		return
	}
	p.total, p.begin = total, time.Now()
}

// Update redraws the line, at most five times a second.
func (p *exportProgress) Update(done int, written int64) {
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

// Finish clears the line.
func (p *exportProgress) Finish() {
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
