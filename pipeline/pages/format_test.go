package pages

import (
	"testing"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		want Format
	}{
		{"pdf", "%PDF-1.7\n%\xe2\xe3", FormatPDF},
		{"pdf after junk", "\x00\x00garbage%PDF-1.4\n", FormatPDF},
		{"tiff little endian", "II*\x00\x08\x00\x00\x00", FormatTIFF},
		{"tiff big endian", "MM\x00*\x00\x00\x00\x08", FormatTIFF},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF", FormatJPEG},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", FormatPNG},
		{"empty", "", FormatUnknown},
		{"text", "Quyết định số 86/QĐ-UBND", FormatUnknown},
		{"zip", "PK\x03\x04\x14\x00", FormatUnknown},
		{"bigtiff", "II+\x00\x08\x00\x00\x00", FormatUnknown},
		{"gif", "GIF89a", FormatUnknown},
		{"pdf past the sniff window", string(make([]byte, sniffLen)) + "%PDF-1.4", FormatUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Sniff([]byte(tt.head)); got != tt.want {
				t.Errorf("Sniff(%q) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

func TestContentType(t *testing.T) {
	t.Parallel()
	for f, want := range map[Format]string{
		FormatPDF: "application/pdf", FormatTIFF: "image/tiff", FormatJPEG: "image/jpeg",
		FormatPNG: "image/png", FormatUnknown: "application/octet-stream",
	} {
		if got := f.ContentType(); got != want {
			t.Errorf("%s.ContentType() = %q, want %q", f, got, want)
		}
	}
}
