package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sohoa/fixtures"
)

// BenchmarkOCRThroughput measures pages per minute of `sohoa ingest
// --workers 2`, start to finish as a clerk runs it (storing originals,
// OCR, extraction, archival PDF, catalog), beside two `tesseract` CLI
// processes (-l vie, OMP_THREAD_LIMIT=1) working through the same page
// files in parallel, measured in the same run. It reports both rates and
// their ratio (sohoa ÷ tesseract; ≥ 0.95 is the aim), for JPEG pages (what
// scanners put in PDFs) and PNG pages.
func BenchmarkOCRThroughput(b *testing.B) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		b.Skip("tesseract CLI missing: run make setup")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "sohoa")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build sohoa: %v\n%s", err, out)
	}
	const pages = 12
	// A clerk's first run of a new build trains the built-in classifier
	// (seconds, once; then cached). Warm that up so the measure is of
	// steady work, the way every batch after the first runs.
	warm := benchPages(b, filepath.Join(dir, "warm"), "png", 1)
	timeIngest(b, bin, filepath.Join(dir, "data-warm"), warm, 2)
	for _, format := range []string{"jpeg", "png"} {
		b.Run(format, func(b *testing.B) {
			files := benchPages(b, filepath.Join(dir, format), format, pages)
			for i := 0; i < b.N; i++ {
				ref := timeTesseract(b, files, 2)
				got := timeIngest(b, bin, filepath.Join(dir, fmt.Sprintf("data-%s-%d", format, i)), files, 2)
				refRate := float64(len(files)) / ref.Minutes()
				rate := float64(len(files)) / got.Minutes()
				b.ReportMetric(rate, "sohoa-pages/min")
				b.ReportMetric(refRate, "tesseract-pages/min")
				b.ReportMetric(rate/refRate, "ratio")
				fmt.Printf("OCR throughput (%s, %d pages, 2 workers): sohoa ingest %.1f pages/min, 2× tesseract CLI %.1f pages/min, ratio %.3f\n",
					format, len(files), rate, refRate, rate/refRate)
			}
		})
	}
}

// benchPages writes single-page 300-dpi scans, half of them degraded, from
// seeds no test or training set uses.
func benchPages(b *testing.B, dir, format string, n int) []string {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	var files []string
	for i := 0; i < n; i++ {
		d := fixtures.NewDoc(int64(9_100_000 + i))
		d.Pages = d.Pages[:1]
		var buf bytes.Buffer
		if err := fixtures.WriteDoc(&buf, d, fixtures.Options{DPI: 300, Degrade: i%2 == 1, Format: format}); err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("page-%02d%s", i, fixtures.Ext(format)))
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		files = append(files, path)
	}
	return files
}

// timeTesseract runs `tesseract FILE OUT -l vie` over files with the given
// number of processes in parallel.
func timeTesseract(b *testing.B, files []string, procs int) time.Duration {
	b.Helper()
	out := b.TempDir()
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	for range procs {
		wg.Go(func() {
			for i := range work {
				cmd := exec.Command("tesseract", files[i], filepath.Join(out, fmt.Sprint(i)), "-l", "vie")
				cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
				if msg, err := cmd.CombinedOutput(); err != nil {
					mu.Lock()
					firstErr = fmt.Errorf("tesseract %s: %v: %s", files[i], err, msg)
					mu.Unlock()
				}
			}
		})
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	return time.Since(start)
}

// timeIngest runs the sohoa command on files into a fresh data folder.
func timeIngest(b *testing.B, bin, data string, files []string, workers int) time.Duration {
	b.Helper()
	args := append([]string{"ingest", "--data", data, "--workers", fmt.Sprint(workers), "--json"}, files...)
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("sohoa ingest: %v\n%s\n%s", err, out, stderr.String())
	}
	if n := bytes.Count(out, []byte("\n")); n != len(files) {
		b.Fatalf("sohoa ingest printed %d records for %d files:\n%s", n, len(files), out)
	}
	return d
}
