package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sohoa/fixtures"
)

// newUploadBrowser is a browser for a test of the upload page, which
// needs Tesseract too.
func newUploadBrowser(t *testing.T, timeout time.Duration) *testBrowser {
	t.Helper()
	b := newTestBrowser(t, timeout)
	needTesseract(t)
	return b
}

// signInToUpload signs in as the clerk lan and lands on the upload page.
func signInToUpload(b *testBrowser, base string) {
	b.t.Helper()
	b.signIn(base, "/upload", "lan", uploadPassword, `#upload-page[data-ready="true"] #files`)
}

// TestUploadInBrowser drives the upload page of `sohoa serve` in headless
// Chromium as a clerk would: sign in, choose the unit and "blank separator
// sheets", pick a scanned stack, press Upload, and watch it go up and
// through the pipeline (the real one, with Tesseract) until the results
// table shows one row per true document of the stack, each final and
// linking to its record. Screenshots go to $SOHOA_SCREENSHOTS (else the
// test's temporary folder).
func TestUploadInBrowser(t *testing.T) {
	b := newUploadBrowser(t, 4*time.Minute)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	s := startUploadServer(t, data, "--workers", "2")
	file, truth := stackFile(t, fixtures.StackOptions{Docs: 3, Seed: 7500, DPI: 200, Format: "pdf", MaxPages: 1, Degrade: true})
	stack := filepath.Join(dir, "chong-ho-so.pdf")
	if err := os.WriteFile(stack, file, 0o644); err != nil {
		t.Fatal(err)
	}
	signInToUpload(b, s.base)
	tctx, do, goTo, until, screenshot := b.ctx, b.do, b.goTo, b.until, b.screenshot
	units, err := chromedp.Run(tctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#unit option")).map(o => o.value).filter(v => v)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 1 || units[0] != "21181" {
		t.Errorf("the clerk of 21181 is offered units %v, want only 21181", units)
	}
	do("choose the unit and the split", chromedp.SetValue(chromedp.CSS("#unit"), "21181"), chromedp.SetValue(chromedp.CSS("#split"), "blank"))
	do("pick the stack", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{stack}))
	until("the file is listed", `document.querySelector('#queue tr[data-file="chong-ho-so.pdf"][data-state="queued"]') !== null && !document.querySelector("#start").disabled`, 10*time.Second)
	do("press Upload", chromedp.Click(chromedp.CSS("#start")))
	until("the first document appears", `document.querySelector("#results [data-record-id]") !== null`, 30*time.Second)
	screenshot("upload-progress.png")
	final := fmt.Sprintf(`document.querySelectorAll('#results [data-record-id][data-final="true"]').length === %d && document.querySelector("#upload-page").dataset.state === "done"`, len(truth.Documents))
	until("every document is final", final, 3*time.Minute)
	screenshot("upload-done.png")

	rows, err := chromedp.Run(tctx, chromedp.Evaluate[[]map[string]string](`Array.from(document.querySelectorAll("#results [data-record-id]")).map(r => ({
		id: r.dataset.recordId, status: r.dataset.status, href: r.querySelector("a.record-link").getAttribute("href"),
		source: r.querySelector(".source").textContent}))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(truth.Documents) {
		t.Fatalf("%d result rows, want %d", len(rows), len(truth.Documents))
	}
	var sources []string
	for _, r := range rows {
		if r["status"] != "digitized" && r["status"] != "needs_review" {
			t.Errorf("document %s: status %s", r["id"], r["status"])
		}
		if r["href"] != "/records/"+r["id"] {
			t.Errorf("document %s links to %s", r["id"], r["href"])
		}
		var status string
		roScan(t, data, "SELECT status FROM records WHERE id = "+r["id"], &status)
		if status != r["status"] {
			t.Errorf("document %s: the page says %s, the catalog %s", r["id"], r["status"], status)
		}
		sources = append(sources, r["source"])
	}
	sort.Strings(sources)
	var want []string
	for _, d := range truth.Documents {
		w := fmt.Sprintf("chong-ho-so.pdf pp. %d–%d", d.First, d.Last)
		if d.First == d.Last {
			w = fmt.Sprintf("chong-ho-so.pdf p. %d", d.First)
		}
		want = append(want, w)
	}
	sort.Strings(want)
	if strings.Join(sources, "|") != strings.Join(want, "|") {
		t.Errorf("the results show %v, want the stack's documents %v", sources, want)
	}
	if n := roCount(data, "SELECT count(*) FROM records"); n != len(truth.Documents) {
		t.Errorf("%d records in the catalog, want %d", n, len(truth.Documents))
	}
	goTo("open the first document", chromedp.Click(chromedp.CSS("#results a.record-link")), "body[data-record] #history")
}

// TestUploadManyFilesInBrowser picks several scans at once, one document
// each, on a serve with one OCR worker: they go up one after the other
// while the earlier ones are read, and every file ends with its record
// final in the results table.
func TestUploadManyFilesInBrowser(t *testing.T) {
	b := newUploadBrowser(t, 4*time.Minute)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	s := startUploadServer(t, data, "--workers", "1")
	const n = 8
	scans := newTinyScans(t, 3)
	var paths []string
	for i := range n {
		path := filepath.Join(dir, fmt.Sprintf("scan-%02d.png", i+1))
		writeFile(t, path, scans.png(t, i+1))
		paths = append(paths, path)
	}
	signInToUpload(b, s.base)
	b.do("pick the scans", chromedp.SetUploadFiles(chromedp.CSS("#files"), paths))
	b.until("the files are listed", fmt.Sprintf(`document.querySelectorAll('#queue tr[data-state="queued"]').length === %d`, n), 10*time.Second)
	b.do("press Upload", chromedp.Click(chromedp.CSS("#start")))
	b.until("every file is done", fmt.Sprintf(`document.querySelectorAll('#queue tr[data-state="done"]').length === %d && `+
		`document.querySelectorAll('#results [data-record-id][data-final="true"]').length === %d`, n, n), 3*time.Minute)
	b.screenshot("upload-many.png")
	if got := roCount(data, "SELECT count(*) FROM records WHERE status IN ('digitized', 'needs_review')"); got != n {
		t.Errorf("%d records digitized or needing review, want %d", got, n)
	}
	if got := roCount(data, "SELECT count(*) FROM records"); got != n {
		t.Errorf("%d records, want %d", got, n)
	}
}
