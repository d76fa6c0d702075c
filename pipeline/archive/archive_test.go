package archive

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"sohoa/ocr"
)

// realPage is page 1 of a real published decision (see NOTICE.md): the
// scanner's JPEG and Tesseract's word boxes for it.
const (
	realJPEG = "testdata/86_QD_CT-p1.jpg"
	realTSV  = "testdata/86_QD_CT-p1.tsv"
)

// needTool skips the test when a command-line tool is missing, except in CI
// (CI=true), where a missing tool fails it.
func needTool(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (install poppler-utils): %v", name, err)
			}
			t.Skipf("%s is missing (install poppler-utils)", name)
		}
	}
}

// run runs a tool and returns its standard output.
func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

var disablePDFCPUConfig sync.Once

// validate checks the file with pdfcpu in strict mode.
func validate(t testing.TB, path string) {
	t.Helper()
	disablePDFCPUConfig.Do(api.DisableConfigDir)
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationStrict
	if err := api.ValidateFile(path, conf); err != nil {
		t.Fatalf("pdfcpu strict validation: %v", err)
	}
}

// testMeta is the metadata of most test archives.
var testMeta = Meta{
	Title:    "Quyết định số 86/QĐ-UBND",
	Subject:  "Về việc bổ nhiệm vào ngạch Thanh tra viên",
	Author:   "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI",
	Keywords: "quyết định, bổ nhiệm, thanh tra",
	Producer: "sohoa test",
	Created:  time.Date(2025, 1, 16, 9, 30, 0, 0, time.FixedZone("ICT", 7*3600)),
}

// writeArchive builds an archive of pages into a file in a temporary
// directory, checks it with pdfcpu, and returns its path.
func writeArchive(t testing.TB, meta Meta, pages ...Page) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, meta)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range pages {
		if err := w.AddPage(p); err != nil {
			t.Fatalf("add page %d: %v", i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "archive.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	validate(t, path)
	return path
}

// readTSV reads Tesseract's TSV output into words, numbering lines in the
// order Tesseract gives them.
func readTSV(t testing.TB, path string) []ocr.Word {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var words []ocr.Word
	lines := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 12 || f[0] != "5" || strings.TrimSpace(f[11]) == "" {
			continue
		}
		key := f[2] + "/" + f[3] + "/" + f[4]
		if _, ok := lines[key]; !ok {
			lines[key] = len(lines)
		}
		n := func(i int) int {
			v, err := strconv.Atoi(f[i])
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return v
		}
		conf, _ := strconv.ParseFloat(f[10], 64)
		words = append(words, ocr.Word{
			Text:       f[11],
			Box:        image.Rect(n(6), n(7), n(6)+n(8), n(7)+n(9)),
			Confidence: conf / 100,
			Line:       lines[key],
		})
	}
	return words
}

// realPage returns the real scanned page with its OCR words.
func realPage(t testing.TB) Page {
	t.Helper()
	data, err := os.ReadFile(realJPEG)
	if err != nil {
		t.Fatal(err)
	}
	return Page{
		Image: ocr.Image{Data: data, Format: "jpeg", Width: 2464, Height: 3508},
		Text:  ocr.Page{Words: readTSV(t, realTSV), Width: 2464, Height: 3508},
	}
}

// paper is a white page of w × h pixels with a black bar where each word
// is, so a rendering shows where the text layer should be.
func paper(w, h int, words []ocr.Word) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, word := range words {
		r := word.Box.Inset(word.Box.Dy() / 4)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				img.SetGray(x, y, color.Gray{0})
			}
		}
	}
	return img
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
