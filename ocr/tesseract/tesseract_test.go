package tesseract

import (
	"context"
	"errors"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "image/jpeg"

	"sohoa/ocr"
	"sohoa/pipeline/vntext"
)

// realPage extracts the scanned JPEG of page 1 of a real signed decision
// with poppler's pdfimages, as it is embedded (no re-encoding).
func realPage(t *testing.T) ocr.Image {
	t.Helper()
	if _, err := exec.LookPath("pdfimages"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pdfimages is missing: run `make setup`")
		}
		t.Skip("pdfimages is missing: run `make setup`")
	}
	dir := t.TempDir()
	pdf := filepath.Join("..", "..", "fixtures", "real", "86_QD_CT.signed_20250510_124908.pdf")
	out, err := exec.Command("pdfimages", "-j", "-f", "1", "-l", "1", pdf, filepath.Join(dir, "p")).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfimages: %v: %s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "p-000.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _, err := image.DecodeConfig(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	return ocr.Image{Data: data, Format: "jpeg", Width: cfg.Width, Height: cfg.Height, DPI: 300}
}

func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(Options{})
	if err != nil {
		// A machine without Tesseract's Vietnamese data cannot run the
		// pipeline at all; CI must have it.
		if os.Getenv("CI") == "true" {
			t.Fatalf("new engine: %v", err)
		}
		t.Skipf("new engine: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func TestRecognizeRealScan(t *testing.T) {
	img := realPage(t)
	e := newEngine(t)
	p, err := e.Recognize(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	folded := vntext.Fold(p.Text)
	for _, want := range []string{"quyet dinh", "uy ban nhan dan", "quang ngai", "thanh tra vien"} {
		if !strings.Contains(folded, want) {
			t.Errorf("text lacks %q:\n%s", want, p.Text)
		}
	}
	// Accents must survive: the title and the header as printed.
	for _, want := range []string{"QUYẾT ĐỊNH", "NHÂN DÂN"} {
		if !strings.Contains(p.Text, want) {
			t.Errorf("text lacks %q with its accents", want)
		}
	}
	if p.Text != vntext.NFC(p.Text) {
		t.Error("text is not NFC")
	}
	if p.Confidence <= 0.5 || p.Confidence > 1 {
		t.Errorf("mean confidence %.2f, want in (0.5, 1]", p.Confidence)
	}
	bounds := image.Rect(0, 0, img.Width, img.Height)
	lastLine := 0
	for _, w := range p.Words {
		if !w.Box.In(bounds) || w.Box.Empty() {
			t.Fatalf("word %q box %v outside page %v", w.Text, w.Box, bounds)
		}
		if w.Line < lastLine {
			t.Fatalf("word %q goes back to line %d after %d", w.Text, w.Line, lastLine)
		}
		lastLine = w.Line
	}
	if got := strings.Count(p.Text, "\n"); got < 20 {
		t.Errorf("only %d line breaks in a full page", got)
	}
}

func TestEngineReusedAcrossPages(t *testing.T) {
	img := realPage(t)
	e := newEngine(t)
	first, err := e.Recognize(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	// A bad page in between must not poison the engine for the next one.
	if _, err := e.Recognize(context.Background(), ocr.Image{Data: []byte("not an image"), Format: "png"}); !errors.Is(err, ocr.ErrBadImage) {
		t.Fatalf("bad image: err = %v, want ErrBadImage", err)
	}
	again, err := e.Recognize(context.Background(), img)
	if err != nil {
		t.Fatal(err)
	}
	if again.Text != first.Text {
		t.Error("the same page read twice on one engine gave different text")
	}
}

func TestRecognizeCancelled(t *testing.T) {
	e := newEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Recognize(ctx, ocr.Image{Data: []byte{1}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestMissingLanguage(t *testing.T) {
	_, err := New(Options{Languages: []string{"xx-no-such-language"}})
	if err == nil || !strings.Contains(err.Error(), "make setup") {
		t.Fatalf("err = %v, want a message pointing at make setup", err)
	}
}

func TestCloseTwice(t *testing.T) {
	e := newEngine(t)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}
