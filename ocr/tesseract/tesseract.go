// Package tesseract is the ocr.Engine backed by Tesseract through gosseract
// (cgo). It is a leaf package: nothing but cmd/ and tests import it.
//
// Tesseract must run single-threaded inside each worker (the pipeline runs
// one engine per core instead, which is faster than OpenMP threads fighting
// over the same cores). OpenMP reads OMP_THREAD_LIMIT once, when libgomp
// loads, before any Go code runs: setting it with os.Setenv is too late.
// cmd/sohoa therefore re-executes itself with OMP_THREAD_LIMIT=1 when it is
// missing; ThreadLimited reports whether the current process has it.
package tesseract

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/otiai10/gosseract/v2"

	"sohoa/ocr"
	"sohoa/pipeline/vntext"
)

// Options configure an Engine.
type Options struct {
	// Languages are Tesseract language codes; default "vie".
	Languages []string
	// TessdataPrefix is the folder holding the .traineddata files; empty
	// uses Tesseract's default (TESSDATA_PREFIX or the installed path).
	TessdataPrefix string
}

// Engine is one Tesseract instance. It is not safe for concurrent use.
//
// An 8-bit grey or colour page (opaque PNG, raw PGM or PPM) is decoded once,
// in Go, into Leptonica's own in-memory layout (see raster.go), which
// Leptonica reads with one copy; the engine keeps those pixels until the
// next page, for ReadRegion. Before, a 300-dpi colour PNG page was decoded
// twice: by libpng and zlib for Tesseract (1.3 G instructions) and by
// image/png for the handwriting reader (1.9 G).
type Engine struct {
	client *gosseract.Client
	// page holds the last page's pixels as Tesseract was given them; its
	// buffer is reused from page to page.
	page raster
	// passBytes hands Tesseract every page's own bytes, as before the
	// raster path (tests compare the two).
	passBytes bool
}

var (
	_ ocr.Engine       = (*Engine)(nil)
	_ ocr.RegionReader = (*Engine)(nil)
)

// New makes an Engine and checks that the language data is installed.
func New(opts Options) (*Engine, error) {
	langs := opts.Languages
	if len(langs) == 0 {
		langs = []string{"vie"}
	}
	if err := checkLanguages(langs); err != nil {
		return nil, err
	}
	c := gosseract.NewClient()
	if opts.TessdataPrefix != "" {
		if err := c.SetTessdataPrefix(opts.TessdataPrefix); err != nil {
			c.Close()
			return nil, fmt.Errorf("set tessdata prefix: %w", err)
		}
	}
	if err := c.SetLanguage(langs...); err != nil {
		c.Close()
		return nil, fmt.Errorf("set ocr language: %w", err)
	}
	return &Engine{client: c}, nil
}

// Factory returns an ocr.Factory making Engines with opts.
func Factory(opts Options) ocr.Factory {
	return func() (ocr.Engine, error) { return New(opts) }
}

// ThreadLimited reports whether OMP_THREAD_LIMIT=1 was in the environment
// when the process started.
func ThreadLimited() bool { return os.Getenv("OMP_THREAD_LIMIT") == "1" }

// Version is the Tesseract library version.
func Version() string { return gosseract.Version() }

