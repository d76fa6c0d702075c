package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sohoa/storage/catalog"
	unitprogress "sohoa/storage/catalog/progress"
	"sohoa/storage/catalog/sqlite"
)

// TestDashboardInBrowser drives `sohoa serve` in headless Chromium as IT
// staff would: the overview, the year 2024 drilled down province →
// district → commune, a search without accents, and the commune today,
// each figure checked against `sohoa progress --json`. It saves
// screenshots of the overview and of the commune under
// $SOHOA_SCREENSHOTS (else the test's temporary folder).
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser: not in -short")
	}

	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	seedDashboard(t, dir, data)
	year := time.Now().UTC().Year()

	srv := startServe(t, data)
	addr, base, out, shutdown := srv.addr, srv.base, srv.out, srv.stop

	b := newTestBrowser(t, 30*time.Second)
	do, goTo, text, screenshot, cancel := b.do, b.goTo, b.text, b.screenshot, b.close

	// The overview: each level against its target, as the CLI counts it.
	goTo("open the overview", chromedp.Navigate(base+"/"), `#hours-chart[data-ready="true"]`)
	communes := cliProgress(t, data, "--level", "commune")
	var dig, tot int
	for _, r := range communes.Rows {
		if r.Status != unitprogress.StatusNoInventory {
			dig, tot = dig+r.Digitized, tot+r.Total
		}
	}
	if got, want := text("#level-commune .percent"), pct(100*float64(dig)/float64(tot)); got != want {
		t.Errorf("overview: communes at %s, the CLI's rows add up to %s (%d/%d)", got, want, dig, tot)
	}
	if got := text("#pages-24h"); got != "7" {
		t.Errorf("pages in the last 24 hours = %s, want 7", got)
	}
	screenshot("dashboard-overview.png")

	// 2024, drilled down by clicking: Quảng Ngãi, Sơn Tịnh, Tịnh Phong.
	do("choose 2024", chromedp.SetValue(chromedp.CSS("#year"), "2024"))
	goTo("show 2024", chromedp.Submit(chromedp.CSS("#year")), `body[data-year="2024"] #units-table tr[data-unit="51"]`)
	for _, code := range []string{"51", "527", "21181"} {
		goTo("open "+code, chromedp.Click(chromedp.CSS(`#units-table tr[data-unit="`+code+`"] a`)), `#unit-card[data-unit="`+code+`"]`)
	}
	if got := text("#trail"); !strings.Contains(got, "Tỉnh Quảng Ngãi") || !strings.Contains(got, "Huyện Sơn Tịnh") || !strings.Contains(got, "Xã Tịnh Phong") {
		t.Errorf("trail = %q, want the province, the district and the commune", got)
	}
	old := cliProgress(t, data, "--year", "2024", "--unit", "21181").Rows[0]
	checkUnit(t, text, old)

	// Today's commune, found by typing its name without accents.
	// Back to this year, and a name typed without accents.
	do("type a name", chromedp.SetValue(chromedp.CSS("#year"), fmt.Sprint(year)), chromedp.SendKeys(chromedp.CSS("#q"), "tho phong"))
	goTo("search", chromedp.Submit(chromedp.CSS("#q")), fmt.Sprintf(`body[data-year="%d"] #matches`, year))
	goTo("open the match", chromedp.Click(chromedp.CSS(`#matches a[href*="unit=21181"]`)),
		`body[data-unit="21181"] #history-chart[data-ready="true"]`)
	now := cliProgress(t, data, "--unit", "21181").Rows[0]
	if now.Name != "Xã Thọ Phong" || now.Year != year {
		t.Fatalf("the CLI's 21181 = %+v, want Xã Thọ Phong this year", now)
	}
	checkUnit(t, text, now)
	screenshot("dashboard-commune.png")

	cancel()
	shutdown()
	if !strings.Contains(out.String(), addr) {
		t.Errorf("serve did not say where it listens:\n%s", out.String())
	}
}

// checkUnit compares the unit card on the page with the CLI's row.
func checkUnit(t *testing.T, text func(string) string, r unitprogress.Row) {
	t.Helper()
	for sel, want := range map[string]string{
		"#unit-percent": pct(r.Percent),
		"#unit-counts":  fmt.Sprintf("%d/%d", r.Digitized, r.Total),
		"#unit-target":  pct(r.Target),
	} {
		if got := text(sel); got != want {
			t.Errorf("%s %d: %s = %q, the CLI says %q", r.Unit, r.Year, sel, got, want)
		}
	}
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", math.Round(f*100)/100) }

// cliProgress runs `sohoa progress --json` with args.
func cliProgress(t *testing.T, data string, args ...string) unitprogress.Report {
	t.Helper()
	out, errs, code := sohoa(t, append([]string{"progress", "--json", "--data", data}, args...)...)
	var rep unitprogress.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || len(rep.Rows) == 0 {
		t.Fatalf("progress %v: code %d\n%s%s", args, code, out, errs)
	}
	return rep
}

// seedDashboard imports the real units, an inventory for 2024 and this
// year, and records of 21181 (Xã Tịnh Phong in 2024, Xã Thọ Phong now).
func seedDashboard(t *testing.T, dir, data string) {
	t.Helper()
	if out, errs, code := sohoa(t, "units", "import", "--data", data); code != 0 {
		t.Fatalf("units import: code %d\n%s%s", code, out, errs)
	}
	year := time.Now().UTC().Year()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(data, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := db.OpenBatch(ctx, catalog.Batch{Unit: "21181", Key: "t"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	add := func(unit string, status catalog.Status, at time.Time, pages int) {
		t.Helper()
		n++
		r, err := db.AddRecord(ctx, catalog.Record{BatchID: b.ID, Unit: unit, Source: fmt.Sprintf("%d.pdf", n), Status: status,
			Pages: pages, CreatedAt: at, UpdatedAt: at}, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AppendEvent(ctx, catalog.Event{At: at, Actor: "sohoa", Action: "index", RecordID: r.ID}); err != nil {
			t.Fatal(err)
		}
	}
	in2024 := time.Date(2024, 5, 6, 9, 0, 0, 0, time.UTC)
	add("21181", catalog.StatusDigitized, in2024, 2)
	add("21181", catalog.StatusDigitized, in2024, 2)
	add("21181", catalog.StatusDigitized, in2024, 2)
	now := time.Now().UTC()
	add("21181", catalog.StatusDigitized, now.Add(-3*time.Hour), 2)
	add("21181", catalog.StatusDigitized, now.Add(-2*time.Hour), 3)
	add("21181", catalog.StatusNeedsReview, now.Add(-time.Hour), 1)
	add("21181", catalog.StatusFailed, now.Add(-time.Minute), 1)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	inv := filepath.Join(dir, "ton-kho.csv")
	if err := os.WriteFile(inv, []byte(fmt.Sprintf("unit,year,count\n21181,2024,8\n21181,%d,20\n21100,%d,40\n", year, year)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errs, code := sohoa(t, "inventory", "import", inv, "--data", data); code != 0 {
		t.Fatalf("inventory import: code %d\n%s%s", code, out, errs)
	}
}

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitServing polls url until it answers 200, failing if serve ends
// first or 10 s pass.
func waitServing(t *testing.T, url string, served <-chan int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer %s within 10 s: %v", url, err)
		}
		select {
		case code := <-served:
			t.Fatalf("serve ended with %d before answering", code)
		case <-tick.C:
		}
	}
}
