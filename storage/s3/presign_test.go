package s3_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"testing"
	"time"

	"sohoa/storage"
	"sohoa/storage/s3/s3test"
)

// TestPresignGet downloads an original through a presigned URL from the
// real MinIO server, with the name the clerk gave it, and sees the same
// URL refused once its second is up.
func TestPresignGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := open(t, s3test.Shared(t).Config(t))
	body := []byte("%PDF-1.7 quyết định giao đất\n")
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	key := storage.OriginalKey(hexSum)
	if _, err := st.Put(ctx, key, bytes.NewReader(body), int64(len(body)), storage.PutOptions{ContentType: "application/pdf", SHA256: hexSum}); err != nil {
		t.Fatal(err)
	}

	expiry := 2 * time.Second
	signed := time.Now()
	u, err := st.PresignGet(ctx, key, expiry, storage.PresignOptions{Filename: "Quyết định 86.pdf", ContentType: "application/pdf"})
	if err != nil {
		t.Fatalf("PresignGet: %v", err)
	}
	status, got, header := fetch(t, u)
	if status != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("presigned GET: %d, %q; want 200 and the original %q", status, got, body)
	}
	if _, params, err := mime.ParseMediaType(header.Get("Content-Disposition")); err != nil || params["filename"] != "Quyết định 86.pdf" {
		t.Errorf("Content-Disposition %q (%v): want an attachment named Quyết định 86.pdf", header.Get("Content-Disposition"), err)
	}
	if ct := header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q, want application/pdf", ct)
	}

	// The server refuses the URL once expiry has passed: poll past it.
	deadline := signed.Add(expiry + 15*time.Second)
	for {
		status, _, _ = fetch(t, u)
		if status == http.StatusForbidden {
			break
		}
		if status != http.StatusOK {
			t.Fatalf("presigned GET after %s: %d, want 200 then 403", time.Since(signed), status)
		}
		if time.Now().After(deadline) {
			t.Fatalf("presigned URL for %s still works %s after signing", expiry, time.Since(signed))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if elapsed := time.Since(signed); elapsed < expiry-time.Second {
		t.Errorf("presigned URL refused after %s, before its %s were up", elapsed, expiry)
	}

	if _, err := st.PresignGet(ctx, storage.OriginalKey(hex.EncodeToString(make([]byte, 32))), time.Minute, storage.PresignOptions{}); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("PresignGet of a missing key: %v, want ErrNotFound", err)
	}
}

func fetch(t *testing.T, u string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}
