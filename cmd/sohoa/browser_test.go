package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"sohoa/ocr/tesseract"
)

// servedForTest is `sohoa serve` running in the test's process.
type servedForTest struct {
	addr, base string
	out, errs  *syncBuffer
	stop       func() // Ctrl-C, and wait until serve has stopped; again does nothing
}

// startServe runs serve on data until stop is called or the test ends,
// and waits until it answers.
func startServe(t *testing.T, data string, args ...string) *servedForTest {
	t.Helper()
	s := &servedForTest{addr: freeAddr(t), out: &syncBuffer{}, errs: &syncBuffer{}}
	s.base = "http://" + s.addr
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan int, 1)
	go func() {
		served <- run(ctx, append([]string{"serve", "--addr", s.addr, "--data", data}, args...), s.out, s.errs)
	}()
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case code := <-served:
			if code != exitOK {
				t.Errorf("serve ended with %d after Ctrl-C\n%s%s", code, s.out.String(), s.errs.String())
			}
		case <-time.After(20 * time.Second):
			t.Errorf("serve did not stop within 20 s of Ctrl-C")
		}
		if t.Failed() {
			t.Logf("serve printed:\n%s%s", s.out.String(), s.errs.String())
		}
	}
	t.Cleanup(s.stop)
	waitServing(t, s.base+"/login", served)
	return s
}

// serveForTest runs serve on data until the test ends and returns its address.
func serveForTest(t *testing.T, data string, args ...string) string {
	t.Helper()
	return startServe(t, data, args...).addr
}

// needTesseract skips the test when Tesseract with vie is missing, and
// fails it in CI.
func needTesseract(t *testing.T) {
	t.Helper()
	if _, err := tesseract.New(tesseract.Options{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// testBrowser is headless Chromium for one test, with the steps the
// browser tests take. Screenshots go to $SOHOA_SCREENSHOTS, else the
// test's temporary folder.
type testBrowser struct {
	t     *testing.T
	ctx   context.Context
	shots string
	// close ends the browser's deadline now, before serve is stopped.
	close context.CancelFunc
}

// newTestBrowser starts Chromium for a test of at most timeout (the
// browser's own start-up not counted); the test is skipped in -short,
// and when Chromium is missing outside CI.
func newTestBrowser(t *testing.T, timeout time.Duration) *testBrowser {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a browser: not in -short")
	}
	browserPath, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is missing (make setup installs it): %v", err)
		}
		t.Skipf("chromium is missing (make setup installs it): %v", err)
	}
	shots := os.Getenv("SOHOA_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browserPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil { // starts the browser, outside the deadline below
		t.Fatalf("start chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	return &testBrowser{t: t, ctx: tctx, shots: shots, close: cancel}
}

// do runs steps, again while the browser says the page's nodes went away
// under the query (a page still being replaced), until the deadline.
func (b *testBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := chromedp.Do(b.ctx, steps...)
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "(-32000)") || b.ctx.Err() != nil {
			b.t.Fatalf("%s: %v", what, err)
		}
		select {
		case <-b.ctx.Done():
			b.t.Fatalf("%s: %v", what, err)
		case <-tick.C:
		}
	}
}

// goTo runs an action that loads another page and waits for the new
// page's load event, then for sel on it: querying while the old page is
// torn down fails in the browser.
func (b *testBrowser) goTo(what string, action chromedp.Action[chromedp.Void], sel string) {
	b.t.Helper()
	loaded := chromedp.Events(b.ctx, page.LoadEventFired)
	b.do(what, action)
	for _, err := range loaded {
		if err != nil {
			b.t.Fatalf("%s: wait for the page: %v", what, err)
		}
		break
	}
	b.do(what, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// text is the text of the element sel, trimmed.
func (b *testBrowser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// eval is the string a JavaScript expression gives.
func (b *testBrowser) eval(js string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return s
}

func (b *testBrowser) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.shots, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// until polls a JavaScript condition for at most within (0: until the
// browser's deadline); when it does not hold by then, the page's text
// and script errors say why, and a screenshot shows it.
func (b *testBrowser) until(what, js string, within time.Duration) {
	b.t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var deadline <-chan time.Time
	if within > 0 {
		deadline = time.After(within)
	}
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		select {
		case <-deadline:
		case <-b.ctx.Done():
		case <-tick.C:
			continue
		}
		late := context.WithoutCancel(b.ctx)
		diag, derr := chromedp.Run(late, chromedp.Evaluate[string](`(window.__errors || []).join("\n") + "\n" + (document.querySelector("main") || document.body).innerText`))
		if png, err := chromedp.Run(late, chromedp.FullScreenshot(100)); err == nil {
			name := filepath.Join(b.shots, strings.ReplaceAll(b.t.Name(), "/", "-")+"-failed.png")
			if os.WriteFile(name, png, 0o644) == nil {
				b.t.Logf("screenshot: %s", name)
			}
		}
		b.t.Fatalf("%s: still false when the time was up (%v): %s\npage (%v):\n%s", what, err, js, derr, diag)
	}
}

// signIn signs in on the sign-in page as name and waits for sel on the
// page it leads to (next), noting the page's script errors from then on.
func (b *testBrowser) signIn(base, next, name, password, sel string) {
	b.t.Helper()
	b.goTo("open the sign-in page", chromedp.Navigate(base+"/login?next="+next), "#login-form #name")
	b.do("type the name and password", chromedp.SendKeys(chromedp.CSS("#name"), name), chromedp.SendKeys(chromedp.CSS("#password"), password))
	b.goTo("sign in", chromedp.Click(chromedp.CSS("#sign-in")), sel)
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.__errors = []; window.addEventListener("error", e => window.__errors.push(e.message)); true`)); err != nil {
		b.t.Fatal(err)
	}
}
