// Package ocr declares what the pipeline needs from an optical character
// recognition engine: page images in, words with boxes and confidences out.
//
// Implementations live in subpackages named after their technology
// (ocr/tesseract); cgo stays there, so this package and its callers build
// without a C toolchain.
package ocr

import (
	"context"
	"errors"
	"image"
)

// Image is one page image as encoded bytes, ready for an engine to decode.
// Engines read JPEG, PNG, PNM and single-page TIFF.
type Image struct {
	// Data holds the encoded image.
	Data []byte
	// Format is "jpeg", "png", "pnm" or "tiff".
	Format string
	// Width and Height are the pixel dimensions.
	Width, Height int
	// DPI is the scan resolution; 0 when unknown.
	DPI float64
}

// Word is one recognised word and where it sits on the page image.
type Word struct {
	Text string `json:"text"`
	// Box is in page-image pixels, origin top left.
	Box image.Rectangle `json:"box"`
	// Confidence is the engine's confidence in the word, 0..1.
	Confidence float64 `json:"conf"`
	// Line numbers the text lines of the page from 0, in reading order.
	Line int `json:"line"`
}

// Page is the text of one page: the whole text in reading order (Unicode
// NFC, lines separated by "\n") and the words that make it up.
type Page struct {
	Text  string `json:"text"`
	Words []Word `json:"words"`
	// Confidence is the mean word confidence, 0..1; 1 for a born-digital
	// text layer.
	Confidence float64 `json:"confidence"`
	// Width and Height are the pixel size of the image the boxes refer to.
	Width  int `json:"width"`
	Height int `json:"height"`
}

// Engine recognises text on page images. An Engine is not safe for
// concurrent use: the pipeline gives each OCR worker its own, and reuses it
// across pages.
type Engine interface {
	// Recognize reads the page image. It returns ErrBadImage (wrapped) when
	// the engine cannot decode the image.
	Recognize(ctx context.Context, img Image) (Page, error)
	// Close frees the engine. Calling it twice is safe.
	Close() error
}

// RegionReader is an Engine that keeps the page image its last Recognize
// decoded, so that a caller reading pixels of the same page (the
// handwriting reader) need not decode the image a second time.
type RegionReader interface {
	// ReadRegion returns a copy of the pixels within r (page-image
	// coordinates) of the image the last successful Recognize read; its
	// Bounds are r clipped to the page. ok is false when the engine holds
	// no such image, or when its pixels might differ from what Go's
	// decoder gives for the same bytes (a lossy format, a palette): the
	// caller then decodes the image itself, and gets the same results
	// either way.
	ReadRegion(r image.Rectangle) (img image.Image, ok bool)
}

// Factory makes a new Engine for one worker.
type Factory func() (Engine, error)

// ErrBadImage means the engine could not decode the page image.
var ErrBadImage = errors.New("page image cannot be decoded")
