// Package s3 keeps objects in a bucket of any S3 server through minio-go:
// MinIO on the office network, or a cloud provider.
//
// Every object carries its hex sha256 as the user metadata "sha256", so
// Stat, Get and List report it without reading the content, and the server
// verifies an x-amz-checksum-sha256 of every request body on upload (see
// Put).
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sohoa/storage"
	"sohoa/storage/internal/digest"
)

var _ storage.Objects = (*Store)(nil)

// metaSHA256 is the user metadata key (x-amz-meta-sha256) holding the hex
// sha256 of the content.
const metaSHA256 = "sha256"

// Store is a bucket on an S3 server. It is safe for concurrent use.
type Store struct {
	client *minio.Client
	core   minio.Core
	bucket string
}

// Open connects to the bucket cfg names, creating the bucket if it does not
// exist yet. It returns ErrUnavailable if the server cannot be reached or
// refuses the credentials.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	host, secure, _ := cfg.hostAndTLS()
	client, err := minio.New(host, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: secure,
		Region: cfg.Region,
		// Needed for Checksum on uploads: the sha256 travels as a trailer
		// after the streamed body.
		TrailingHeaders: true,
		MaxRetries:      cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("open s3 bucket %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	s := &Store{client: client, core: minio.Core{Client: client}, bucket: cfg.Bucket}
	if err := s.ensureBucket(ctx, cfg.Region); err != nil {
		return nil, fmt.Errorf("open s3 bucket %s at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	return s, nil
}

func (s *Store) ensureBucket(ctx context.Context, region string) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return mapError(err)
	}
	if exists {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if resp := minio.ToErrorResponse(err); resp.Code == minio.BucketAlreadyOwnedByYou {
		return nil // another process created it meanwhile
	}
	return mapError(err)
}

// Bucket returns the bucket's name.
func (s *Store) Bucket() string { return s.bucket }

// Get implements storage.Objects with one GET request; the returned reader
// verifies the content against the recorded sha256.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	body, oi, _, err := s.core.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, mapError(err))
	}
	info := objectInfo(oi)
	info.Key = key
	return digest.ReadCloser{Reader: digest.NewReader(body, info.Size, info.SHA256), Closer: body}, info, nil
}

// Stat implements storage.Objects.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := storage.CheckKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	oi, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, mapError(err))
	}
	info := objectInfo(oi)
	info.Key = key
	return info, nil
}

// Delete implements storage.Objects. S3 answers a delete of a missing key
// with success, which is the contract.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("delete %s: %w", key, mapError(err))
	}
	return nil
}

// List implements storage.Objects. S3 lists keys in byte order. Listings
// ask for metadata (a MinIO extension); on servers that ignore it, List
// falls back to one Stat per object.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	if !storage.PrefixMayMatch(prefix) {
		return nil
	}
	// Cancelling stops minio-go's listing goroutine when fn stops early.
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for oi := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{
		Prefix:       prefix,
		Recursive:    true,
		WithMetadata: true,
	}) {
		if oi.Err != nil {
			return fmt.Errorf("list %q: %w", prefix, mapError(oi.Err))
		}
		info := listedInfo(oi)
		if info.SHA256 == "" || info.ContentType == "" {
			var err error
			info, err = s.Stat(ctx, oi.Key)
			if err != nil {
				if errors.Is(err, storage.ErrNotFound) {
					continue // deleted since the listing
				}
				return fmt.Errorf("list %q: %w", prefix, err)
			}
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	return nil
}

// objectInfo converts what a GET or HEAD reports.
func objectInfo(oi minio.ObjectInfo) storage.ObjectInfo {
	return storage.ObjectInfo{
		Key:         oi.Key,
		Size:        oi.Size,
		ContentType: oi.ContentType,
		SHA256:      metaValue(oi.UserMetadata, metaSHA256),
		ModTime:     oi.LastModified,
	}
}

// listedInfo converts a listing entry. MinIO's metadata listing carries the
// user metadata with its x-amz-meta- prefix and the content type among it.
func listedInfo(oi minio.ObjectInfo) storage.ObjectInfo {
	info := storage.ObjectInfo{
		Key:         oi.Key,
		Size:        oi.Size,
		ContentType: oi.ContentType,
		SHA256:      metaValue(oi.UserMetadataStripped, metaSHA256),
		ModTime:     oi.LastModified,
	}
	if info.ContentType == "" {
		info.ContentType = metaValue(oi.UserMetadata, "content-type")
	}
	return info
}

func metaValue(m map[string]string, name string) string {
	for k, v := range m {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
