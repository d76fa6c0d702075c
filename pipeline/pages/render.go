package pages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"sohoa/ocr"
)

// PDF pages that are not a plain scan are rendered by poppler's pdftoppm,
// the reference renderer on Debian. It runs as a subprocess: a hostile PDF
// can crash or hang it but not the worker, the process is killed when ctx
// ends or the render times out, and no cgo is needed.

// errPopplerMissing is returned (wrapped) when pdftoppm or pdftotext is not
// installed; it is a system fault, not the clerk's.
var errPopplerMissing = errors.New("poppler-utils is not installed (pdftoppm, pdftotext): run make setup")

// minRenderDPI is the lowest resolution a page is rendered at to stay under
// MaxPixels; below it the text is too small to OCR and the page is refused.
const minRenderDPI = 100

// renderDPI returns the resolution to render a pageW×pageH point page at:
// want, lowered so the image stays under maxPixels. It returns a *sizeError
// when even minRenderDPI is too much.
func renderDPI(pageW, pageH float64, want int, maxPixels int64) (int, error) {
	px := func(dpi int) (int, int) {
		return int(math.Ceil(pageW / 72 * float64(dpi))), int(math.Ceil(pageH / 72 * float64(dpi)))
	}
	dpi := want
	if w, h := px(dpi); int64(w)*int64(h) > maxPixels {
		dpi = int(float64(want) * math.Sqrt(float64(maxPixels)/(float64(w)*float64(h))))
	}
	if dpi < minRenderDPI && dpi < want {
		w, h := px(want)
		return 0, &sizeError{width: w, height: h, max: maxPixels}
	}
	return dpi, nil
}

// runPoppler runs a poppler tool with a timeout and returns its standard
// output, at most limit bytes. tooBig is returned (wrapped) when the output
// exceeds limit; the process is killed then.
func runPoppler(parent context.Context, opts Options, limit int64, tool string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(parent, opts.RenderTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Dir = opts.TempDir
	cmd.Env = append(os.Environ(), "TMPDIR="+opts.TempDir)
	cmd.WaitDelay = 5 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4 << 10}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", tool, err)
	}
	if err := cmd.Start(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("run %s: %w", tool, errPopplerMissing)
		}
		return nil, fmt.Errorf("run %s: %w", tool, err)
	}
	out, readErr := io.ReadAll(io.LimitReader(stdout, limit+1))
	if int64(len(out)) > limit {
		cancel() // kills the process
		_ = cmd.Wait()
		return nil, fmt.Errorf("%s output exceeds %d bytes: %w", tool, limit, errOutputTooBig)
	}
	waitErr := cmd.Wait()
	if err := parent.Err(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s did not finish within %s: %w", tool, opts.RenderTimeout, errPopplerTimeout)
	}
	if waitErr != nil {
		return nil, fmt.Errorf("%s: %w: %s", tool, waitErr, strings.TrimSpace(stderr.String()))
	}
	if readErr != nil {
		return nil, fmt.Errorf("read %s output: %w", tool, readErr)
	}
	return out, nil
}

// absPath makes path absolute, since poppler runs in opts.TempDir (and so
// that a name starting with "-" is not read as an option).
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

var (
	errOutputTooBig   = errors.New("output too large")
	errPopplerTimeout = errors.New("timed out")
)

// limitedWriter keeps the first n bytes written to it and drops the rest,
// so a noisy subprocess cannot grow memory through stderr.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// renderPage renders page n of the PDF at path with pdftoppm as PNM: gray
// (P5) when gray is set, else RGB (P6). pageW and pageH are the displayed
// page size in points (crop box, rotation applied), used to bound the
// output before it is read.
func renderPage(ctx context.Context, path string, n int, dpi int, gray bool, pageW, pageH float64, opts Options) (ocr.Image, error) {
	w := int(math.Ceil(pageW/72*float64(dpi))) + 2
	h := int(math.Ceil(pageH/72*float64(dpi))) + 2
	depth := int64(3)
	args := []string{"-f", strconv.Itoa(n), "-l", strconv.Itoa(n), "-r", strconv.Itoa(dpi), "-cropbox"}
	if gray {
		depth = 1
		args = append(args, "-gray")
	}
	args = append(args, absPath(path))
	out, err := runPoppler(ctx, opts, depth*int64(w)*int64(h)+64, "pdftoppm", args...)
	if err != nil {
		return ocr.Image{}, err
	}
	magic, pw, ph, maxval, off, err := parsePNMHeader(out)
	if err != nil {
		return ocr.Image{}, fmt.Errorf("pdftoppm output: %w", err)
	}
	if pw > w || ph > h || int64(len(out)-off) < pnmSize(magic, pw, ph, maxval) {
		return ocr.Image{}, fmt.Errorf("pdftoppm output is %d×%d, expected at most %d×%d with all pixels", pw, ph, w, h)
	}
	return ocr.Image{Data: out, Format: "pnm", Width: pw, Height: ph, DPI: float64(dpi)}, nil
}
