package pages

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Kind classifies why an input file cannot be split into pages. Every kind
// is the clerk's to fix (rescan, re-export, remove a password), not the
// operator's: system faults such as a missing pdftoppm are plain errors.
type Kind int

// The kinds of InputError.
const (
	// Empty: the file has no bytes.
	Empty Kind = iota + 1
	// NotDocument: text, a zip or office file, or unknown bytes.
	NotDocument
	// Corrupt: a truncated or broken PDF or image.
	Corrupt
	// Encrypted: a PDF that needs a password to open.
	Encrypted
	// TooLarge: a page image above Options.MaxPixels, or more pages than
	// Options.MaxPages.
	TooLarge
	// NoPages: a well-formed file without a single page.
	NoPages
	// Unsupported: a known image format or compression Split does not
	// read (BigTIFF, GIF, old-style JPEG-in-TIFF, ...).
	Unsupported
	// TooSmall: a page image too small to be a page (a 1×1 pixel image).
	TooSmall
)

func (k Kind) String() string {
	switch k {
	case Empty:
		return "empty"
	case NotDocument:
		return "not a document"
	case Corrupt:
		return "corrupt"
	case Encrypted:
		return "encrypted"
	case TooLarge:
		return "too large"
	case NoPages:
		return "no pages"
	case Unsupported:
		return "unsupported"
	case TooSmall:
		return "too small"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// InputError reports an input file that cannot be split into pages, and
// why. Callers get it with errors.As and show Message to the clerk.
type InputError struct {
	Kind Kind
	// File is the file name shown to the clerk (Options.Name, or the
	// base name of the path).
	File string
	// Page is the 1-based page the problem is on; 0 for the whole file.
	Page int
	// Err is the underlying cause, for logs.
	Err error

	format Format
}

// Message returns a sentence for the clerk: what is wrong with the file and
// what to do, in Vietnamese followed by English in parentheses.
func (e *InputError) Message() string {
	where, whereEN := e.File, ""
	if e.Page > 0 {
		where = fmt.Sprintf("%s, trang %d", e.File, e.Page)
		whereEN = fmt.Sprintf("page %d: ", e.Page)
	}
	vi, en := e.sentences()
	return fmt.Sprintf("%s: %s (%s%s)", where, vi, whereEN, en)
}

func (e *InputError) sentences() (vi, en string) {
	switch e.Kind {
	case Empty:
		return "tệp rỗng, không có nội dung — hãy quét lại hoặc sao chép lại tệp",
			"the file is empty: rescan or copy the file again"
	case NotDocument:
		return "không phải tệp PDF hay ảnh quét (TIFF, JPEG, PNG) — hãy quét tài liệu hoặc xuất ra PDF rồi nộp lại",
			"not a PDF or a scanned image (TIFF, JPEG, PNG): scan the document or export it to PDF and submit it again"
	case Corrupt:
		if e.format == FormatPDF {
			return "tệp PDF bị hỏng hoặc không đầy đủ — hãy quét lại hoặc sao chép lại tệp",
				"the PDF is damaged or truncated: rescan or copy the file again"
		}
		return "tệp ảnh bị hỏng hoặc không đầy đủ — hãy quét lại hoặc sao chép lại tệp",
			"the image file is damaged or truncated: rescan or copy the file again"
	case Encrypted:
		return "tệp PDF có đặt mật khẩu nên không mở được — hãy xin bản không có mật khẩu, hoặc in ra và quét lại",
			"the PDF is password-protected: get a copy without a password, or print and rescan it"
	case TooLarge:
		var pc *pageCountError
		if errors.As(e.Err, &pc) {
			return fmt.Sprintf("tệp có %d trang, vượt quá giới hạn %d trang — hãy tách thành nhiều tệp nhỏ hơn", pc.pages, pc.max),
				fmt.Sprintf("the file has %d pages, more than the limit of %d: split it into smaller files", pc.pages, pc.max)
		}
		var ce *contentSizeError
		if errors.As(e.Err, &ce) {
			return fmt.Sprintf("nội dung trang giải nén ra hơn %d MB, dấu hiệu của tệp PDF hỏng hoặc cố ý gây hại — hãy in ra và quét lại", ce.max>>20),
				fmt.Sprintf("the page content inflates to more than %d MB, a sign of a damaged or malicious PDF: print it and rescan it", ce.max>>20)
		}
		var se *sizeError
		if errors.As(e.Err, &se) {
			return fmt.Sprintf("ảnh trang quá lớn (%d×%d điểm ảnh) để xử lý an toàn — hãy quét lại ở độ phân giải 300 dpi", se.width, se.height),
				fmt.Sprintf("the page image is too large to process safely (%d×%d pixels): rescan at 300 dpi", se.width, se.height)
		}
		return "ảnh trang quá lớn để xử lý an toàn — hãy quét lại ở độ phân giải 300 dpi",
			"the page image is too large to process safely: rescan at 300 dpi"
	case NoPages:
		return "tệp không có trang nào — hãy kiểm tra tệp gốc rồi quét lại",
			"the file has no pages: check the original and rescan it"
	case TooSmall:
		var te *tinyError
		if errors.As(e.Err, &te) {
			return fmt.Sprintf("ảnh trang quá nhỏ (%d×%d điểm ảnh), không phải một trang tài liệu quét — hãy quét lại ở độ phân giải 300 dpi", te.width, te.height),
				fmt.Sprintf("the page image is too small (%d×%d pixels) to be a scanned page: rescan at 300 dpi", te.width, te.height)
		}
		return "ảnh trang quá nhỏ, không phải một trang tài liệu quét — hãy quét lại ở độ phân giải 300 dpi",
			"the page image is too small to be a scanned page: rescan at 300 dpi"
	case Unsupported:
		return "định dạng hoặc kiểu nén này chưa được hỗ trợ — hãy quét lại thành PDF, TIFF, JPEG hoặc PNG",
			"this format or compression is not supported: rescan to PDF, TIFF, JPEG or PNG"
	}
	return "không đọc được tệp — hãy quét lại", "the file cannot be read: rescan it"
}

// Error returns Message followed by the cause.
func (e *InputError) Error() string {
	if e.Err == nil {
		return e.Message()
	}
	return e.Message() + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

// sizeError is the cause of a TooLarge page image.
type sizeError struct {
	width, height int
	max           int64
}

func (e *sizeError) Error() string {
	return fmt.Sprintf("image is %d×%d pixels, more than the limit of %d", e.width, e.height, e.max)
}

// tinyError is the cause of a TooSmall page image.
type tinyError struct {
	width, height int
	dpi           float64
}

func (e *tinyError) Error() string {
	return fmt.Sprintf("a %d×%d image at %g dpi is under %d pt a side", e.width, e.height, e.dpi, minPoints)
}

// pageCountError is the cause of a TooLarge page count.
type pageCountError struct{ pages, max int }

func (e *pageCountError) Error() string {
	return fmt.Sprintf("%d pages, more than the limit of %d", e.pages, e.max)
}

// checkPixels returns a *sizeError when a width×height image is empty or
// larger than max pixels; callers call it before allocating anything that
// size.
func checkPixels(width, height int, max int64) error {
	if width <= 0 || height <= 0 {
		return fmt.Errorf("image has no pixels (%d×%d)", width, height)
	}
	if int64(width)*int64(height) > max {
		return &sizeError{width, height, max}
	}
	return nil
}

// fileError builds InputErrors for one input file.
type fileError struct {
	name   string
	format Format
}

func newFileError(path string, opts Options, f Format) fileError {
	name := opts.Name
	if name == "" {
		name = filepath.Base(path)
	}
	return fileError{name: name, format: f}
}

func (fe fileError) new(k Kind, page int, err error) *InputError {
	return &InputError{Kind: k, File: fe.name, Page: page, Err: err, format: fe.format}
}

// pixels classifies a checkPixels failure: TooLarge for a size over the
// limit, Corrupt for a header claiming no pixels.
func (fe fileError) pixels(page int, err error) *InputError {
	var se *sizeError
	if errors.As(err, &se) {
		return fe.new(TooLarge, page, err)
	}
	return fe.new(Corrupt, page, err)
}
