package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"sohoa/fixtures"
)

// BenchmarkOCRThroughput measures pages per minute of `sohoa ingest
// --workers 2`, start to finish as a clerk runs it (storing originals,
// OCR, extraction, archival PDF, catalog), beside two `tesseract` CLI
// processes (-l vie, OMP_THREAD_LIMIT=1) working through the same page
// files in parallel, measured in the same run. It reports both rates and
// their ratio (sohoa ÷ tesseract; ≥ 0.95 is the aim), for JPEG pages (what
// scanners put in PDFs) and PNG pages, each side's fastest of two runs
// taken in turns (see alternate). The "pdf" case puts the same JPEG
// pages in one scanned-style PDF and runs `sohoa ingest` on it beside
// `ocrmypdf -l vie --jobs 2` on the same file (ratio sohoa ÷ ocrmypdf; above
// 1 means sohoa is ahead).
func BenchmarkOCRThroughput(b *testing.B) {
	if _, err := exec.LookPath("tesseract"); err != nil {
		b.Skip("tesseract CLI missing: run make setup")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "sohoa")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build sohoa: %v\n%s", err, out)
	}
	// A clerk's batch is dozens of pages; fewer would measure mostly the
	// start and the drain of one run.
	const pages = 24
	// A clerk's first run of a new build trains the built-in classifier
	// (seconds, once; then cached). Warm that up so the measure is of
	// steady work, the way every batch after the first runs.
	warm := benchPages(b, filepath.Join(dir, "warm"), "png", 1)
	timeIngest(b, bin, filepath.Join(dir, "data-warm"), warm, 2)
	for _, format := range []string{"jpeg", "png"} {
		b.Run(format, func(b *testing.B) {
			files := benchPages(b, filepath.Join(dir, format), format, pages)
			for i := 0; i < b.N; i++ {
				var ref, got time.Duration
				alternate(func() { ref = fastest(ref, timeTesseract(b, files, 2)) },
					func(r int) {
						got = fastest(got, timeIngest(b, bin, filepath.Join(dir, fmt.Sprintf("data-%s-%d-%d", format, i, r)), files, 2))
					})
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
	b.Run("pdf", func(b *testing.B) {
		if _, err := exec.LookPath("ocrmypdf"); err != nil {
			b.Skip("ocrmypdf missing: run make setup")
		}
		pdf := joinPDF(b, benchPages(b, filepath.Join(dir, "pdf"), "jpeg", pages), filepath.Join(dir, "pages.pdf"))
		for i := 0; i < b.N; i++ {
			var ref, got time.Duration
			alternate(func() { ref = fastest(ref, timeOCRmyPDF(b, pdf, 2)) },
				func(r int) {
					got = fastest(got, timeIngest(b, bin, filepath.Join(dir, fmt.Sprintf("data-pdf-%d-%d", i, r)), []string{pdf}, 2))
				})
			refRate := float64(pages) / ref.Minutes()
			rate := float64(pages) / got.Minutes()
			b.ReportMetric(rate, "sohoa-pages/min")
			b.ReportMetric(refRate, "ocrmypdf-pages/min")
			b.ReportMetric(rate/refRate, "ratio")
			fmt.Printf("OCR throughput (one %d-page PDF, 2 workers): sohoa ingest %.1f pages/min, ocrmypdf --jobs 2 %.1f pages/min, ratio %.3f\n",
				pages, rate, refRate, rate/refRate)
		}
	})
}

// rounds is how many times each side of a throughput ratio runs. The
// reference and sohoa take turns (reference first, then sohoa first), and
// each side's fastest run counts, so a burst of other work on the machine
// slows one run rather than the ratio.
const rounds = 2

// alternate runs ref and own rounds times each, taking turns.
func alternate(ref func(), own func(round int)) {
	for r := range rounds {
		if r%2 == 0 {
			ref()
			own(r)
		} else {
			own(r)
			ref()
		}
	}
}

// fastest is the shorter of two durations, a zero one not counting.
func fastest(a, b time.Duration) time.Duration {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// BenchmarkIngestMemory reports the peak resident memory of `sohoa ingest
// --workers 2` over a batch of 30 pages and one of 300 pages (five-page
// scanned PDFs at 300 dpi, what a scanner's feeder produces). The bound is
// 500 MB, and the larger batch must not need much more than the smaller:
// the pipeline holds a bounded number of pages, not the batch.
func BenchmarkIngestMemory(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "sohoa")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build sohoa: %v\n%s", err, out)
	}
	const perDoc = 5
	for _, total := range []int{30, 300} {
		b.Run(fmt.Sprintf("pages=%d", total), func(b *testing.B) {
			files := benchStacks(b, filepath.Join(dir, fmt.Sprint(total)), total/perDoc, perDoc)
			for i := 0; i < b.N; i++ {
				data := filepath.Join(dir, fmt.Sprintf("data-%d-%d", total, i))
				took, rss := measureIngest(b, bin, data, files, 2)
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
				b.ReportMetric(float64(total)/took.Minutes(), "sohoa-pages/min")
				fmt.Printf("Ingest memory (%d pages in %d PDFs, 2 workers): peak RSS %.0f MB, %.1f pages/min\n",
					total, len(files), float64(rss)/(1<<20), float64(total)/took.Minutes())
			}
		})
	}
}

// benchStacks writes n scanned-style PDFs of perDoc 300-dpi pages each,
// every other one degraded, from seeds no test or training set uses.
func benchStacks(b *testing.B, dir string, n, perDoc int) []string {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	var files []string
	for i := 0; i < n; i++ {
		d := fixtures.NewDoc(int64(9_200_000 + i))
		for len(d.Pages) < perDoc {
			d.Pages = append(d.Pages, d.Pages[len(d.Pages)-1])
		}
		d.Pages = d.Pages[:perDoc]
		path := filepath.Join(dir, fmt.Sprintf("stack-%03d.pdf", i))
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		err = fixtures.WriteDoc(f, d, fixtures.Options{DPI: 300, Degrade: i%2 == 1, Format: "pdf"})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, path)
	}
	return files
}

// joinPDF puts JPEG page files into one PDF the way a scanner does: each a
// full A4 page, embedded as is.
func joinPDF(b *testing.B, jpegs []string, out string) string {
	b.Helper()
	readers := make([]io.Reader, len(jpegs))
	for i, p := range jpegs {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		readers[i] = f
	}
	imp := pdfcpu.DefaultImportConfig()
	imp.PageDim = types.PaperSize["A4"]
	imp.PageSize = "A4"
	imp.UserDim = true
	imp.Pos = types.Center
	imp.DPI = 300
	imp.Scale = 1
	imp.ScaleAbs = true
	var buf bytes.Buffer
	if err := api.ImportImages(nil, &buf, readers, imp, model.NewDefaultConfiguration()); err != nil {
		b.Fatalf("join pages into a PDF: %v", err)
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	return out
}

// timeOCRmyPDF runs `ocrmypdf -l vie --jobs N` on pdf, each Tesseract
// single-threaded as sohoa's are.
func timeOCRmyPDF(b *testing.B, pdf string, jobs int) time.Duration {
	b.Helper()
	cmd := exec.Command("ocrmypdf", "-q", "-l", "vie", "--jobs", fmt.Sprint(jobs), pdf, filepath.Join(b.TempDir(), "out.pdf"))
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ocrmypdf %s: %v\n%s", pdf, err, out)
	}
	return time.Since(start)
}

// measureIngest runs the sohoa command on files into a fresh data folder
// and returns how long it took and its peak resident memory in bytes.
func measureIngest(b *testing.B, bin, data string, files []string, workers int) (time.Duration, int64) {
	b.Helper()
	args := append([]string{"ingest", "--data", data, "--workers", fmt.Sprint(workers), "--json"}, files...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
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
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		b.Fatal("no resource usage for the sohoa process on this system")
	}
	return d, ru.Maxrss * 1024 // Linux reports kilobytes
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
