package s3

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Environment variables ConfigFromEnv reads. Validate names them in its
// messages, since that is what the operator has to fix.
const (
	EnvEndpoint  = "SOHOA_S3_ENDPOINT"
	EnvBucket    = "SOHOA_S3_BUCKET"
	EnvAccessKey = "SOHOA_S3_ACCESS_KEY"
	EnvSecretKey = "SOHOA_S3_SECRET_KEY"
	EnvRegion    = "SOHOA_S3_REGION"
	EnvInsecure  = "SOHOA_S3_INSECURE"
)

// Config locates an S3 bucket.
type Config struct {
	// Endpoint is the server's host:port ("minio.so-noivu.vn:9000"), or an
	// http:// or https:// URL without a path.
	Endpoint string
	Bucket   string
	// AccessKey and SecretKey come from the environment only.
	AccessKey string
	SecretKey string
	// Region is empty for MinIO and most self-hosted servers.
	Region string
	// Insecure talks plain HTTP instead of HTTPS, for a server on the
	// same machine or network. (It never disables certificate checks.)
	Insecure bool
	// MaxRetries bounds how often one request is tried when the server
	// cannot be reached; 0 keeps minio-go's default of 10, 1 fails at the
	// first error (tests of outages, callers with their own retry).
	MaxRetries int
}

// ConfigFromEnv reads the SOHOA_S3_* variables through getenv (os.Getenv in
// cmd/sohoa). It only parses; call Validate before use. IsZero on the result
// tells that none is set, meaning the local store should be used.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Endpoint:  strings.TrimSpace(getenv(EnvEndpoint)),
		Bucket:    strings.TrimSpace(getenv(EnvBucket)),
		AccessKey: getenv(EnvAccessKey),
		SecretKey: getenv(EnvSecretKey),
		Region:    strings.TrimSpace(getenv(EnvRegion)),
	}
	if v := strings.TrimSpace(getenv(EnvInsecure)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return cfg, fmt.Errorf("%s=%q is not true or false", EnvInsecure, v)
		}
		cfg.Insecure = b
	}
	return cfg, nil
}

// IsZero reports whether no S3 setting is given at all.
func (c Config) IsZero() bool { return c == Config{} }

// Validate reports every problem with c, each naming the environment
// variable to fix.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch {
	case c.Endpoint == "":
		var set []string
		for _, v := range []struct{ name, value string }{
			{EnvBucket, c.Bucket}, {EnvAccessKey, c.AccessKey}, {EnvSecretKey, c.SecretKey}, {EnvRegion, c.Region},
		} {
			if v.value != "" {
				set = append(set, v.name)
			}
		}
		if len(set) > 0 {
			add("%s is set but %s is empty: set it to the S3 server's host:port, or unset %[1]s to keep scans in the data folder",
				strings.Join(set, ", "), EnvEndpoint)
		} else {
			add("%s is empty: set it to the S3 server's host:port", EnvEndpoint)
		}
	default:
		if _, _, err := c.hostAndTLS(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.Endpoint != "" && c.Bucket == "" {
		add("%s is set but %s is empty", EnvEndpoint, EnvBucket)
	}
	if c.Bucket != "" {
		if err := s3utils.CheckValidBucketNameStrict(c.Bucket); err != nil {
			add("%s=%q is not a valid bucket name: use 3 to 63 lowercase letters, digits, dots and hyphens", EnvBucket, c.Bucket)
		}
	}
	switch {
	case c.Endpoint != "" && c.AccessKey == "" && c.SecretKey == "":
		add("%s is set but %s and %s are empty", EnvEndpoint, EnvAccessKey, EnvSecretKey)
	case c.AccessKey != "" && c.SecretKey == "":
		add("%s is set but %s is empty", EnvAccessKey, EnvSecretKey)
	case c.AccessKey == "" && c.SecretKey != "":
		add("%s is set but %s is empty", EnvSecretKey, EnvAccessKey)
	}
	if c.MaxRetries < 0 {
		add("MaxRetries %d is negative", c.MaxRetries)
	}
	return errors.Join(errs...)
}

// hostAndTLS splits Endpoint into the host:port minio-go wants and whether
// to use TLS.
func (c Config) hostAndTLS() (host string, secure bool, err error) {
	ep := c.Endpoint
	if !strings.Contains(ep, "://") {
		if strings.ContainsAny(ep, "/?#@ ") {
			return "", false, fmt.Errorf("%s=%q is not host:port or an http(s) URL", EnvEndpoint, ep)
		}
		return ep, !c.Insecure, nil
	}
	u, perr := url.Parse(ep)
	if perr != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return "", false, fmt.Errorf("%s=%q is not host:port or an http(s) URL without a path", EnvEndpoint, ep)
	}
	switch u.Scheme {
	case "http":
		return u.Host, false, nil
	case "https":
		if c.Insecure {
			return "", false, fmt.Errorf("%s=%q asks for https but %s is set: drop one of them", EnvEndpoint, ep, EnvInsecure)
		}
		return u.Host, true, nil
	default:
		return "", false, fmt.Errorf("%s=%q: scheme %q is not http or https", EnvEndpoint, ep, u.Scheme)
	}
}
