// Package digest checks object content against its sha256 while it streams,
// for the object store implementations.
package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	"sohoa/storage"
)

// CheckHex reports whether s is a lowercase hex sha256, the form
// storage.PutOptions.SHA256 and storage.ObjectInfo.SHA256 use.
func CheckHex(s string) error {
	if len(s) != sha256.Size*2 {
		return fmt.Errorf("sha256 %q is not 64 hex digits", s)
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("sha256 %q is not lowercase hex", s)
		}
	}
	return nil
}

// Reader reads exactly size bytes from an underlying reader and hashes them.
// If a sha256 was expected and the content does not match, the read that
// would deliver the last bytes fails with storage.ErrChecksum instead: a
// consumer that stores what it reads (an upload, a file) never receives the
// whole object, so it cannot commit a wrong one.
type Reader struct {
	r    io.Reader
	size int64
	want string // lowercase hex, or "" to only compute

	h   hash.Hash
	n   int64
	sum string
	err error // sticky: io.EOF once done, or the failure
}

// NewReader returns a Reader over size bytes of r, checked against want
// (lowercase hex sha256) unless want is empty.
func NewReader(r io.Reader, size int64, want string) *Reader {
	return &Reader{r: r, size: size, want: want, h: sha256.New()}
}

// Read implements io.Reader.
func (v *Reader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if v.n == v.size {
		return 0, v.finish()
	}
	if rest := v.size - v.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n == v.size {
		if ferr := v.finish(); ferr != io.EOF {
			return 0, ferr // withhold the last bytes
		}
		return n, nil
	}
	if err == io.EOF {
		v.err = fmt.Errorf("content ended after %d of %d bytes: %w", v.n, v.size, io.ErrUnexpectedEOF)
		return n, v.err
	}
	return n, err
}

func (v *Reader) finish() error {
	v.sum = hex.EncodeToString(v.h.Sum(nil))
	v.err = io.EOF
	if v.want != "" && v.sum != v.want {
		v.err = fmt.Errorf("%w: content hashes to sha256 %s, expected %s", storage.ErrChecksum, v.sum, v.want)
	}
	return v.err
}

// Sum returns the lowercase hex sha256 of the content once all size bytes
// have been read, "" before.
func (v *Reader) Sum() string { return v.sum }

// Err returns the error that ended reading, nil while reading or after a
// clean end. Implementations use it to tell a checksum or short-content
// failure apart from whatever the consumer wrapped it in.
func (v *Reader) Err() error {
	if v.err == io.EOF {
		return nil
	}
	return v.err
}

// ReadCloser is a Reader that closes the underlying object on Close; Get
// returns one so that every read is verified on the way out.
type ReadCloser struct {
	*Reader
	io.Closer
}
