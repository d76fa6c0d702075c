package local_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"

	"sohoa/storage"
	"sohoa/storage/storagetest"
)

// TestWriteFailureIsUnavailable makes the disk refuse a Put half way by
// lowering the file size limit (RLIMIT_FSIZE; the Go runtime ignores
// SIGXFSZ, so the write fails with EFBIG), which even root cannot write
// past. The Put must report ErrUnavailable and leave nothing behind.
//
// The limit is process-wide, so this test does not run in parallel; the
// parallel tests of this package wait until it is done.
func TestWriteFailureIsUnavailable(t *testing.T) {
	s := open(t)
	storagetest.Put(t, s, "doc", []byte("kept"), "")

	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatal(err)
	}
	limited := old
	limited.Cur = 1 << 20
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &limited); err != nil {
		t.Skipf("cannot lower RLIMIT_FSIZE: %v", err)
	}
	content := storagetest.Content(1, 2<<20)
	_, err := s.Put(context.Background(), "doc", struct{ io.Reader }{bytes.NewReader(content)}, int64(len(content)),
		storage.PutOptions{SHA256: storagetest.Sum(content)})
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		t.Fatalf("restore RLIMIT_FSIZE: %v", err)
	}

	if !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, syscall.EFBIG) {
		t.Fatalf("Put past the file size limit: error = %v, want ErrUnavailable wrapping EFBIG", err)
	}
	var pe *os.PathError
	if !errors.As(err, &pe) {
		t.Errorf("error %v does not carry the path", err)
	}
	got, _ := storagetest.ReadObject(t, s, "doc")
	if string(got) != "kept" {
		t.Errorf("failed Put changed the object to %d bytes", len(got))
	}
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 2 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("store folder holds %q, want only doc and its sidecar", names)
	}
}
