package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"time"

	"golang.org/x/term"

	"sohoa/ocr/tesseract"
	"sohoa/pipeline"
	"sohoa/storage/catalog"
)

var unitCode = regexp.MustCompile(`^(\d{2}|\d{3}|\d{5})$`)

func runIngest(ctx context.Context, e *env, args []string) (err error) {
	fs := newFlags(e, "ingest", "[tùy chọn] TỆP|THƯ MỤC...", `
Nhập các tệp quét (PDF, TIFF nhiều trang, JPEG, PNG; thư mục được duyệt đệ quy):
lưu bản gốc nguyên vẹn, nhận dạng chữ tiếng Việt, phân loại, trích xuất số ký
hiệu, ngày ban hành, cơ quan ban hành, trích yếu, tạo bản PDF/A tìm kiếm được.
Mỗi tệp là một hồ sơ. Bị ngắt giữa chừng? Chạy lại đúng lệnh đó để tiếp tục.

Quét cả chồng hồ sơ thành một tệp? --split blank tách thành từng văn bản tại
các tờ trắng ngăn cách (chịu được bụi, nhiễu máy quét; trang chỉ có dấu đỏ in
hằn sang vẫn thuộc văn bản trước); thêm --duplex khi quét hai mặt (tờ ngăn cách
trắng cả hai mặt, mặt sau trắng của văn bản không làm tách). --split pages:N
tách mỗi N trang. Bản gốc vẫn lưu nguyên một lần; mỗi văn bản là một hồ sơ ghi
rõ trang của tệp gốc, ví dụ "chong.pdf pp. 4–7".
  sohoa ingest --unit 51 --split blank --duplex chong-ho-so.pdf

Ingest scans (PDF, multi-page TIFF, JPEG, PNG; folders recursively): store each
original untouched, OCR it in Vietnamese, classify it, extract number, issue
date, issuer and subject, and build a searchable PDF/A. One file is one record.
Interrupted? Run the same command again to resume.

A stack of results scanned as one file? --split blank splits it into
documents at blank separator sheets (dust and scanner noise tolerated; a page
showing only a seal bleeding through stays with its document); add --duplex
for two-sided scans (a separator sheet is blank on both sides; a document's
blank back pages do not split it). --split pages:N splits every N pages. The
original is still stored whole, once; each document is a record naming its
pages of the original, e.g. "stack.pdf pp. 4–7".`)
	unit := fs.String("unit", "", "mã đơn vị hành chính (2, 3 hoặc 5 chữ số) / administrative unit code")
	clerk := fs.String("clerk", os.Getenv("USER"), "người nhập / who is ingesting")
	workers := fs.Int("workers", runtime.NumCPU(), "số luồng OCR / OCR workers")
	asJSON := fs.Bool("json", false, "in mỗi hồ sơ thành một dòng JSON / one JSON object per record")
	noWait := fs.Bool("no-wait", false, "chỉ lưu và xếp hàng, để `sohoa worker` xử lý / only store and queue")
	data := fs.String("data", "", "thư mục dữ liệu / data folder (default $SOHOA_DATA or ./sohoa-data)")
	verbose := fs.Bool("v", false, "ghi nhật ký chi tiết / verbose log")
	split := fs.String("split", "", "tách chồng hồ sơ: blank (tại tờ trắng) hoặc pages:N / split a stack: blank (at separator sheets) or pages:N")
	duplex := fs.Bool("duplex", false, "với --split blank: quét hai mặt / with --split blank: scanned on both sides")
	defer func() { err = explainDiskFull(err, dataDirOf(*data)) }()
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	rule, err := pipeline.ParseSplit(*split, *duplex)
	if err != nil {
		return usagef("%v", err)
	}
	if len(paths) == 0 {
		return usagef("chưa chỉ ra tệp hay thư mục nào (name files or folders to ingest)")
	}
	if *unit != "" && !unitCode.MatchString(*unit) {
		return usagef("--unit %q không phải mã đơn vị (2, 3 hoặc 5 chữ số) (not a unit code: 2, 3 or 5 digits)", *unit)
	}
	if *workers < 1 {
		return usagef("--workers must be at least 1")
	}
	st, err := e.openData(ctx, *data, *verbose)
	if err != nil {
		return err
	}
	defer st.Close()
	defer checkpointAtEnd(ctx, e, st)
	if err := checkUnitInForce(ctx, st.catalog, *unit, time.Now()); err != nil {
		return err
	}

	out := newOutput(e, *asJSON)
	p, err := st.pipeline(*workers, *clerk, out)
	if err != nil {
		return err
	}
	res, err := p.Ingest(ctx, pipeline.IngestRequest{Paths: paths, Unit: *unit, Clerk: *clerk, Split: rule}, nil)
	for _, u := range res.Unreadable {
		out.bar.println("✗ " + u.Error())
	}
	if err != nil {
		out.bar.finish()
		return err
	}
	if *noWait {
		out.bar.finish()
		if err := st.catalog.SealBatch(ctx, res.Batch.ID); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "Đã lưu và xếp hàng %d tệp (lô %d); chạy `sohoa worker` để xử lý. Stored and queued %d files (batch %d).\n",
			len(res.Records), res.Batch.ID, len(res.Records), res.Batch.ID)
		return nil
	}
	err = p.Run(ctx, pipeline.RunOptions{})
	out.bar.finish()
	if err != nil {
		return err
	}
	if err := st.catalog.SealBatch(ctx, res.Batch.ID); err != nil {
		return err
	}
	return out.summary(ctx, st, res)
}

