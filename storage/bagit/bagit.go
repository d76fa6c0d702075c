// Package bagit writes BagIt packages (RFC 8493, BagIt 1.0) serialized as
// one zip file, and checks them.
//
// A Writer streams: each payload file goes from its reader into the zip as
// it is read, hashed on the way, so a bag of any size needs memory only
// for its manifest lines. The tag files that need the whole payload
// (bag-info.txt with its Payload-Oxum, the manifests) are written last,
// which a zip allows since its directory is at the end.
//
// The package knows nothing of records or catalogs: it takes paths, sizes
// and readers.
package bagit

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Version is the BagIt version the Writer declares.
const Version = "1.0"

// ErrChecksum means a payload file's bytes did not hash to the sha256 its
// Entry declared.
var ErrChecksum = errors.New("payload checksum mismatch")

// Tag is one "Label: Value" line of bag-info.txt.
type Tag struct {
	Label, Value string
}

// Entry is one payload file.
type Entry struct {
	// Path is where the file goes, relative to data/; CheckPath must
	// accept it.
	Path string
	// Size is the exact byte count Body yields; -1 when not known. A Body
	// that yields another count fails Add.
	Size int64
	// Body is read to its end; the caller closes it.
	Body io.Reader
	// SHA256, when set, is the lowercase hex sha256 the bytes must have;
	// a mismatch fails Add with ErrChecksum.
	SHA256 string
	// Compress deflates the file in the zip: for text. Formats that are
	// compressed already (PDF, JPEG, PNG) are best stored as they are.
	Compress bool
}

// Summary describes a finished bag.
type Summary struct {
	// Files and Octets are the payload's file count and byte count, as in
	// Payload-Oxum.
	Files  int
	Octets int64
	// ManifestSHA256 is the sha256 of manifest-sha256.txt: one value
	// that pins every payload file.
	ManifestSHA256 string
}

type manifestLine struct {
	path string // relative to the bag's base directory, e.g. "data/x.pdf"
	sum  [sha256.Size]byte
}

// Writer writes one bag into a zip stream. It is not safe for concurrent
// use. After any error from Add or Close the output is not a valid bag and
// should be discarded.
type Writer struct {
	zw      *zip.Writer
	root    string
	info    []Tag
	now     time.Time
	bagit   []byte
	payload []manifestLine
	seen    map[string]bool
	octets  int64
	err     error
	closed  bool
}

// NewWriter starts a bag whose base directory inside the zip is root (one
// path segment CheckPath accepts; RFC 8493 §4 asks that it be the zip's
// name without ".zip"). info is written to bag-info.txt in order, followed
// by Bagging-Date (unless info has one) and Payload-Oxum. bagit.txt is
// written at once; nothing else of w is touched until Add.
func NewWriter(w io.Writer, root string, info []Tag, now time.Time) (*Writer, error) {
	if err := CheckPath(root); err != nil || strings.Contains(root, "/") {
		return nil, fmt.Errorf("bag base directory %q must be one safe path segment: %w", root, errors.Join(err, ErrUnsafePath))
	}
	for _, t := range info {
		if err := checkLabel(t.Label); err != nil {
			return nil, err
		}
		if strings.EqualFold(t.Label, "Payload-Oxum") {
			return nil, errors.New("bag-info.txt: Payload-Oxum is computed by the writer; do not pass it")
		}
	}
	bw := &Writer{
		zw: zip.NewWriter(w), root: root, info: info, now: now, seen: map[string]bool{},
		bagit: []byte("BagIt-Version: " + Version + "\nTag-File-Character-Encoding: UTF-8\n"),
	}
	if err := bw.writeTag("bagit.txt", bw.bagit); err != nil {
		return nil, err
	}
	return bw, nil
}

// checkLabel refuses labels that would not parse back: RFC 8493 §2.2.2
// forbids a colon and leading or trailing white space, and line breaks
// would start a new tag.
func checkLabel(l string) error {
	if l == "" || strings.TrimSpace(l) != l || strings.ContainsAny(l, ":\r\n") {
		return fmt.Errorf("bag-info.txt label %q: must be non-empty, without ':' or line breaks or surrounding spaces", l)
	}
	return nil
}

