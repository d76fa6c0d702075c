package storage

import (
	"context"
	"time"
)

// Presigner is an object store that can hand a browser a URL to fetch an
// object straight from the store, a URL that stops working once its time
// is up: S3 has them, a local directory does not. Callers that find no
// Presigner stream the object through Get instead.
type Presigner interface {
	// PresignGet returns a URL that downloads the object under key until
	// expiry has passed, and is refused after. The download is served as
	// an attachment with opts' file name and content type. It returns
	// ErrNotFound if no object exists under key (checked before signing),
	// ErrUnavailable if the store cannot be reached, ErrInvalidKey if
	// CheckKey rejects the key. The URL carries credentials for that one
	// object: hand it only to whoever may download it.
	PresignGet(ctx context.Context, key string, expiry time.Duration, opts PresignOptions) (string, error)
}

// PresignOptions describe how a presigned download is served.
type PresignOptions struct {
	// Filename is the name the browser saves the file under; empty for
	// the last element of the key.
	Filename string
	// ContentType is the type the download is served with; empty for the
	// one recorded at Put time.
	ContentType string
}

// Presign limits: S3 signatures (SigV4) last at least a second and at most
// a week.
const (
	MinPresignExpiry = time.Second
	MaxPresignExpiry = 7 * 24 * time.Hour
)
