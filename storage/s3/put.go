package s3

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/minio/minio-go/v7"

	"sohoa/storage"
	"sohoa/storage/internal/digest"
)

// Put implements storage.Objects. The content streams to the server
// without being held in memory (objects above 16 MiB go up as a multipart
// upload, one part buffered at a time), and is checked three ways:
//
//   - The server verifies an x-amz-checksum-sha256 for every request body
//     and rejects a body that does not match it, so nothing is corrupted in
//     transit. For a single PUT that is the sha256 of the object itself;
//     for each part of a multipart upload, minio-go computes the part's and
//     sends it as a trailer.
//   - The stream is hashed on its way to minio-go, and if it does not match
//     opts.SHA256 the read of its last bytes fails: minio-go aborts the PUT
//     or the multipart upload before completing it, so a wrong object never
//     becomes visible and an object already under the key survives.
//   - The checksum the server reports back for the stored object must equal
//     the one expected for the bytes sent (for multipart, the composite
//     sha256 of the part sha256s). Otherwise the object is deleted and Put
//     returns ErrChecksum.
//
// Without opts.SHA256 the sha256 is needed before the upload starts (it
// travels as metadata), so Put hashes the content first: it seeks back if r
// is an io.ReadSeeker, and otherwise spools r to a temporary file.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := storage.CheckKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put: %w", err)
	}
	if size < 0 {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: negative size %d", key, size)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	sum := opts.SHA256
	if sum != "" {
		if err := digest.CheckHex(sum); err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
	} else {
		var cleanup func()
		var err error
		r, sum, cleanup, err = prehash(ctx, r, size)
		if err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
		defer cleanup()
	}
	contentType := opts.ContentType
	if contentType == "" {
		contentType = storage.DefaultContentType
	}

	partSize := uploadPartSize(size)
	parts := newPartHasher(partSize)
	// The body stops at a cancel: minio-go would otherwise go on reading
	// it into the socket, and a server that receives it whole stores it.
	content := digest.NewReader(io.TeeReader(ctxReader{ctx, r}, parts), size, sum)
	putOpts := minio.PutObjectOptions{
		ContentType:  contentType,
		UserMetadata: map[string]string{metaSHA256: sum},
	}
	if size <= partSize {
		// One PUT: the server checks the body against the sha256 itself.
		raw, _ := hex.DecodeString(sum)
		putOpts.UserMetadata[minio.ChecksumSHA256.Key()] = base64.StdEncoding.EncodeToString(raw)
	} else {
		// Multipart: S3 has no whole-object sha256 for these; minio-go
		// sends each part's and the server checks every part.
		putOpts.Checksum = minio.ChecksumSHA256
		putOpts.PartSize = uint64(partSize)
	}
	up, err := s.client.PutObject(ctx, s.bucket, key, content, size, putOpts)
	if err != nil {
		switch cerr := content.Err(); {
		case ctx.Err() != nil:
			if info, ok := s.landed(ctx, key, size, sum, contentType); ok {
				return info, nil
			}
			err = ctx.Err()
		case cerr != nil:
			err = cerr // checksum mismatch or short content, whatever minio-go wrapped it in
		default:
			err = mapError(err)
		}
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}

	if want := parts.expected(size); up.ChecksumSHA256 != want {
		// The server stored something other than what was sent. Do not
		// leave it under the key.
		if derr := s.client.RemoveObject(context.WithoutCancel(ctx), s.bucket, key, minio.RemoveObjectOptions{}); derr != nil {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: %w: server reported x-amz-checksum-sha256 %q, expected %q; removing it failed too: %w",
				key, storage.ErrChecksum, up.ChecksumSHA256, want, mapError(derr))
		}
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w: server reported x-amz-checksum-sha256 %q, expected %q",
			key, storage.ErrChecksum, up.ChecksumSHA256, want)
	}
	mod := up.LastModified
	if mod.IsZero() {
		mod = time.Now() // S3 does not report it on PUT; Stat has the server's
	}
	return storage.ObjectInfo{Key: key, Size: size, ContentType: contentType, SHA256: sum, ModTime: mod}, nil
}

