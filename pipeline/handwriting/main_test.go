package handwriting

import (
	"fmt"
	"os"
	"testing"

	"sohoa/ocr/tesseract"
)

// TestMain gives Tesseract its single thread before libgomp reads the
// environment (see tesseract.ReexecWithThreadLimit).
func TestMain(m *testing.M) {
	if err := tesseract.ReexecWithThreadLimit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
