// Package storage declares the object store that keeps the untouched
// originals and the archival copies: content-addressed keys, sha256 checked
// on the way in and reported on the way out.
//
// Implementations: storage/local (a directory, the embedded default) and
// storage/s3 (any S3 server through minio-go). Both pass the contract suite
// in storage/storagetest.
package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors every implementation maps its own failures to. Callers test them
// with errors.Is.
var (
	// ErrNotFound means no object exists under the key.
	ErrNotFound = errors.New("object not found")
	// ErrChecksum means the bytes stored do not hash to the sha256 the
	// caller declared; nothing is left under the key.
	ErrChecksum = errors.New("object checksum mismatch")
	// ErrUnavailable means the store could not be reached or refused to
	// work (server down, disk full, permission); the operation may succeed
	// when retried later.
	ErrUnavailable = errors.New("object store unavailable")
)

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key         string
	Size        int64
	ContentType string
	// SHA256 is the lowercase hex sha256 of the content as the store
	// recorded it at Put time.
	SHA256  string
	ModTime time.Time
}

// DefaultContentType is recorded when PutOptions.ContentType is empty.
const DefaultContentType = "application/octet-stream"

// PutOptions describe the object being written.
type PutOptions struct {
	// ContentType is reported back by Get, Stat and List;
	// DefaultContentType if empty.
	ContentType string
	// SHA256 is the lowercase hex sha256 the caller computed. Put verifies
	// the bytes against it and returns ErrChecksum on a mismatch.
	SHA256 string
}

// Objects is an object store. Keys are slash-separated paths such as
// "originals/sha256/<hex>". Implementations are safe for concurrent use.
type Objects interface {
	// Put stores size bytes from r under key, atomically: a reader never
	// sees a partial object, and a failed Put leaves no object behind. A
	// Put whose context is canceled fails with context.Canceled, unless
	// the store had already received every byte: then the object is
	// stored whole and Put succeeds.
	// Writing the same key again replaces it. Put returns ErrChecksum if
	// opts.SHA256 is set and the bytes differ, ErrUnavailable if the store
	// cannot be reached, ErrInvalidKey if CheckKey rejects the key. It reads
	// exactly size bytes: a reader that ends early fails the Put.
	Put(ctx context.Context, key string, r io.Reader, size int64, opts PutOptions) (ObjectInfo, error)
	// Get opens the object for reading. The caller closes the reader. It
	// returns ErrNotFound if the key does not exist. The reader hashes what
	// it returns and, instead of io.EOF, returns ErrChecksum if the content
	// does not match the recorded sha256.
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
	// Stat describes the object without reading it; ErrNotFound if absent.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// Delete removes the object. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every object whose key starts with prefix, in key
	// order, and stops at the first error fn returns.
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
}

// OriginalKey is the content-addressed key of an original scan.
func OriginalKey(sha256hex string) string { return "originals/sha256/" + sha256hex }

// ArchiveKey is the key of the archival PDF made from the original with the
// given sha256, kept next to it.
func ArchiveKey(sha256hex string) string { return "archives/sha256/" + sha256hex + ".pdf" }
