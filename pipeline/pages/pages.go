// Package pages turns a document file a clerk submitted (PDF, multi-page
// TIFF, JPEG or PNG) into page images for OCR, one page at a time.
//
// Every size is checked from headers before anything is decoded, so a
// hostile or absurd file is refused (an *InputError of Kind TooLarge)
// instead of exhausting memory. Scanned PDF pages give back their embedded
// image bytes unchanged; other PDF pages are rendered by poppler's pdftoppm
// in a subprocess, which a hostile PDF can crash or hang without taking the
// worker with it.
package pages

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"sohoa/ocr"
)

// Page is one page of a document.
type Page struct {
	// N is the 1-based page number.
	N int
	// Image is the page image to OCR and to embed in the archival PDF.
	Image ocr.Image
	// TextLayer is the page's own text when it is real text (a
	// born-digital PDF page), with word boxes in Image pixels; nil when
	// the page must be OCR'd. See the package's textlayer.go for the rule.
	TextLayer *ocr.Page
}

// Options bound the work Split and Count do on one file. Zero values take
// the defaults.
type Options struct {
	// MaxPixels refuses any page image above this many pixels, checked
	// from headers before decoding. Default 150e6 (A3 at 600 dpi).
	MaxPixels int64
	// MaxPages refuses files with more pages. Default 2000.
	MaxPages int
	// RenderDPI is the resolution for PDF pages that must be rendered.
	// Default 300.
	RenderDPI int
	// TempDir is the working directory and TMPDIR of the poppler
	// subprocesses. Default os.TempDir().
	TempDir string
	// Name is the file name the clerk knows the file by, used in
	// InputError; default the base name of the path.
	Name string
	// RenderTimeout bounds one poppler subprocess run (render or text
	// extraction of one page), on top of ctx. Default 2 minutes.
	RenderTimeout time.Duration
}

// Defaults for Options.
const (
	DefaultMaxPixels     = 150_000_000
	DefaultMaxPages      = 2000
	DefaultRenderDPI     = 300
	DefaultRenderTimeout = 2 * time.Minute
)

func (o Options) withDefaults() Options {
	if o.MaxPixels <= 0 {
		o.MaxPixels = DefaultMaxPixels
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.RenderDPI <= 0 {
		o.RenderDPI = DefaultRenderDPI
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.RenderTimeout <= 0 {
		o.RenderTimeout = DefaultRenderTimeout
	}
	return o
}

// Count returns the number of pages in the file at path without decoding
// any page. It returns an *InputError when the file is not a document Split
// can read.
func Count(ctx context.Context, path string, opts Options) (int, error) {
	opts = opts.withDefaults()
	f, format, fe, err := open(path, opts)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	switch format {
	case FormatPDF:
		doc, err := openPDF(ctx, f, fe, opts)
		if err != nil {
			return 0, err
		}
		return doc.pages, nil
	case FormatTIFF:
		t, err := openTIFF(f, fe, opts)
		if err != nil {
			return 0, err
		}
		return len(t.ifds), nil
	default:
		if _, err := readRaster(f, format, fe, opts); err != nil {
			return 0, err
		}
		return 1, nil
	}
}

// Split calls fn with each page of the file at path, in order, one page at
// a time: a page's image is garbage once fn returns unless fn keeps it.
// Split stops at the first error; an error from fn is returned unchanged.
// It returns an *InputError when the file (or one page) is not something
// the clerk's scan should be, and a plain error for system faults (missing
// poppler, I/O errors, ctx cancelled).
func Split(ctx context.Context, path string, opts Options, fn func(Page) error) error {
	opts = opts.withDefaults()
	f, format, fe, err := open(path, opts)
	if err != nil {
		return err
	}
	defer f.Close()
	fn = refuseTiny(fe, fn)
	switch format {
	case FormatPDF:
		return splitPDF(ctx, path, f, fe, opts, fn)
	case FormatTIFF:
		return splitTIFF(ctx, f, fe, opts, fn)
	default:
		img, err := readRaster(f, format, fe, opts)
		if err != nil {
			return err
		}
		if img, err = uprightRaster(img, fe); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(Page{N: 1, Image: img})
	}
}

// minPoints is the smallest page side, in points (1/72 inch), that a page
// image may make at its resolution: PDF, and so the archival copy, has no
// smaller page. Nothing that small is a scanned document.
const minPoints = 3

// assumedDPI is the resolution of an image that does not say, as the
// archive writer assumes it.
const assumedDPI = 300

// refuseTiny wraps fn so that a page image too small to be a page (a 1×1
// pixel image, say) is refused with a TooSmall error instead of passed on.
func refuseTiny(fe fileError, fn func(Page) error) func(Page) error {
	return func(p Page) error {
		dpi := p.Image.DPI
		if dpi <= 0 {
			dpi = assumedDPI
		}
		if float64(p.Image.Width)*72/dpi < minPoints || float64(p.Image.Height)*72/dpi < minPoints {
			return fe.new(TooSmall, p.N, &tinyError{p.Image.Width, p.Image.Height, dpi})
		}
		return fn(p)
	}
}

// open opens path and sniffs its format, refusing empty files and files
// that are not documents.
func open(path string, opts Options) (*os.File, Format, fileError, error) {
	fe := newFileError(path, opts, FormatUnknown)
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fe, fmt.Errorf("open input: %w", err)
	}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, "", fe, fmt.Errorf("read input: %w", err)
	}
	head = head[:n]
	if n == 0 {
		f.Close()
		return nil, "", fe, fe.new(Empty, 0, errors.New("file has 0 bytes"))
	}
	format := Sniff(head)
	fe.format = format
	if format == FormatUnknown {
		f.Close()
		if name := unsupportedImage(head); name != "" {
			return nil, "", fe, fe.new(Unsupported, 0, fmt.Errorf("%s files are not supported", name))
		}
		return nil, "", fe, fe.new(NotDocument, 0, errors.New("not a PDF, TIFF, JPEG or PNG file"))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, "", fe, fmt.Errorf("rewind input: %w", err)
	}
	return f, format, fe, nil
}