func runWorker(ctx context.Context, e *env, args []string) (err error) {
	fs := newFlags(e, "worker", "[tùy chọn]", `
Xử lý các việc còn trong hàng đợi (sau "ingest --no-wait", hoặc khi lần chạy
trước bị ngắt), rồi dừng khi hết việc; --follow để chờ việc mới.
Work through the queued jobs (after "ingest --no-wait", or an interrupted run)
and stop when the queue is empty; --follow keeps waiting for new jobs.`)
	workers := fs.Int("workers", runtime.NumCPU(), "số luồng OCR / OCR workers")
	follow := fs.Bool("follow", false, "chờ việc mới thay vì dừng / keep waiting for new jobs")
	asJSON := fs.Bool("json", false, "in mỗi hồ sơ thành một dòng JSON / one JSON object per record")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	verbose := fs.Bool("v", false, "ghi nhật ký chi tiết / verbose log")
	defer func() { err = explainDiskFull(err, dataDirOf(*data)) }()
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	st, err := e.openData(ctx, *data, *verbose)
	if err != nil {
		return err
	}
	defer st.Close()
	defer checkpointAtEnd(ctx, e, st)
	out := newOutput(e, *asJSON)
	p, err := st.pipeline(*workers, "sohoa", out)
	if err != nil {
		return err
	}
	err = p.Run(ctx, pipeline.RunOptions{Follow: *follow})
	out.bar.finish()
	return err
}

// pipeline builds the pipeline on the opened stores, reporting to out.
func (s *stores) pipeline(workers int, actor string, out *output) (*pipeline.Pipeline, error) {
	model, err := loadClassifier(s.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	return pipeline.New(pipeline.Config{
		Objects:    s.objects,
		Catalog:    s.catalog,
		Queue:      s.catalog,
		OCR:        tesseract.Factory(tesseract.Options{}),
		Workers:    workers,
		Classifier: model,
		TempDir:    tempDir(s.cfg.DataDir),
		Actor:      actor,
		Logger:     s.logger,
		Hooks: pipeline.Hooks{
			Pages:  out.bar.setPages,
			Page:   func(int64, int) { out.bar.pageDone() },
			Record: out.record,
			Store:  out.storeState(s.cfg.storeName()),
		},
	})
}

// output prints per-record results: a line for a person, or JSON.
type output struct {
	e      *env
	json   bool
	bar    *progress
	failed int
	review int
	quiet  bool // no per-record lines (eval prints its own table)
}

func newOutput(e *env, asJSON bool) *output {
	tty := false
	if f, ok := e.stderr.(*os.File); ok {
		tty = term.IsTerminal(int(f.Fd()))
	}
	o := &output{e: e, json: asJSON}
	// The bar goes to stderr; result lines go to stdout, through the bar
	// so they print above it.
	o.bar = newProgress(e.stderr, tty)
	return o
}

func (o *output) record(r catalog.Record) {
	switch r.Status {
	case catalog.StatusFailed:
		o.failed++
	case catalog.StatusNeedsReview:
		o.review++
	}
	if o.quiet {
		return
	}
	if o.json {
		b, _ := json.Marshal(toJSON(r, ""))
		o.bar.printlnTo(o.e.stdout, string(b))
		return
	}
	o.bar.printlnTo(o.e.stdout, recordLine(r))
}

func (o *output) summary(ctx context.Context, st *stores, res pipeline.IngestResult) error {
	if !o.json {
		var done, review, failed, dup int
		// Every record of the batch: a split stack has one per document.
		recs, err := st.catalog.List(ctx, catalog.Filter{BatchID: res.Batch.ID})
		if err != nil {
			return err
		}
		for _, cur := range recs {
			switch cur.Status {
			case catalog.StatusDigitized:
				done++
			case catalog.StatusNeedsReview:
				review++
			case catalog.StatusFailed:
				failed++
			case catalog.StatusDuplicate:
				dup++
			}
		}
		fmt.Fprintf(o.e.stderr, "\nLô %d: %d tệp — %d đã số hóa, %d cần kiểm tra, %d lỗi, %d trùng.\n", res.Batch.ID, len(res.Records), done, review, failed, dup)
		fmt.Fprintf(o.e.stderr, "Batch %d: %d files — %d digitized, %d need review, %d failed, %d duplicates.\n", res.Batch.ID, len(res.Records), done, review, failed, dup)
		if review > 0 {
			fmt.Fprintf(o.e.stderr, "Xem các hồ sơ cần kiểm tra / records to check: sohoa list --status needs_review\n")
		}
		if failed > 0 || len(res.Unreadable) > 0 {
			return errReported
		}
		return nil
	}
	if o.failed > 0 || len(res.Unreadable) > 0 {
		return errReported
	}
	return nil
}
