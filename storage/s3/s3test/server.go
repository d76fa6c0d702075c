// Package s3test runs a real MinIO server on loopback for tests: a free
// port, a temporary data folder, throwaway credentials.
//
// The minio binary is looked up on PATH, then in $GOBIN and
// $(go env GOPATH)/bin, where `make setup` installs it
// (go install github.com/minio/minio@<pinned version>). Without it tests skip, or fail
// when CI=true, so a CI run never passes by skipping.
//
// Most tests share one server per test binary (Shared) and tell themselves
// apart by bucket (Server.Config picks a fresh one). A test that stops the
// server to see an outage starts its own (Start). A package using Shared
// stops it at the end from TestMain:
//
//	func TestMain(m *testing.M) {
//		m.Run()
//		s3test.StopShared()
//	}
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sohoa/storage/s3"
)

// readyTimeout bounds how long a starting server may take to answer its
// health check; MinIO usually needs well under a second.
const readyTimeout = 30 * time.Second

// Server is a MinIO server process listening on 127.0.0.1.
type Server struct {
	// Endpoint is host:port, for s3.Config.Endpoint with Insecure set.
	Endpoint  string
	AccessKey string
	SecretKey string

	bin     string
	dataDir string     // holds data/ and certs/; removed when done
	tb      testing.TB // the owner for Start, nil for the shared server

	mu   sync.Mutex
	proc *process // nil while stopped
	log  *tailBuffer
}

// process is one run of the minio binary.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, valid after done
}

// Start starts a MinIO server for t alone and stops it, removing its data,
// when t ends. Use it when the test stops or restarts the server; otherwise
// Shared is faster.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := findBinary(t)
	s, err := newServer(bin)
	if err != nil {
		t.Fatalf("start minio: %v", err)
	}
	s.tb = t
	t.Cleanup(s.close)
	return s
}

var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Shared returns the test binary's shared MinIO server, starting it on
// first use. Tests must not Stop or Restart it. StopShared ends it.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin := findBinary(t)
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv == nil && shared.err == nil {
		shared.srv, shared.err = newServer(bin)
	}
	if shared.err != nil {
		t.Fatalf("start shared minio: %v", shared.err)
	}
	return shared.srv
}

// StopShared stops the shared server, if one was started, and removes its
// data. Call it from TestMain after m.Run.
func StopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.srv != nil {
		shared.srv.close()
		shared.srv = nil
	}
}

var bucketSeq atomic.Int64

// Config returns the settings of a bucket no other test uses (it does not
// exist yet: s3.Open creates it). Requests are not retried, so a stopped
// server is reported at once.
func (s *Server) Config(t testing.TB) s3.Config {
	t.Helper()
	return s3.Config{
		Endpoint:   s.Endpoint,
		Bucket:     bucketName(t.Name(), bucketSeq.Add(1)),
		AccessKey:  s.AccessKey,
		SecretKey:  s.SecretKey,
		Insecure:   true,
		MaxRetries: 1,
	}
}

// URL returns the server's base URL.
func (s *Server) URL() string { return "http://" + s.Endpoint }

// Stop stops the server (an outage) and waits for it to exit; its data
// stays for Restart. Stopping a stopped server does nothing. It fails the
// test that started the server if the process cannot be ended.
func (s *Server) Stop() {
	s.mustOwn("stopped")
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopLocked(); err != nil {
		s.tb.Fatalf("stop minio: %v", err)
	}
}

// Restart starts the server again, stopping it first if it runs, on the
// same port with the same data and credentials, and waits until it
// answers. It fails the test that started the server if it does not come
// back.
func (s *Server) Restart() {
	s.mustOwn("restarted")
	s.tb.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopLocked(); err != nil {
		s.tb.Fatalf("restart minio: %v", err)
	}
	if err := s.startLocked(); err != nil {
		s.tb.Fatalf("restart minio: %v", err)
	}
}

func (s *Server) mustOwn(what string) {
	if s.tb == nil {
		panic("s3test: the shared server cannot be " + what + ": other tests use it; start one with s3test.Start")
	}
}

func newServer(bin string) (*Server, error) {
	dir, err := os.MkdirTemp("", "sohoa-minio-*")
	if err != nil {
		return nil, err
	}
	s := &Server{
		AccessKey: "sohoa-" + randomHex(4),
		SecretKey: randomHex(16),
		bin:       bin,
		dataDir:   dir,
		log:       &tailBuffer{max: 64 << 10},
	}
	// The port is free when picked but could be taken before minio binds
	// it; then minio exits and another port is tried.
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.Endpoint = net.JoinHostPort("127.0.0.1", port)
		s.mu.Lock()
		err = s.startLocked()
		s.mu.Unlock()
		if err == nil {
			return s, nil
		}
		if attempt == 2 || !errors.Is(err, errExited) {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

var errExited = errors.New("minio exited before it was ready")

func (s *Server) startLocked() error {
	cmd := exec.Command(s.bin, "server",
		"--address", s.Endpoint,
		"--certs-dir", filepath.Join(s.dataDir, "certs"),
		"--quiet",
		filepath.Join(s.dataDir, "data"))
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CALLHOME_ENABLE=off",
	)
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	p, err := startProcess(cmd)
	if err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	s.proc = p
	if err := waitReady(s.URL(), p); err != nil {
		s.stopLocked()
		return fmt.Errorf("%w\nminio output:\n%s", err, s.log.String())
	}
	return nil
}

// waitReady polls the liveness endpoint until the server is live and
// initialized, the process exits, or readyTimeout passes.
func waitReady(baseURL string, p *process) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/minio/health/live", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			// MinIO answers 200 as soon as it listens, and says in a
			// header when its object layer is not initialized yet.
			if resp.StatusCode == http.StatusOK && resp.Header.Get("X-Minio-Server-Status") == "" {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w: %v", errExited, p.err)
		case <-ctx.Done():
			return fmt.Errorf("minio at %s not live after %v", baseURL, readyTimeout)
		case <-tick.C:
		}
	}
}

// stopLocked asks minio to shut down, kills it if it takes too long, and
// waits for it to exit.
func (s *Server) stopLocked() error {
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	select {
	case <-p.done:
		return nil
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.done
	return nil
}

func (s *Server) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	os.RemoveAll(s.dataDir)
}

// findBinary returns the minio binary, or skips t (fails it under CI=true)
// when there is none.
func findBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	} else if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "minio")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := fmt.Sprintf("minio server binary not found on PATH or in %s: run `make setup`, which builds it with go install github.com/minio/minio",
		strings.Join(dirs, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing part fails instead of skipping)")
	}
	t.Skip(msg)
	return ""
}

func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// bucketName turns a test name into a valid, unique bucket name.
func bucketName(testName string, seq int64) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
	}
	name := strings.Trim(b.String(), "-")
	suffix := fmt.Sprintf("-%d-%s", seq, randomHex(2))
	if len(name) > 63-len(suffix)-1 {
		name = strings.TrimRight(name[:63-len(suffix)-1], "-")
	}
	return "t" + name + suffix
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
