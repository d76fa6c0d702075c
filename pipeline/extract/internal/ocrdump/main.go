// Command ocrdump OCRs the scans "sohoa fixtures" writes and saves each
// document's pages (ocr.Page with words and boxes) next to its truth, as one
// gzipped JSON file. The extract tests read such files to measure extraction
// on real Tesseract output without running Tesseract.
//
//	go run ./pipeline/extract/internal/ocrdump -out dev.json.gz DIR
package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"sohoa/ocr"
	"sohoa/ocr/tesseract"
	"sohoa/pipeline/pages"
)

// Truth is the part of a fixture's .truth.json the tests score against.
type Truth struct {
	File     string `json:"file"`
	DocType  string `json:"doc_type"`
	Field    string `json:"field"`
	Number   string `json:"number"`
	IssuedOn string `json:"issued_on"`
	Issuer   string `json:"issuer"`
	Subject  string `json:"subject"`
	Title    string `json:"title"`
}

// Doc is one OCR'd fixture.
type Doc struct {
	Truth Truth      `json:"truth"`
	Pages []ocr.Page `json:"pages"`
}

func main() {
	if err := tesseract.ReexecWithThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := flag.String("out", "", "gzipped JSON file to write")
	workers := flag.Int("workers", 2, "OCR workers")
	maxPages := flag.Int("pages", 0, "keep at most this many pages per document (0: all)")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: ocrdump -out FILE.json.gz FIXTURES-DIR...")
		os.Exit(2)
	}
	var truths []string
	for _, dir := range flag.Args() {
		m, _ := filepath.Glob(filepath.Join(dir, "*.truth.json"))
		truths = append(truths, m...)
	}
	sort.Strings(truths)
	docs := make([]Doc, len(truths))
	errs := make([]error, len(truths))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eng, err := tesseract.New(tesseract.Options{})
			if err != nil {
				for i := range jobs {
					errs[i] = err
				}
				return
			}
			defer eng.Close()
			for i := range jobs {
				docs[i], errs[i] = ocrDoc(eng, truths[i], *maxPages)
				fmt.Fprintf(os.Stderr, "%s: %d pages\n", filepath.Base(truths[i]), len(docs[i].Pages))
			}
		}()
	}
	for i := range truths {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err := json.NewEncoder(zw).Encode(docs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := zw.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func ocrDoc(eng *tesseract.Engine, truthPath string, maxPages int) (Doc, error) {
	var d Doc
	b, err := os.ReadFile(truthPath)
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(b, &d.Truth); err != nil {
		return d, fmt.Errorf("read %s: %w", truthPath, err)
	}
	scan := strings.TrimSuffix(truthPath, ".truth.json")
	ctx := context.Background()
	err = pages.Split(ctx, scan, pages.Options{}, func(p pages.Page) error {
		if maxPages > 0 && len(d.Pages) >= maxPages {
			return nil
		}
		if p.TextLayer != nil {
			d.Pages = append(d.Pages, *p.TextLayer)
			return nil
		}
		pg, err := eng.Recognize(ctx, p.Image)
		if err != nil {
			return fmt.Errorf("ocr page %d of %s: %w", p.N, scan, err)
		}
		d.Pages = append(d.Pages, pg)
		return nil
	})
	return d, err
}