// Add streams one payload file into the bag.
func (w *Writer) Add(ctx context.Context, e Entry) error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return errors.New("bag already closed")
	}
	if err := CheckPath(e.Path); err != nil {
		return err // nothing written yet: the bag is still good
	}
	full := "data/" + e.Path
	if w.seen[full] {
		return fmt.Errorf("%s is already in the bag", full)
	}
	w.seen[full] = true
	method := zip.Store
	if e.Compress {
		method = zip.Deflate
	}
	zf, err := w.zw.CreateHeader(&zip.FileHeader{Name: w.root + "/" + full, Method: method, Modified: w.now})
	if err != nil {
		return w.fail(fmt.Errorf("start %s in the zip: %w", full, err))
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(zf, h), ctxReader{ctx, e.Body})
	if err != nil {
		return w.fail(fmt.Errorf("write %s: %w", full, err))
	}
	if e.Size >= 0 && n != e.Size {
		return w.fail(fmt.Errorf("write %s: read %d bytes, expected %d", full, n, e.Size))
	}
	var line manifestLine
	line.path = full
	h.Sum(line.sum[:0])
	if e.SHA256 != "" && hex.EncodeToString(line.sum[:]) != e.SHA256 {
		return w.fail(fmt.Errorf("%w: %s hashes to %x, expected %s", ErrChecksum, full, line.sum, e.SHA256))
	}
	w.payload = append(w.payload, line)
	w.octets += n
	return nil
}

// Close writes bag-info.txt, manifest-sha256.txt and tagmanifest-sha256.txt
// and the zip's directory. It does not close the underlying writer.
func (w *Writer) Close() (Summary, error) {
	if w.err != nil {
		return Summary{}, w.err
	}
	if w.closed {
		return Summary{}, errors.New("bag already closed")
	}
	w.closed = true

	var info bytes.Buffer
	dated := false
	for _, t := range w.info {
		writeTagLine(&info, t)
		dated = dated || strings.EqualFold(t.Label, "Bagging-Date")
	}
	if !dated {
		writeTagLine(&info, Tag{"Bagging-Date", w.now.Format("2006-01-02")})
	}
	writeTagLine(&info, Tag{"Payload-Oxum", fmt.Sprintf("%d.%d", w.octets, len(w.payload))})

	sort.Slice(w.payload, func(i, j int) bool { return w.payload[i].path < w.payload[j].path })
	var manifest bytes.Buffer
	for _, l := range w.payload {
		fmt.Fprintf(&manifest, "%x  %s\n", l.sum, encodePath(l.path))
	}

	tags := []struct {
		name string
		body []byte
	}{{"bagit.txt", w.bagit}, {"bag-info.txt", info.Bytes()}, {"manifest-sha256.txt", manifest.Bytes()}}
	var tagManifest bytes.Buffer
	for _, t := range tags {
		fmt.Fprintf(&tagManifest, "%x  %s\n", sha256.Sum256(t.body), t.name)
	}
	for _, t := range []struct {
		name string
		body []byte
	}{tags[1], tags[2], {"tagmanifest-sha256.txt", tagManifest.Bytes()}} {
		if err := w.writeTag(t.name, t.body); err != nil {
			return Summary{}, w.fail(err)
		}
	}
	if err := w.zw.Close(); err != nil {
		return Summary{}, w.fail(fmt.Errorf("finish the zip: %w", err))
	}
	return Summary{Files: len(w.payload), Octets: w.octets, ManifestSHA256: fmt.Sprintf("%x", sha256.Sum256(manifest.Bytes()))}, nil
}

// writeTagLine writes "Label: Value", the value's line breaks turned into
// spaces so it stays one tag.
func writeTagLine(b *bytes.Buffer, t Tag) {
	v := strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(t.Value)), " ")
	fmt.Fprintf(b, "%s: %s\n", t.Label, v)
}

func (w *Writer) writeTag(name string, body []byte) error {
	f, err := w.zw.CreateHeader(&zip.FileHeader{Name: w.root + "/" + name, Method: zip.Deflate, Modified: w.now})
	if err == nil {
		_, err = f.Write(body)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}

// ctxReader stops a long copy when the context is canceled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
