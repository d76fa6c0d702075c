package digest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"sohoa/storage"
	"sohoa/storage/internal/digest"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestReaderMatches(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte("hồ sơ "), 1000)
	for _, want := range []string{sum(content), ""} {
		r := digest.NewReader(iotest.OneByteReader(bytes.NewReader(content)), int64(len(content)), want)
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("ReadAll = %d bytes, %v", len(got), err)
		}
		if r.Sum() != sum(content) || r.Err() != nil {
			t.Errorf("Sum = %s, Err = %v", r.Sum(), r.Err())
		}
	}
}

// TestReaderWithholdsLastBytes is the property uploads rely on: with a
// wrong sha256 the consumer never receives all size bytes.
func TestReaderWithholdsLastBytes(t *testing.T) {
	t.Parallel()
	content := bytes.Repeat([]byte{7}, 10000)
	for _, chunk := range []int{1, 100, 4096, 20000} {
		r := digest.NewReader(bytes.NewReader(content), int64(len(content)), sum([]byte("other")))
		var got int
		buf := make([]byte, chunk)
		var err error
		for err == nil {
			var n int
			n, err = r.Read(buf)
			got += n
		}
		if got >= len(content) {
			t.Errorf("chunk %d: consumer received all %d bytes despite the mismatch", chunk, got)
		}
		if !errors.Is(err, storage.ErrChecksum) || !errors.Is(r.Err(), storage.ErrChecksum) {
			t.Errorf("chunk %d: error = %v, Err = %v; want ErrChecksum", chunk, err, r.Err())
		}
	}
}

func TestReaderShortAndLong(t *testing.T) {
	t.Parallel()
	short := digest.NewReader(bytes.NewReader([]byte("abc")), 5, "")
	if _, err := io.ReadAll(short); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("3 bytes read as 5: error = %v, want io.ErrUnexpectedEOF", err)
	}
	long := bytes.NewReader([]byte("abcdef"))
	got, err := io.ReadAll(digest.NewReader(long, 3, sum([]byte("abc"))))
	if err != nil || string(got) != "abc" {
		t.Errorf("first 3 of 6 bytes = %q, %v", got, err)
	}
	if long.Len() != 3 {
		t.Errorf("read %d bytes past size", 3-long.Len())
	}
	empty := digest.NewReader(bytes.NewReader(nil), 0, sum(nil))
	if got, err := io.ReadAll(empty); err != nil || len(got) != 0 {
		t.Errorf("empty = %q, %v", got, err)
	}
}

func TestCheckHex(t *testing.T) {
	t.Parallel()
	if err := digest.CheckHex(sum(nil)); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "abc", sum(nil) + "0", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "g" + sum(nil)[1:]} {
		if digest.CheckHex(bad) == nil {
			t.Errorf("CheckHex(%q) = nil", bad)
		}
	}
}
