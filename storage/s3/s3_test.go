package s3_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"sohoa/storage"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
	"sohoa/storage/storagetest"
)

func TestMain(m *testing.M) {
	m.Run()
	s3test.StopShared()
}

func open(t *testing.T, cfg s3.Config) *s3.Store {
	t.Helper()
	s, err := s3.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// rawClient talks to the server behind the store's back.
func rawClient(t *testing.T, cfg s3.Config) *minio.Client {
	t.Helper()
	c, err := minio.New(cfg.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSuite(t *testing.T) {
	srv := s3test.Shared(t)
	storagetest.RunSuite(t, func(t *testing.T) storage.Objects { return open(t, srv.Config(t)) })
}

func TestOpenCreatesBucket(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	cfg := srv.Config(t)
	ctx := context.Background()
	raw := rawClient(t, cfg)
	if ok, err := raw.BucketExists(ctx, cfg.Bucket); err != nil || ok {
		t.Fatalf("bucket %s exists before Open: %v, %v", cfg.Bucket, ok, err)
	}
	s := open(t, cfg)
	if ok, err := raw.BucketExists(ctx, cfg.Bucket); err != nil || !ok {
		t.Fatalf("bucket %s missing after Open: %v, %v", cfg.Bucket, ok, err)
	}
	storagetest.Put(t, s, "k", []byte("x"), "")
	// Opening an existing bucket keeps its objects.
	again := open(t, cfg)
	if got, _ := storagetest.ReadObject(t, again, "k"); string(got) != "x" {
		t.Errorf("object lost on reopening the bucket: %q", got)
	}
}

// TestSHA256Recorded checks what the server holds: the hex sha256 as user
// metadata and the x-amz-checksum-sha256 it verified.
func TestSHA256Recorded(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	cfg := srv.Config(t)
	s := open(t, cfg)
	content := storagetest.Content(1, 1000)
	storagetest.Put(t, s, "scan", content, "image/png")

	oi, err := rawClient(t, cfg).StatObject(context.Background(), cfg.Bucket, "scan", minio.StatObjectOptions{Checksum: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := oi.UserMetadata["Sha256"]; got != storagetest.Sum(content) {
		t.Errorf("x-amz-meta-sha256 = %q, want %q (all: %v)", got, storagetest.Sum(content), oi.UserMetadata)
	}
	if oi.ChecksumSHA256 == "" {
		t.Errorf("the server recorded no x-amz-checksum-sha256")
	}
}

// TestGetDetectsReplacedContent replaces an object's bytes behind the
// store's back while keeping its sha256 metadata: reading it through the
// store fails with ErrChecksum.
func TestGetDetectsReplacedContent(t *testing.T) {
	t.Parallel()
	srv := s3test.Shared(t)
	cfg := srv.Config(t)
	s := open(t, cfg)
	content := storagetest.Content(2, 1000)
	storagetest.Put(t, s, "scan", content, "")
	other := storagetest.Content(3, 1000)
	_, err := rawClient(t, cfg).PutObject(context.Background(), cfg.Bucket, "scan", bytes.NewReader(other), int64(len(other)),
		minio.PutObjectOptions{UserMetadata: map[string]string{"sha256": storagetest.Sum(content)}})
	if err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Get(context.Background(), "scan")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, storage.ErrChecksum) {
		t.Errorf("reading replaced content: error = %v, want ErrChecksum", err)
	}
}

// TestPutSeekerWithoutSHA256 covers hashing a seekable reader before the
// upload, starting from its current offset.
func TestPutSeekerWithoutSHA256(t *testing.T) {
	t.Parallel()
	s := open(t, s3test.Shared(t).Config(t))
	content := storagetest.Content(4, 3000)
	r := bytes.NewReader(content)
	r.Seek(1000, io.SeekStart)
	info, err := s.Put(context.Background(), "tail", r, 1500, storage.PutOptions{})
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	want := content[1000:2500]
	storagetest.CheckInfo(t, "Put", info, "tail", want, storage.DefaultContentType)
	got, ginfo := storagetest.ReadObject(t, s, "tail")
	if !bytes.Equal(got, want) {
		t.Errorf("Get returned other bytes than the 1500 after offset 1000")
	}
	storagetest.CheckInfo(t, "Get", ginfo, "tail", want, storage.DefaultContentType)
}

func TestWrongCredentialsUnavailable(t *testing.T) {
	t.Parallel()
	cfg := s3test.Shared(t).Config(t)
	cfg.SecretKey = "not-the-secret"
	_, err := s3.Open(context.Background(), cfg)
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Open with a wrong secret key: error = %v, want ErrUnavailable", err)
	}
}

// TestServerDown stops the server under an open store: every operation
// reports ErrUnavailable, and once the server is back the data is there.
func TestServerDown(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	cfg := srv.Config(t)
	s := open(t, cfg)
	content := []byte("hồ sơ")
	storagetest.Put(t, s, "kept", content, "text/plain")

	srv.Stop()
	ctx := context.Background()
	checks := []struct {
		op  string
		err error
	}{
		{"Put", func() error {
			_, err := s.Put(ctx, "new", bytes.NewReader(content), int64(len(content)), storage.PutOptions{SHA256: storagetest.Sum(content)})
			return err
		}()},
		{"Get", func() error {
			rc, _, err := s.Get(ctx, "kept")
			if err == nil {
				rc.Close()
			}
			return err
		}()},
		{"Stat", func() error { _, err := s.Stat(ctx, "kept"); return err }()},
		{"Delete", s.Delete(ctx, "kept")},
		{"List", s.List(ctx, "", func(storage.ObjectInfo) error { return nil })},
		{"Open", func() error { _, err := s3.Open(ctx, cfg); return err }()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, storage.ErrUnavailable) {
			t.Errorf("%s with the server stopped: error = %v, want ErrUnavailable", c.op, c.err)
		}
		t.Logf("%s: %v", c.op, c.err)
	}

	srv.Restart()
	got, info := storagetest.ReadObject(t, s, "kept")
	if !bytes.Equal(got, content) {
		t.Errorf("after restart Get = %q, want %q", got, content)
	}
	storagetest.CheckInfo(t, "Get after restart", info, "kept", content, "text/plain")
}

func TestValidate(t *testing.T) {
	t.Parallel()
	good := s3.Config{Endpoint: "minio.local:9000", Bucket: "sohoa", AccessKey: "ak", SecretKey: "sk"}
	tests := []struct {
		name string
		edit func(*s3.Config)
		want []string // substrings of the error, none for valid
	}{
		{"complete", func(*s3.Config) {}, nil},
		{"http URL", func(c *s3.Config) { c.Endpoint = "http://10.0.0.5:9000" }, nil},
		{"https URL", func(c *s3.Config) { c.Endpoint = "https://s3.example.vn/" }, nil},
		{"empty", func(c *s3.Config) { *c = s3.Config{} }, []string{"SOHOA_S3_ENDPOINT is empty"}},
		{"no endpoint", func(c *s3.Config) { c.Endpoint = "" },
			[]string{"SOHOA_S3_BUCKET, SOHOA_S3_ACCESS_KEY, SOHOA_S3_SECRET_KEY is set but SOHOA_S3_ENDPOINT is empty"}},
		{"no bucket", func(c *s3.Config) { c.Bucket = "" }, []string{"SOHOA_S3_ENDPOINT is set but SOHOA_S3_BUCKET is empty"}},
		{"bad bucket", func(c *s3.Config) { c.Bucket = "Hồ_Sơ" }, []string{`SOHOA_S3_BUCKET="Hồ_Sơ" is not a valid bucket name`}},
		{"no keys", func(c *s3.Config) { c.AccessKey, c.SecretKey = "", "" },
			[]string{"SOHOA_S3_ENDPOINT is set but SOHOA_S3_ACCESS_KEY and SOHOA_S3_SECRET_KEY are empty"}},
		{"no secret", func(c *s3.Config) { c.SecretKey = "" }, []string{"SOHOA_S3_ACCESS_KEY is set but SOHOA_S3_SECRET_KEY is empty"}},
		{"no access key", func(c *s3.Config) { c.AccessKey = "" }, []string{"SOHOA_S3_SECRET_KEY is set but SOHOA_S3_ACCESS_KEY is empty"}},
		{"endpoint with path", func(c *s3.Config) { c.Endpoint = "http://minio.local:9000/sohoa" }, []string{"SOHOA_S3_ENDPOINT=", "without a path"}},
		{"host with path", func(c *s3.Config) { c.Endpoint = "minio.local:9000/sohoa" }, []string{"SOHOA_S3_ENDPOINT=", "not host:port"}},
		{"ftp", func(c *s3.Config) { c.Endpoint = "ftp://minio.local" }, []string{`scheme "ftp"`}},
		{"https but insecure", func(c *s3.Config) { c.Endpoint = "https://minio.local"; c.Insecure = true },
			[]string{"asks for https but SOHOA_S3_INSECURE is set"}},
		{"several at once", func(c *s3.Config) { c.Bucket, c.SecretKey = "", "" },
			[]string{"SOHOA_S3_BUCKET is empty", "SOHOA_S3_SECRET_KEY is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.edit(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Validate(%+v) = %v, want nil", cfg, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate(%+v) = nil, want an error mentioning %q", cfg, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"SOHOA_S3_ENDPOINT":   " minio.local:9000 ",
		"SOHOA_S3_BUCKET":     "sohoa",
		"SOHOA_S3_ACCESS_KEY": "ak",
		"SOHOA_S3_SECRET_KEY": "sk",
		"SOHOA_S3_REGION":     "vn-north-1",
		"SOHOA_S3_INSECURE":   "true",
	}
	cfg, err := s3.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := s3.Config{Endpoint: "minio.local:9000", Bucket: "sohoa", AccessKey: "ak", SecretKey: "sk", Region: "vn-north-1", Insecure: true}
	if cfg != want {
		t.Errorf("ConfigFromEnv = %+v, want %+v", cfg, want)
	}

	env["SOHOA_S3_INSECURE"] = "maybe"
	if _, err := s3.ConfigFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "SOHOA_S3_INSECURE") {
		t.Errorf("ConfigFromEnv with SOHOA_S3_INSECURE=maybe: error = %v", err)
	}

	none, err := s3.ConfigFromEnv(func(string) string { return "" })
	if err != nil || !none.IsZero() {
		t.Errorf("ConfigFromEnv of an empty environment = %+v, %v; want the zero Config", none, err)
	}
}
