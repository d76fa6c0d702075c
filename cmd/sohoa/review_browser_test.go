package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sohoa/storage/catalog"
)

// TestReviewInBrowser drives the review page of `sohoa serve` in headless
// Chromium as a clerk would, over a record read by the real pipeline:
// sign in, find the record that needs review in the queue, open it, see the words of its
// number marked on the page image (and marked strongly while the number
// field has the focus), type the right number, confirm, and see the
// record digitized — on the page and in the catalog. Screenshots go to
// $SOHOA_SCREENSHOTS (else the test's temporary folder):
// review-queue.png, review.png, review-confirmed.png.
func TestReviewInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs OCR and a browser: not in -short")
	}
	site := newReviewSite(t)
	base := startReviewServe(t, site.data, "--workers", "0")
	const fixed = "86/QĐ-UBND"

	b := newTestBrowser(t, 90*time.Second)
	do, goTo, eval, screenshot := b.do, b.goTo, b.eval, b.screenshot
	until := func(what, js string) {
		t.Helper()
		b.until(what, js, 0)
	}

	// Signed out, the queue sends the clerk to sign in and back; from the
	// queue to the record.
	goTo("open the queue", chromedp.Navigate(base+"/review"), "#name")
	do("type the name", chromedp.SendKeys(chromedp.CSS("#name"), "lan"))
	do("type the password", chromedp.SendKeys(chromedp.CSS("#password"), reviewPassword))
	row := fmt.Sprintf(`#queue tr[data-record="%d"][data-status="needs_review"]`, site.id)
	goTo("sign in", chromedp.Submit(chromedp.CSS("#password")), row)
	screenshot("review-queue.png")
	goTo("open the record", chromedp.Click(chromedp.CSS(row+" a.review-link")), "#review-form")
	if got := eval(`document.querySelector("[data-status]").dataset.status`); got != string(catalog.StatusNeedsReview) {
		t.Fatalf("the record shows status %q, want needs_review", got)
	}
	until("page 1 drawn", `(() => { const i = document.querySelector("#page-1 img"); return i.complete && i.naturalWidth > 0 })()`)
	if n := eval(`String(document.querySelectorAll('.box[data-field="number"]').length)`); n == "0" {
		t.Fatalf("no word of the number is marked on the page image")
	}
	// The mark lies on the image: inside it, not of zero size.
	until("the number's mark lies on page 1", `(() => {
		const b = document.querySelector('#page-1 .box[data-field="number"]'), i = document.querySelector("#page-1 img");
		if (!b) return false;
		const r = b.getBoundingClientRect(), p = i.getBoundingClientRect();
		return r.width > 2 && r.height > 2 && r.left >= p.left && r.right <= p.right && r.top >= p.top && r.bottom <= p.bottom;
	})()`)
	// A click puts the pointer on the field and the focus in it, as a
	// clerk does (a focus set by script alone fires no event in a
	// headless window that has no focus itself).
	do("click into the number", chromedp.Click(chromedp.CSS("#f-number")))
	until("the number's words marked strongly", `document.querySelectorAll('.box.on[data-field="number"]').length > 0 &&
		document.querySelectorAll('.box.on:not([data-field="number"])').length === 0`)
	screenshot("review.png")

	do("clear the number", chromedp.Clear(chromedp.CSS("#f-number")))
	do("type the right number", chromedp.SendKeys(chromedp.CSS("#f-number"), fixed))
	goTo("confirm", chromedp.Click(chromedp.CSS("#confirm")), "#notice, #problem")
	if p := eval(`(document.querySelector("#problem") || {}).textContent || ""`); p != "" {
		t.Fatalf("confirming was refused: %s", p)
	}
	if got := eval(`document.querySelector("[data-status]").dataset.status`); got != string(catalog.StatusDigitized) {
		t.Errorf("after confirming the page shows status %q, want digitized (%s)", got, eval(`document.querySelector("#notice").textContent`))
	}
	if got := eval(`document.querySelector("#f-number").value`); got != fixed {
		t.Errorf("after confirming the number field shows %q, want %q", got, fixed)
	}
	screenshot("review-confirmed.png")

	db := openReviewDB(t, site.data)
	rec, err := db.Record(context.Background(), site.id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status != catalog.StatusDigitized || rec.Number.Value != fixed {
		t.Errorf("in the catalog: %s, number %q; want digitized, %q", rec.Status, rec.Number.Value, fixed)
	}
	evs, err := db.Events(context.Background(), site.id)
	if err != nil {
		t.Fatal(err)
	}
	var corrected, confirmed bool
	for _, e := range evs {
		corrected = corrected || (e.Action == "correct" && e.Actor == "lan" && strings.Contains(e.Details, fixed))
		confirmed = confirmed || (e.Action == "confirm" && e.Actor == "lan")
	}
	if !corrected || !confirmed {
		t.Errorf("the history lacks lan's correction (%v) or confirmation (%v)", corrected, confirmed)
	}
}
