package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sohoa/fixtures"
)

func runFixtures(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "fixtures", "--out THƯ-MỤC [--n N] [--seed S] [--degraded|--clean] [--format F] [--dpi D]", `
Sinh các bản quét giả lập có đáp án (cùng seed cho cùng kết quả): đủ các loại văn
bản, bố cục thật (quốc hiệu, số ký hiệu, ngày tháng, tiêu đề, trích yếu, chữ ký,
dấu đỏ), 200/300 dpi, sạch hoặc có nhiễu (nghiêng, nhòe, tương phản thấp, số viết
tay, dấu đè chữ), dạng PNG, JPEG, TIFF nhiều trang (cả CCITT G4) và PDF. Mỗi tệp
có <tệp>.truth.json và <tệp>.body.txt; labels.tsv dùng cho "sohoa eval".
Generate synthetic scans with ground truth, deterministic from the seed; each
file has <file>.truth.json and <file>.body.txt, and labels.tsv feeds "sohoa eval".`)
	out := fs.String("out", "", "thư mục ghi ra / output folder (required)")
	n := fs.Int("n", 20, "số văn bản / number of documents")
	seed := fs.Int64("seed", 1, "hạt giống / seed (use one the classifier was not trained on)")
	degraded := fs.Bool("degraded", false, "mọi văn bản đều có nhiễu / degrade every document")
	clean := fs.Bool("clean", false, "không văn bản nào có nhiễu / no degradation")
	format := fs.String("format", "", "chỉ một dạng: "+strings.Join(fixtures.Formats, ", ")+" (mặc định trộn / default: mixed)")
	dpi := fs.Int("dpi", 0, "200 hoặc 300 (mặc định trộn / default: mixed)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("thiếu --out THƯ-MỤC (give --out DIR)")
	}
	if *n < 1 {
		return usagef("--n must be at least 1")
	}
	if *degraded && *clean {
		return usagef("--degraded and --clean exclude each other")
	}
	if *dpi != 0 && *dpi != 200 && *dpi != 300 {
		return usagef("--dpi must be 200 or 300")
	}
	if seedInTraining(*seed) {
		fmt.Fprintf(e.stderr, "cảnh báo / warning: seed %d gives documents the built-in classifier was trained on; pick another to measure accuracy\n", *seed)
	}
	so := fixtures.SetOptions{DPI: *dpi, Format: *format}
	switch {
	case *degraded:
		so.Degradation = fixtures.DegradeAll
	case *clean:
		so.Degradation = fixtures.DegradeNone
	}
	start := time.Now()
	if err := fixtures.WriteSet(*out, *n, *seed, so); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Đã sinh %d văn bản vào %s trong %s (seed %d); nhãn: %s\n", *n, *out, time.Since(start).Round(time.Millisecond), *seed, filepath.Join(*out, "labels.tsv"))
	_ = os.Stdout
	return nil
}

// seedInTraining reports whether a set made with seed shares documents
// with the built-in classifier's training set. TrainingSet(s, n) draws
// documents from seeds derived from s, so only the same seed repeats them.
func seedInTraining(seed int64) bool { return seed == trainSeed }
