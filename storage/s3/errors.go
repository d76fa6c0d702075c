package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/minio/minio-go/v7"

	"sohoa/storage"
)

// mapError turns a minio-go error into the storage sentinels, keeping the
// original in the chain for logs: a missing key is ErrNotFound, a server
// that cannot be reached, is failing or refuses our credentials is
// ErrUnavailable, a checksum the server rejected is ErrChecksum. Context
// errors pass through unchanged.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		switch {
		case resp.Code == minio.NoSuchKey || resp.Code == "NotFound":
			return fmt.Errorf("%w: %w", storage.ErrNotFound, err)
		case resp.Code == minio.BadDigest || resp.Code == minio.XAmzContentSHA256Mismatch ||
			resp.Code == "XAmzContentChecksumMismatch" || resp.Code == minio.InvalidDigest:
			return fmt.Errorf("%w: %w", storage.ErrChecksum, err)
		case resp.StatusCode >= 500,
			resp.StatusCode == http.StatusForbidden, resp.StatusCode == http.StatusUnauthorized,
			resp.StatusCode == http.StatusTooManyRequests,
			resp.Code == minio.NoSuchBucket, resp.Code == minio.AccessDenied,
			resp.Code == minio.InvalidAccessKeyID, resp.Code == minio.SignatureDoesNotMatch,
			resp.Code == minio.RequestTimeTooSkewed:
			return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
		}
		return err
	}
	var netErr net.Error
	if errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err)
	}
	return err
}

// notFound reports whether err is minio-go's answer for a missing object.
func notFound(err error) bool {
	var resp minio.ErrorResponse
	return errors.As(err, &resp) && (resp.Code == minio.NoSuchKey || resp.Code == "NotFound")
}
