package main

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"sohoa/storage/bagit"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

// TestEvidenceInBrowser drives `sohoa serve` in headless Chromium as an
// auditor would, over scans ingested through the real pipeline: words of a
// record's subject typed without accents on the search page find it; its
// page shows the sha256, the page image and the OCR text; the original
// downloads with the bytes the record's sha256 names; and the view and the
// download are in the record's history, on the page and in the catalog.
// Screenshots go to $SOHOA_SCREENSHOTS (else the test's temporary folder).
func TestEvidenceInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OCR and a browser: not in -short")
	}
	needTesseract(t)

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	rec := ingestForEvidence(t, dir, data)
	words := strings.Fields(rec.Subject)
	if len(words) < 4 {
		t.Fatalf("record %d has no usable subject: %q", rec.ID, rec.Subject)
	}
	typed := foldASCII(strings.Join(words[len(words)-3:], " "))
	if typed == strings.ToLower(strings.Join(words[len(words)-3:], " ")) {
		t.Fatalf("the words %q have no accents to leave out: pick another seed", typed)
	}

	srv := startServe(t, data)
	base, shutdown := srv.base, srv.stop

	b := newTestBrowser(t, 60*time.Second)
	tctx, do, goTo, text, screenshot, cancel := b.ctx, b.do, b.goTo, b.text, b.screenshot, b.close
	until := func(what, js string) {
		t.Helper()
		b.until(what, js, 0)
	}

	// From the dashboard to the search page, and the words typed bare.
	goTo("open the dashboard", chromedp.Navigate(base+"/"), "#to-search")
	goTo("go to the search", chromedp.Click(chromedp.CSS("#to-search")), "#search-form #q")
	do("type the words", chromedp.SendKeys(chromedp.CSS("#q"), typed))
	hit := fmt.Sprintf(`article.hit[data-record="%d"]`, rec.ID)
	goTo("search", chromedp.Submit(chromedp.CSS("#q")), hit)
	if got := text(hit + " .snippet mark"); got == "" {
		t.Errorf("the hit for %q highlights nothing", typed)
	}
	exportCmd := text("#export-hint code")
	screenshot("evidence-search.png")

	// The export button: the bag of the search downloads by a click, and
	// validates.
	bagDir := t.TempDir()
	if _, err := chromedp.CallBrowser(tctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: bagDir, EventsEnabled: new(true),
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	bagBegun := chromedp.BrowserEvents(tctx, browser.DownloadWillBegin)
	bagProgress := chromedp.BrowserEvents(tctx, browser.DownloadProgress)
	do("export the bag", chromedp.Click(chromedp.CSS("#export")))
	var bagGUID string
	for ev, err := range bagBegun {
		if err != nil {
			t.Fatalf("wait for the bag's download: %v", err)
		}
		if !strings.HasPrefix(ev.SuggestedFilename, "sohoa-bag-") || !strings.HasSuffix(ev.SuggestedFilename, ".zip") {
			t.Errorf("the browser saves the bag as %q, want sohoa-bag-YYYYMMDD-HHMM.zip", ev.SuggestedFilename)
		}
		bagGUID = ev.GUID
		break
	}
	for ev, err := range bagProgress {
		if err != nil {
			t.Fatalf("wait for the bag's download: %v", err)
		}
		if ev.GUID == bagGUID && ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("the browser canceled the download of the bag")
		}
		if ev.GUID == bagGUID && ev.State == browser.DownloadProgressStateCompleted {
			break
		}
	}
	if err := bagit.ValidateZip(context.Background(), filepath.Join(bagDir, bagGUID)); err != nil {
		t.Errorf("the bag the #export button downloaded does not validate: %v", err)
	}
	if zr, err := zip.OpenReader(filepath.Join(bagDir, bagGUID)); err != nil {
		t.Errorf("open the bag: %v", err)
	} else {
		found := false
		for _, f := range zr.File {
			found = found || strings.Contains(f.Name, fmt.Sprintf("/data/records/%d/original.", rec.ID))
		}
		zr.Close()
		if !found {
			t.Errorf("the bag the #export button downloaded lacks the original of record %d", rec.ID)
		}
	}

	// The record, opened from the hit.
	goTo("open the record", chromedp.Click(chromedp.CSS(hit+" a.hit-link")), fmt.Sprintf(`body[data-record="%d"] #history`, rec.ID))
	if got := text("#sha256"); got != rec.SHA256 {
		t.Errorf("the page shows sha256 %q, the record holds %q", got, rec.SHA256)
	}
	if got := text("#source"); got != rec.Source {
		t.Errorf("the page shows the file %q, the record's is %q", got, rec.Source)
	}
	if got := text("#page-1 .ocr-text"); !strings.Contains(foldASCII(got), foldASCII(words[len(words)-1])) {
		t.Errorf("page 1's text %q lacks the subject's last word %q", got, words[len(words)-1])
	}
	until("page 1's image drawn", `(() => { const i = document.querySelector("#page-1 img"); return !!i && i.complete && i.naturalWidth > 100; })()`)
	screenshot("evidence-record.png")

	// The original, downloaded by clicking: its bytes hash to the record's sha256.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(tctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: new(true),
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	begun := chromedp.BrowserEvents(tctx, browser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(tctx, browser.DownloadProgress)
	do("download the original", chromedp.Click(chromedp.CSS("#download-original")))
	var guid string
	for ev, err := range begun {
		if err != nil {
			t.Fatalf("wait for the download: %v", err)
		}
		if ev.SuggestedFilename != filepath.Base(rec.Source) {
			t.Errorf("the browser saves the original as %q, want the clerk's name %q", ev.SuggestedFilename, filepath.Base(rec.Source))
		}
		guid = ev.GUID
		break
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("wait for the download: %v", err)
		}
		if ev.GUID != guid {
			continue
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatalf("the browser canceled the download of the original")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			break
		}
	}
	got, err := os.ReadFile(filepath.Join(downloads, guid))
	if err != nil {
		t.Fatalf("read the downloaded original: %v", err)
	}
	if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != rec.SHA256 {
		t.Fatalf("the downloaded original (%d bytes) hashes to %x, the record holds %s", len(got), sum, rec.SHA256)
	}

	// The view and the download, in the history on the page.
	goTo("reload the record", chromedp.Reload(), fmt.Sprintf(`body[data-record="%d"] #history`, rec.ID))
	if got := text(`#history tr[data-action="download"] .actor`); got != "web:127.0.0.1" {
		t.Errorf("the download is in the history as by %q, want web:127.0.0.1", got)
	}
	if got := text(`#history tr[data-action="download"] .details`); !strings.Contains(got, rec.SHA256) || !strings.Contains(got, `"original"`) {
		t.Errorf("the download's details %q lack the original's sha256", got)
	}
	if got := text(`#history tr[data-action="view"] .actor`); got != "web:127.0.0.1" {
		t.Errorf("the view is in the history as by %q, want web:127.0.0.1", got)
	}
	screenshot("evidence-history.png")

	// The archival PDF opens in the browser: inline, as a PDF.
	resp, err := http.Get(fmt.Sprintf("%s/records/%d/archive.pdf", base, rec.ID))
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 5)
	_, _ = resp.Body.Read(head)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") || string(head) != "%PDF-" {
		t.Errorf("archive.pdf: %d %s %q, starts %q; want an inline PDF", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), head)
	}

	cancel()
	shutdown()
	// The export command the search page gave writes a valid bag of the
	// record found.
	args := splitShell(t, exportCmd)
	bag := filepath.Join(dir, "bag.zip")
	if len(args) < 4 || args[0] != "sohoa" || args[1] != "export" || args[len(args)-1] != "ho-so.zip" {
		t.Fatalf("the search page's export command %q is not `sohoa export … --out ho-so.zip`", exportCmd)
	}
	args = append(append([]string{}, args[1:len(args)-1]...), bag, "--data", data)
	if out, stderr, code := sohoa(t, args...); code != 0 {
		t.Fatalf("the search page's export command %q: exit %d\n%s%s", exportCmd, code, out, stderr)
	}
	if err := bagit.ValidateZip(context.Background(), bag); err != nil {
		t.Errorf("the bag of %q does not validate: %v", exportCmd, err)
	}

	// And in the catalog, in order: the view, the download by click, the
	// view on reload, the archive's download.
	db, err := sqlite.Open(context.Background(), filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	evs, err := db.Events(context.Background(), rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, e := range evs {
		if e.Action != "view" && e.Action != "download" {
			continue
		}
		var d struct{ What string }
		if err := json.Unmarshal([]byte(e.Details), &d); err != nil {
			t.Errorf("event %d: details %q: %v", e.ID, e.Details, err)
		}
		seen = append(seen, e.Action+":"+d.What)
	}
	if want := "view:record download:original view:record download:archive"; strings.Join(seen, " ") != want {
		t.Errorf("the catalog logged %v, want %s", seen, want)
	}
	exports, err := db.AuditEvents(context.Background(), catalog.AuditFilter{Actor: "web:127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	exported := 0
	for _, e := range exports {
		if e.Action == "export" && strings.Contains(e.Details, `"via":"dashboard"`) {
			exported++
		}
	}
	if exported != 1 {
		t.Errorf("the catalog logged %d exports by the button's click as web:127.0.0.1, want 1", exported)
	}
}

// evidenceRecord is what the test knows of the record it opens, from
// `sohoa list --json`.
type evidenceRecord struct {
	ID      int64  `json:"id"`
	SHA256  string `json:"sha256"`
	Source  string `json:"source"`
	Subject string `json:"subject"`
	Archive string `json:"archive"`
}

// ingestForEvidence makes two generated scans, ingests them through the
// real pipeline (OCR included), and returns the first record with a
// subject and an archive.
func ingestForEvidence(t *testing.T, dir, data string) evidenceRecord {
	t.Helper()
	scans := filepath.Join(dir, "scans")
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "2", "--seed", "31337", "--clean", "--format", "png"); code != 0 {
		t.Fatalf("fixtures: exit %d: %s", code, stderr)
	}
	all, _ := filepath.Glob(filepath.Join(scans, "scan-*"))
	var files []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".json") && !strings.HasSuffix(f, ".txt") {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	if len(files) != 2 {
		t.Fatalf("fixtures wrote %d scans, want 2", len(files))
	}
	args := append([]string{"ingest", "--data", data, "--unit", "21181", "--clerk", "Nguyễn Thị Lan", "--workers", "2"}, files...)
	if out, stderr, code := sohoa(t, args...); code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code := sohoa(t, "list", "--data", data, "--json")
	if code != 0 {
		t.Fatalf("list: exit %d: %s", code, stderr)
	}
	var list []evidenceRecord
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("list --json: %v", err)
	}
	for _, r := range list {
		if len(strings.Fields(r.Subject)) >= 4 && r.Archive != "" {
			return r
		}
	}
	t.Fatalf("no ingested record has a subject and an archive: %+v", list)
	return evidenceRecord{}
}

// splitShell splits a command line as a POSIX shell would, for the
// quoting shellQuote on the search page writes: words, and 'single
// quotes' with '\” for a quote inside.
func splitShell(t *testing.T, line string) []string {
	t.Helper()
	var (
		args  []string
		cur   strings.Builder
		in    bool // inside single quotes
		isArg bool
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case in && c == '\'':
			in = false
		case in:
			cur.WriteByte(c)
		case c == '\'':
			in, isArg = true, true
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			isArg = true
		case c == ' ':
			if isArg {
				args = append(args, cur.String())
				cur.Reset()
				isArg = false
			}
		default:
			cur.WriteByte(c)
			isArg = true
		}
	}
	if in {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if isArg {
		args = append(args, cur.String())
	}
	return args
}
