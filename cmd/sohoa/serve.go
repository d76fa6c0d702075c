package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"sohoa/cmd/sohoa/internal/dashboard"
	"sohoa/storage/catalog"
)

// shutdownGrace is how long serve lets requests in flight finish after
// Ctrl-C.
const shutdownGrace = 10 * time.Second

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "[--addr 127.0.0.1:8080] [--data THƯ-MỤC]", `
Mở trang theo dõi tiến độ số hóa cho cán bộ CNTT huyện, tỉnh: tỷ lệ số hóa
từng cấp so với chỉ tiêu năm, các đơn vị xếp theo mức thiếu (bấm để xem
tỉnh → huyện → xã), tìm đơn vị theo tên (không cần dấu), biểu đồ tỷ lệ theo
năm của một đơn vị, và tình trạng xử lý (trang mỗi giờ, hàng đợi, hồ sơ lỗi).
Số liệu trùng với sohoa progress. Dừng bằng Ctrl-C.
Serve the IT dashboard: each level's percent against the year's target, the
units sorted by gap with drill-down, a unit search (accents optional), a
unit's percent by year, and the pipeline's health. The figures are those of
sohoa progress. Stop with Ctrl-C.

Địa chỉ / endpoints:
  /                 trang / the page (?year=&unit=&level=&behind=&q=)
  /api/progress     như / as sohoa progress --json (?year=&as_of=&level=&unit=&behind=)
  /api/units?q=     tìm đơn vị / unit search
  /api/history?unit= tỷ lệ theo năm / percent by year
  /api/health       trang mỗi giờ, hàng đợi, hồ sơ lỗi / pipeline health
  /search           tra cứu hồ sơ, không cần dấu / record search (accents optional)
  /records/ID       hồ sơ: trường, ảnh trang, chữ, PDF, bản gốc, lịch sử / a record's evidence view
  /review?unit=     hàng chờ kiểm tra của đơn vị / a unit's review queue
  /review/ID        kiểm tra: ảnh trang, chữ của từng trường, sửa, xoay/bỏ trang, xác nhận / review a record
  /upload           tải bản quét lên cho đơn vị của mình, theo dõi từng văn bản / upload scans, follow each document
  /api/uploads      tải lên từng phần, tiếp tục được khi mất mạng / resumable chunked upload (POST, PATCH, …/events)
  /api/search       như / as sohoa search --json (?q=&unit=&type=&issued_from=…)
  /export.zip       gói chứng cứ BagIt như sohoa export, tham số như /search (all=1: mọi hồ sơ) / the BagIt bag of a search, as sohoa export
  /api/fixity       kết quả kiểm tra toàn vẹn / fixity results (như / as sohoa verify)
  /metrics          Prometheus
  /login           đăng nhập / sign in (người dùng: sohoa users add; API: Authorization: Bearer TOKEN)

Trong lúc chạy, serve đọc lại dần từng đối tượng trong kho (toàn kho mỗi
--verify-every, đọc không quá --verify-max-rate mỗi giây để không làm chậm
việc nhập) và báo đối tượng bị thay đổi, bị mất, thừa trên trang và /metrics.
While it runs, serve re-reads the stored objects little by little (the whole
store once per --verify-every, at most --verify-max-rate a second so ingest
is not slowed) and shows altered, missing and orphaned ones on the page and
in /metrics.

Tệp tải lên ở /upload được lưu nguyên vẹn vào kho và xử lý ngay trong serve
(--workers luồng OCR; --workers 0: chỉ lưu và xếp hàng cho sohoa worker);
khi có tệp tải lên, serve xử lý cả các việc khác đang chờ trong hàng đợi.
Files uploaded at /upload are stored untouched and processed inside serve
(--workers OCR workers; --workers 0: only store and queue for sohoa worker);
once an upload arrives, serve works through whatever else is queued too.

Ví dụ / example:
  sohoa serve --addr 127.0.0.1:8080    rồi mở / then open http://127.0.0.1:8080/`)
	addr := fs.String("addr", "127.0.0.1:8080", "địa chỉ nghe / listen address (host:port)")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	verbose := fs.Bool("v", false, "ghi nhật ký từng yêu cầu lỗi / log more")
	checkpointEvery := fs.Duration("checkpoint-every", time.Hour, "ghi điểm mốc nhật ký kiểm toán ra kho sau mỗi khoảng này (0: không) / write an audit checkpoint this often (0: never)")
	verifyEvery := fs.String("verify-every", "30d", "đọc lại toàn kho mỗi khoảng này, vd 30d, 12h; off: không / re-read the whole store once per this period, e.g. 30d; off: never")
	verifyRate := fs.String("verify-max-rate", "8MB", "đọc lại tối đa mỗi giây / re-read at most this many bytes a second")
	workers := fs.Int("workers", runtime.NumCPU(), "số luồng OCR xử lý tệp tải lên; 0: chỉ lưu và xếp hàng / OCR workers for uploads; 0: only store and queue")
	uploadMax := fs.String("upload-max", "2GB", "tệp tải lên lớn nhất / largest file an upload may be")
	secureCookies := fs.Bool("secure-cookies", false, "cookie đăng nhập chỉ gửi qua HTTPS (khi có proxy TLS phía trước) / mark the sign-in cookie Secure (behind a TLS proxy)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve không nhận đối số %q (serve takes no arguments)", pos[0])
	}
	if *workers < 0 {
		return usagef("--workers không được âm (must not be negative); 0: không xử lý (no processing)")
	}
	maxUpload, err := parseRate(*uploadMax)
	if err != nil || maxUpload <= 0 {
		return usagef("--upload-max %q: viết như 2GB hoặc 500MB (write it like 2GB or 500MB)", *uploadMax)
	}
	st, err := e.openData(ctx, *data, *verbose)
	if err != nil {
		return err
	}
	defer st.Close()
	db := st.catalog
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	stopCheckpoints := startCheckpoints(ctx, st, *checkpointEvery, logger)
	defer stopCheckpoints()
	stopVerify, err := startVerification(ctx, e.stdout, st, *verifyEvery, *verifyRate, logger)
	if err != nil {
		return err
	}
	defer stopVerify()
	authn, err := serveAuth(ctx, e, db, *addr)
	if err != nil {
		return err
	}
	progress := dashboard.NewProgress()
	defer progress.Close()
	sp, err := startServePipeline(ctx, e, st, *workers, progress, logger)
	if err != nil {
		return err
	}
	defer sp.stop()
	dash, err := dashboard.New(dashboard.Config{
		Auth:          authn,
		SecureCookies: *secureCookies,
		Source:        db,
		StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) {
			s, err := db.Stats(ctx)
			return s.Records, err
		},
		Objects: st.objects,
		Fixity:  db,
		Logger:  logger,
		// The review pages make the calls of sohoa review; the records a
		// page change queues are read by serve's pipeline above.
		Reviewer: wakingReviewer{webReviewer{e: e, cfg: st.cfg, db: db}, sp.wake},
		Upload: &dashboard.UploadConfig{Dir: uploadsFolder(st.cfg.DataDir), MaxSize: maxUpload,
			Take: sp.Take, Progress: progress, Processing: *workers > 0},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	srv := &http.Server{
		Handler:           dash,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// A history builds a report for every year of the schedule.
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Event streams of uploads end when serve stops, not when browsers
	// hang up.
	srv.RegisterOnShutdown(progress.Close)
	fmt.Fprintf(e.stdout, "Trang theo dõi / dashboard: http://%s/  (Ctrl-C để dừng / to stop)\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stop serving %s: %w", ln.Addr(), err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	fmt.Fprintln(e.stdout, "Đã dừng / stopped.")
	return nil
}
