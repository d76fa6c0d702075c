package s3

import (
	"context"
	"fmt"
	"mime"
	"net/url"
	"path"
	"time"

	"sohoa/storage"
)

var _ storage.Presigner = (*Store)(nil)

// PresignGet implements storage.Presigner with a SigV4 presigned GET. The
// object is looked up first, so a URL is never signed for nothing; the
// server itself refuses the URL once expiry has passed. Expiry is clamped
// to what SigV4 allows (storage.MinPresignExpiry to MaxPresignExpiry).
func (s *Store) PresignGet(ctx context.Context, key string, expiry time.Duration, opts storage.PresignOptions) (string, error) {
	if _, err := s.Stat(ctx, key); err != nil {
		return "", fmt.Errorf("presign: %w", err)
	}
	expiry = min(max(expiry, storage.MinPresignExpiry), storage.MaxPresignExpiry).Truncate(time.Second)
	name := opts.Filename
	if name == "" {
		name = path.Base(key)
	}
	params := url.Values{}
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disposition == "" {
		disposition = "attachment"
	}
	params.Set("response-content-disposition", disposition)
	if opts.ContentType != "" {
		params.Set("response-content-type", opts.ContentType)
	}
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, expiry, params)
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, mapError(err))
	}
	return u.String(), nil
}