// landed reports whether a Put canceled by ctx reached the server whole
// all the same: a small body can be in the socket's buffers before the
// cancel, and the server then stores it, having checked its sha256. Such a
// Put did not fail: the object under key is the one asked for (same size,
// same sha256), and reporting an error would only make the caller store it
// again. Anything else is a failed Put, and the key holds what it held.
func (s *Store) landed(ctx context.Context, key string, size int64, sum, contentType string) (storage.ObjectInfo, bool) {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	oi, err := s.client.StatObject(sctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return storage.ObjectInfo{}, false
	}
	info := objectInfo(oi)
	if info.Size != size || info.SHA256 != sum {
		return storage.ObjectInfo{}, false
	}
	info.Key, info.ContentType = key, contentType
	return info, true
}

// uploadPartSize is the part size minio-go uses for an object of size bytes
// (16 MiB, larger for objects that would need more than 10000 parts).
// Objects up to that size go up in a single PUT.
func uploadPartSize(size int64) int64 {
	_, partSize, _, err := minio.OptimalPartInfo(size, 0)
	if err != nil || partSize <= 0 {
		return 16 << 20
	}
	return partSize
}

// partHasher computes the sha256 of each partSize slice of what is written
// to it, to predict the checksum the server reports for the upload.
type partHasher struct {
	partSize int64
	h        hash.Hash
	inPart   int64
	sums     []byte    // raw sha256 of each completed part
	wholeH   hash.Hash // sha256 of everything, for a single-PUT object
}

func newPartHasher(partSize int64) *partHasher {
	return &partHasher{partSize: partSize, h: sha256.New(), wholeH: sha256.New()}
}

func (p *partHasher) Write(b []byte) (int, error) {
	n := len(b)
	p.wholeH.Write(b)
	for len(b) > 0 {
		chunk := min(int64(len(b)), p.partSize-p.inPart)
		p.h.Write(b[:chunk])
		p.inPart += chunk
		b = b[chunk:]
		if p.inPart == p.partSize {
			p.sums = p.h.Sum(p.sums)
			p.h.Reset()
			p.inPart = 0
		}
	}
	return n, nil
}

// expected returns the x-amz-checksum-sha256 the server should report for
// an object of size bytes: the base64 sha256 of the content for a single
// PUT, and for a multipart upload the base64 sha256 of the concatenated
// part sha256s followed by "-<parts>".
func (p *partHasher) expected(size int64) string {
	if size <= p.partSize {
		return base64.StdEncoding.EncodeToString(p.wholeH.Sum(nil))
	}
	sums := p.sums
	if p.inPart > 0 {
		sums = p.h.Sum(sums)
	}
	composite := sha256.Sum256(sums)
	return base64.StdEncoding.EncodeToString(composite[:]) + "-" + strconv.Itoa(len(sums)/sha256.Size)
}

// prehash computes the sha256 of the next size bytes of r and returns a
// reader that yields them again.
func prehash(ctx context.Context, r io.Reader, size int64) (io.Reader, string, func(), error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		start, err := rs.Seek(0, io.SeekCurrent)
		if err == nil {
			h := digest.NewReader(rs, size, "")
			if _, err := io.Copy(io.Discard, ctxReader{ctx, h}); err != nil {
				return nil, "", nil, err
			}
			if _, err := rs.Seek(start, io.SeekStart); err != nil {
				return nil, "", nil, err
			}
			return rs, h.Sum(), func() {}, nil
		}
	}
	f, err := os.CreateTemp("", "sohoa-s3-put-*")
	if err != nil {
		return nil, "", nil, fmt.Errorf("spool content to hash it: %w", err)
	}
	cleanup := func() {
		f.Close()
		os.Remove(f.Name())
	}
	h := digest.NewReader(r, size, "")
	if _, err := io.Copy(f, ctxReader{ctx, h}); err != nil {
		cleanup()
		if herr := h.Err(); herr != nil {
			err = herr
		}
		return nil, "", nil, fmt.Errorf("spool content to hash it: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("spool content to hash it: %w", err)
	}
	// Hide os.File's ReadAt so minio-go streams it like any reader.
	return struct{ io.Reader }{f}, h.Sum(), cleanup, nil
}

// ctxReader stops a copy, or an upload's body, when ctx is done.
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
