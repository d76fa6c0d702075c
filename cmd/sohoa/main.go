// Command sohoa digitizes scanned results of administrative procedures:
// it stores each untouched scan, reads it in Vietnamese, types it, extracts
// its number, date, issuer and subject, keeps a searchable archival PDF and
// records everything in a catalog.
//
// Run `sohoa help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/pdfcpu/pdfcpu/pkg/api"

	"sohoa/ocr/tesseract"
)

// Exit codes scripts can rely on.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran but something failed (a record failed, a check did not pass)
	exitUsage   = 2 // wrong flags or arguments
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

func commands() []command {
	return []command{
		{"ingest", "nhập các tệp quét vào kho và xử lý / ingest scans: store, OCR, classify, archive", runIngest},
		{"worker", "xử lý hàng đợi / drain the job queue (resume interrupted work)", runWorker},
		{"watch", "theo dõi thư mục máy quét / watch a scanner's folder: take, process, move to done/ or failed/", runWatch},
		{"list", "liệt kê hồ sơ / list records", runList},
		{"show", "xem một hồ sơ / show one record", runShow},
		{"search", "tìm kiếm toàn văn / full-text search (accents optional)", runSearch},
		{"review", "hàng chờ kiểm tra: xem, sửa, xác nhận / the review queue: list, correct, confirm", runReview},
		{"train", "huấn luyện lại bộ phân loại từ hồ sơ đã xác nhận / retrain the classifier from confirmed records", runTrain},
		{"get", "lấy bản gốc hoặc bản lưu trữ PDF / write a record's original or archival PDF", runGet},
		{"verify", "kiểm tra toàn vẹn bản gốc / re-hash stored objects: missing, altered, orphaned", runVerify},
		{"audit", "nhật ký kiểm toán / the hash-chained audit log: verify, log, checkpoint", runAudit},
		{"export", "xuất gói chứng cứ BagIt / export records as a BagIt evidence package", runExport},
		{"units", "danh mục đơn vị hành chính / administrative units: import, show", runUnits},
		{"inventory", "nạp số kết quả đang lưu giữ / load the valid results units hold", runInventory},
		{"targets", "lộ trình chỉ tiêu số hóa / the yearly target schedule: show, load", runTargets},
		{"progress", "tiến độ số hóa theo đơn vị và cấp / progress per unit and level against the target", runProgress},
		{"serve", "trang theo dõi cho CNTT / the IT dashboard: progress, search, pipeline health, /metrics", runServe},
		{"users", "người dùng trang web và vai trò / web users, roles and API tokens", runUsers},
		{"fixtures", "sinh bộ ảnh quét mẫu / generate synthetic scans with ground truth", runFixtures},
		{"doctor", "khám và sửa kho / find orphaned objects and stuck jobs, check the catalog", runDoctor},
		{"backup", "sao lưu danh mục vào kho / back the catalog up to the object store", runBackup},
		{"restore", "khôi phục danh mục / restore the catalog from a backup", runRestore},
		{"eval", "đo độ chính xác / score the pipeline against labelled scans", runEval},
		{"version", "phiên bản / print versions", runVersion},
	}
}

func main() {
	if err := tesseract.ReexecWithThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, "sohoa:", err)
		os.Exit(exitFailure)
	}
	// pdfcpu would otherwise create ~/.config/pdfcpu on first use; sohoa
	// needs none of its configuration files.
	api.DisableConfigDir()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			args = []string{args[1], "--help"}
		} else {
			usage(stdout)
			return exitOK
		}
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, new(*usageError)):
			fmt.Fprintf(stderr, "sohoa %s: %v\nXem / see: sohoa %s --help\n", c.name, err, c.name)
			return exitUsage
		case errors.Is(err, errReported):
			return exitFailure
		case errors.Is(err, context.Canceled):
			fmt.Fprintln(stderr, "sohoa: đã dừng; chạy lại lệnh để tiếp tục (stopped; run the command again to resume)")
			return 130
		default:
			fmt.Fprintf(stderr, "sohoa %s: %v\n", c.name, err)
			return exitFailure
		}
	}
	fmt.Fprintf(stderr, "sohoa: không có lệnh %q (unknown command)\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprint(w, `sohoa — số hóa kết quả giải quyết thủ tục hành chính
(digitize results of administrative procedures)

Cách dùng / usage:
  sohoa <lệnh> [tùy chọn] [đối số]

Lệnh / commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Ví dụ / examples:
  sohoa ingest --unit 21199 --clerk "Nguyễn Thị Lan" ~/scans/lo-12
  sohoa list --status needs_review
  sohoa search "quyet dinh dat dai"
  sohoa get 12 --archive -o 12.pdf
  sohoa units import && sohoa inventory import ton-kho.csv && sohoa progress --behind

Dữ liệu nằm trong ./sohoa-data (đổi bằng --data hoặc SOHOA_DATA). Đặt
SOHOA_S3_ENDPOINT (và SOHOA_S3_BUCKET, SOHOA_S3_ACCESS_KEY, SOHOA_S3_SECRET_KEY)
để lưu bản gốc lên máy chủ S3/MinIO.
Data lives in ./sohoa-data (change with --data or SOHOA_DATA); set
SOHOA_S3_ENDPOINT and friends to keep the originals on an S3/MinIO server.

"sohoa <lệnh> --help" giải thích từng lệnh / explains each command.
`)
}

// errReported means the command already told the user what went wrong
// (per-record lines); main only sets the exit code.
var errReported = errors.New("reported")

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }
