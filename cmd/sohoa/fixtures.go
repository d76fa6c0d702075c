package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sohoa/fixtures"
)

func runFixtures(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "fixtures", "--out THƯ-MỤC [--n N] [--seed S] [--degraded|--clean] [--format F] [--dpi D] [--stack [--duplex]]", `
Sinh các bản quét giả lập có đáp án (cùng seed cho cùng kết quả): đủ các loại văn
bản, bố cục thật (quốc hiệu, số ký hiệu, ngày tháng, tiêu đề, trích yếu, chữ ký,
dấu đỏ), 200/300 dpi, sạch hoặc có nhiễu (nghiêng, nhòe, tương phản thấp, số viết
tay, dấu đè chữ), dạng PNG, JPEG, TIFF nhiều trang (cả CCITT G4) và PDF. Mỗi tệp
có <tệp>.truth.json và <tệp>.body.txt; labels.tsv dùng cho "sohoa eval".
Generate synthetic scans with ground truth, deterministic from the seed; each
file has <file>.truth.json and <file>.body.txt, and labels.tsv feeds "sohoa eval".

--stack: một chồng hồ sơ quét thành một tệp (stack.pdf hoặc stack.tiff), --n văn
bản cách nhau bằng tờ trắng, như cán bộ xã đưa cả xấp qua máy quét; đáp án ở
stack.truth.json (văn bản nào ở trang nào). Dùng để thử "sohoa ingest --split
blank" hoặc trang /upload.
--stack: one scanned stack of --n documents with blank separator sheets, as a
clerk feeds a pile through the scanner, in stack.pdf (or .tiff), with
stack.truth.json saying where each document lies; for trying --split blank
and the upload page.

Ví dụ / examples:
  sohoa fixtures --out scans --n 20 --seed 7
  sohoa fixtures --out chong --stack --n 10      # about 30 pages with separators`)
	out := fs.String("out", "", "thư mục ghi ra / output folder (required)")
	n := fs.Int("n", 20, "số văn bản / number of documents")
	seed := fs.Int64("seed", 1, "hạt giống / seed (use one the classifier was not trained on)")
	degraded := fs.Bool("degraded", false, "mọi văn bản đều có nhiễu / degrade every document")
	clean := fs.Bool("clean", false, "không văn bản nào có nhiễu / no degradation")
	format := fs.String("format", "", "chỉ một dạng: "+strings.Join(fixtures.Formats, ", ")+" (mặc định trộn / default: mixed)")
	dpi := fs.Int("dpi", 0, "200 hoặc 300 (mặc định trộn / default: mixed)")
	stack := fs.Bool("stack", false, "một chồng --n văn bản có tờ trắng ngăn cách, một tệp / one stack of --n documents with separator sheets, in one file")
	duplex := fs.Bool("duplex", false, "với --stack: quét hai mặt / with --stack: scanned on both sides")
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
	if *stack {
		return writeStackFixture(e, *out, *n, *seed, *dpi, *format, *degraded, *duplex)
	}
	start := time.Now()
	if err := fixtures.WriteSet(*out, *n, *seed, so); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Đã sinh %d văn bản vào %s trong %s (seed %d); nhãn: %s\n", *n, *out, time.Since(start).Round(time.Millisecond), *seed, filepath.Join(*out, "labels.tsv"))
	return nil
}

// writeStackFixture is fixtures --stack.
func writeStackFixture(e *env, out string, n int, seed int64, dpi int, format string, degraded, duplex bool) error {
	if format == "" {
		format = "pdf"
	}
	if format != "pdf" && format != "tiff" {
		return usagef("--stack writes pdf or tiff, not %q", format)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	name := filepath.Join(out, "stack."+format)
	var buf bytes.Buffer
	truth, err := fixtures.WriteStack(&buf, fixtures.StackOptions{Docs: n, Seed: seed, DPI: dpi, Format: format, Degrade: degraded, Duplex: duplex, MaxPages: 3})
	if err != nil {
		return err
	}
	tj, err := json.MarshalIndent(truth, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "stack.truth.json"), append(tj, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "Đã sinh chồng %d văn bản, %d trang (%d tờ ngăn cách) vào %s; đáp án / truth: %s\n",
		len(truth.Documents), truth.Pages, len(truth.Separators), name, filepath.Join(out, "stack.truth.json"))
	return nil
}

// seedInTraining reports whether a set made with seed shares documents
// with the built-in classifier's training set. TrainingSet(s, n) draws
// documents from seeds derived from s, so only the same seed repeats them.
func seedInTraining(seed int64) bool { return seed == trainSeed }
