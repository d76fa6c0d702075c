package dashboard

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
)

// TestOriginalFromS3 keeps the originals in a real MinIO server: the
// record page offers a short-lived link, which redirects to a presigned
// URL that downloads the untouched original; the plain download streams
// it through serve. Both are logged.
func TestOriginalFromS3(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	st, err := s3.Open(context.Background(), srv.Config(t))
	if err != nil {
		t.Fatal(err)
	}
	e := seedEvidence(t, st)
	base := fmt.Sprintf("%s/records/%d", e.srv.URL, e.done.ID)

	if _, page := request(t, base, "kiem.toan"); !strings.Contains(string(page), fmt.Sprintf(`href="/records/%d/original?presign=1"`, e.done.ID)) {
		t.Error("the record page of an S3 store offers no presigned link")
	}
	resp, _ := request(t, base+"/original?presign=1", "kiem.toan")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, srv.URL()+"/") || !strings.Contains(loc, "X-Amz-Expires=300") {
		t.Fatalf("presign: %d to %q, want 303 to a 5-minute URL of %s", resp.StatusCode, loc, srv.URL())
	}
	if got := resp.Header.Get(sha256Header); got != e.done.SHA256 {
		t.Errorf("presign redirect %s = %q, want %s", sha256Header, got, e.done.SHA256)
	}
	resp, body := request(t, loc, "")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, e.scan) || hexSHA(body) != e.done.SHA256 {
		t.Fatalf("presigned download: %d, %d bytes (sha256 %s); want the original, %s", resp.StatusCode, len(body), hexSHA(body), e.done.SHA256)
	}
	if _, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); params["filename"] != "Quyết định 86.png" {
		t.Errorf("presigned download Content-Disposition %q, want the clerk's file name", resp.Header.Get("Content-Disposition"))
	}

	resp, body = request(t, base+"/original", "kiem.toan")
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, e.scan) || resp.Header.Get(sha256Header) != e.done.SHA256 {
		t.Fatalf("streamed download from S3: %d, %d bytes, %s %q", resp.StatusCode, len(body), sha256Header, resp.Header.Get(sha256Header))
	}

	evs := accessEvents(t, e.db, e.done.ID)
	if len(evs) != 3 || evs[0].Action != actionView || evs[1].Action != actionDownload || evs[2].Action != actionDownload {
		t.Fatalf("access events %+v, want a view and two downloads", evs)
	}
	if d := details(t, evs[1]); d["presigned"] != true || d["sha256"] != e.done.SHA256 || d["expires"] == nil {
		t.Errorf("presigned download logged as %v, want presigned, the sha256 and when the link expires", d)
	}
	if d := details(t, evs[2]); d["presigned"] != nil || d["what"] != "original" {
		t.Errorf("streamed download logged as %v", d)
	}

	// Bytes replaced in the bucket behind the store's back, their
	// recorded sha256 left as it was: the store finds out only at the end
	// of the stream, and the download is cut rather than ended whole.
	cfg := srv.Config(t)
	cfg.Bucket = st.Bucket()
	raw, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Clone(e.scan)
	altered[len(altered)-10] ^= 0xff
	if _, err := raw.PutObject(context.Background(), cfg.Bucket, e.done.Original, bytes.NewReader(altered), int64(len(altered)),
		minio.PutObjectOptions{ContentType: "image/png", UserMetadata: map[string]string{"sha256": e.done.SHA256}}); err != nil {
		t.Fatal(err)
	}
	if n, whole := fetchWhole(t, base+"/original"); whole {
		t.Errorf("an original altered in the bucket downloaded whole (%d bytes)", n)
	}
}