func checkLanguages(langs []string) error {
	have, err := gosseract.GetAvailableLanguages()
	if err != nil {
		return fmt.Errorf("list tesseract languages: %w", err)
	}
	for _, l := range langs {
		found := false
		for _, h := range have {
			if h == l {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("tesseract language %q is not installed (have %s): run `make setup` or `apt-get install tesseract-ocr-%s`",
				l, strings.Join(have, ", "), l)
		}
	}
	return nil
}

// Recognize runs Tesseract on one page image. Tesseract cannot be
// interrupted mid-page; ctx is checked before the page starts.
func (e *Engine) Recognize(ctx context.Context, img ocr.Image) (ocr.Page, error) {
	if err := ctx.Err(); err != nil {
		return ocr.Page{}, err
	}
	if e.client == nil {
		return ocr.Page{}, errors.New("recognize: engine is closed")
	}
	e.page.drop()
	if err := checkImage(img); err != nil {
		return ocr.Page{}, fmt.Errorf("recognize: %w", err)
	}
	data := img.Data
	if !e.passBytes && e.page.fill(img) {
		data = e.page.buf
	}
	if err := e.client.SetImageFromBytes(data); err != nil {
		e.page.drop()
		return ocr.Page{}, fmt.Errorf("recognize: %v: %w", err, ocr.ErrBadImage)
	}
	// Without a credible resolution gosseract pins it at 70 dpi, which
	// skews Tesseract's layout analysis; tell it the scan's real one.
	dpi := "0"
	if img.DPI >= 70 {
		dpi = strconv.Itoa(int(img.DPI + 0.5))
	}
	if err := e.client.SetVariable("user_defined_dpi", dpi); err != nil {
		return ocr.Page{}, fmt.Errorf("recognize: set dpi: %w", err)
	}
	boxes, err := e.client.GetBoundingBoxesVerbose()
	// gosseract keeps its pix of the page until the next one, though
	// Tesseract has copied it: trade it for a 1×1 one, tens of megabytes
	// back while the page goes on through the pipeline.
	e.client.SetImageFromBytes(blankPix)
	if err != nil {
		e.page.drop()
		if strings.Contains(err.Error(), "PixImage is not set") {
			// gosseract reports a failed decode only this way.
			return ocr.Page{}, fmt.Errorf("recognize: %w", ocr.ErrBadImage)
		}
		return ocr.Page{}, fmt.Errorf("recognize: %w", err)
	}
	return assemble(boxes, img), nil
}

// assemble turns Tesseract's word boxes into a Page: words in reading
// order, a line index per word, and the text with one line per text line
// and a blank line between blocks.
func assemble(boxes []gosseract.BoundingBox, img ocr.Image) ocr.Page {
	p := ocr.Page{Width: img.Width, Height: img.Height}
	var text strings.Builder
	line := -1
	prevBlock, prevPar, prevLine := -1, -1, -1
	var confSum float64
	for _, b := range boxes {
		w := vntext.NFC(strings.TrimSpace(b.Word))
		if w == "" {
			continue
		}
		newLine := b.BlockNum != prevBlock || b.ParNum != prevPar || b.LineNum != prevLine
		if newLine {
			if line >= 0 {
				text.WriteByte('\n')
				if b.BlockNum != prevBlock {
					text.WriteByte('\n')
				}
			}
			line++
			prevBlock, prevPar, prevLine = b.BlockNum, b.ParNum, b.LineNum
		} else {
			text.WriteByte(' ')
		}
		text.WriteString(w)
		conf := b.Confidence / 100
		if conf < 0 {
			conf = 0
		}
		confSum += conf
		p.Words = append(p.Words, ocr.Word{Text: w, Box: b.Box, Confidence: conf, Line: line})
	}
	p.Text = text.String()
	if len(p.Words) > 0 {
		p.Confidence = confSum / float64(len(p.Words))
	}
	return p
}

// Close frees the Tesseract instance; a second call does nothing.
func (e *Engine) Close() error {
	if e.client == nil {
		return nil
	}
	err := e.client.Close()
	e.client = nil
	e.page.free()
	return err
}

// ReexecWithThreadLimit replaces the current process with itself, same
// arguments, with OMP_THREAD_LIMIT=1 and (on Linux) MALLOC_ARENA_MAX=2 in
// the environment, unless both are already set (then it returns nil and
// does nothing); a value already set is kept. Call it first thing in main
// (or TestMain): OpenMP reads its variable when the library loads, and
// glibc its own when the process starts, before any Go code runs.
//
// The arena bound is for memory: Tesseract and Leptonica allocate a page's
// images (tens of megabytes at 300 dpi) on whichever OS thread the Go
// scheduler runs the call on, and glibc gives each new thread an arena of
// its own (up to eight per core), each keeping what it freed. Measured on
// 30 pages of 300-dpi scans with two workers: peak RSS about 490 MB
// without the bound, 390 MB with it, in the same time.
func ReexecWithThreadLimit() error {
	var add []string
	if _, ok := os.LookupEnv("OMP_THREAD_LIMIT"); !ok {
		add = append(add, "OMP_THREAD_LIMIT=1")
	}
	if _, ok := os.LookupEnv("MALLOC_ARENA_MAX"); !ok && runtime.GOOS == "linux" {
		add = append(add, "MALLOC_ARENA_MAX=2")
	}
	if len(add) == 0 {
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable to set %s: %w", strings.Join(add, " "), err)
	}
	return syscall.Exec(exe, os.Args, append(os.Environ(), add...))
}
