package pages

import "bytes"

// Format is a document file format, sniffed from the file's first bytes.
// The file name's extension is never consulted: clerks rename files, and
// scanners write whatever extension they are configured with.
type Format string

// The formats Split reads.
const (
	FormatPDF     Format = "pdf"
	FormatTIFF    Format = "tiff"
	FormatJPEG    Format = "jpeg"
	FormatPNG     Format = "png"
	FormatUnknown Format = "unknown"
)

// sniffLen is how many leading bytes Sniff looks at; callers pass at least
// 512.
const sniffLen = 1024

// Sniff returns the format of a file from its first bytes (512 or more are
// enough). It returns FormatUnknown for anything Split does not read.
func Sniff(head []byte) Format {
	if len(head) > sniffLen {
		head = head[:sniffLen]
	}
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(head, []byte{0xff, 0xd8, 0xff}):
		return FormatJPEG
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return FormatTIFF
	case bytes.Contains(head, []byte("%PDF-")):
		// Readers accept junk before the header (some scanner drivers
		// prepend a few bytes), so the header need not be at offset 0.
		return FormatPDF
	}
	return FormatUnknown
}

// ContentType returns the MIME type of f, "application/octet-stream" for
// FormatUnknown.
func (f Format) ContentType() string {
	switch f {
	case FormatPDF:
		return "application/pdf"
	case FormatTIFF:
		return "image/tiff"
	case FormatJPEG:
		return "image/jpeg"
	case FormatPNG:
		return "image/png"
	}
	return "application/octet-stream"
}

// unsupportedImage names the image or document format of head when it is
// one a clerk might reasonably submit but that Split does not read (so the
// clerk is told to rescan rather than that the file is not a document); it
// returns "" otherwise.
func unsupportedImage(head []byte) string {
	has := func(p string) bool { return bytes.HasPrefix(head, []byte(p)) }
	switch {
	case has("II+\x00"), has("MM\x00+"):
		return "BigTIFF"
	case has("GIF87a"), has("GIF89a"):
		return "GIF"
	case has("BM") && len(head) >= 18 && head[15] == 0 && head[16] == 0 && head[17] == 0:
		return "BMP"
	case has("RIFF") && len(head) >= 12 && string(head[8:12]) == "WEBP":
		return "WebP"
	case len(head) >= 12 && string(head[4:8]) == "ftyp":
		switch string(head[8:12]) {
		case "heic", "heix", "mif1", "msf1", "avif", "hevc":
			return "HEIF/AVIF"
		}
	case has("\x00\x00\x00\x0cjP  \r\n\x87\n"), has("\xff\x4f\xff\x51"):
		return "JPEG 2000"
	case has("AT&TFORM"):
		return "DjVu"
	case has("%!PS"):
		return "PostScript"
	}
	return ""
}
