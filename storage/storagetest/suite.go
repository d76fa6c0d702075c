// Package storagetest is the contract test suite every storage.Objects
// implementation passes: the local directory store and the S3 store run the
// same checks.
package storagetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"sohoa/storage"
)

// LargeSize is the size of the object the suite streams through Put and Get.
// It is above the S3 store's 16 MiB part size, so the S3 implementation goes
// through a multipart upload.
const LargeSize = 20 << 20

// RunSuite runs the contract suite. newStore returns an empty store for one
// subtest; it is called once per subtest, possibly in parallel, and should
// register its own cleanup with t.Cleanup.
func RunSuite(t *testing.T, newStore func(t *testing.T) storage.Objects) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s storage.Objects)
	}{
		{"PutGetRoundTrip", testPutGetRoundTrip},
		{"PutComputesSHA256", testPutComputesSHA256},
		{"EmptyObject", testEmptyObject},
		{"ChecksumMismatch", testChecksumMismatch},
		{"ChecksumMismatchKeepsPrevious", testChecksumMismatchKeepsPrevious},
		{"MalformedSHA256", testMalformedSHA256},
		{"ShortContent", testShortContent},
		{"ExtraContentNotRead", testExtraContentNotRead},
		{"NotFound", testNotFound},
		{"PrefixIsNotAnObject", testPrefixIsNotAnObject},
		{"DeleteIdempotent", testDeleteIdempotent},
		{"Overwrite", testOverwrite},
		{"ListPrefixOrder", testListPrefixOrder},
		{"ListEarlyStop", testListEarlyStop},
		{"ConcurrentPutsSameKey", testConcurrentPutsSameKey},
		{"LargeObjectStreamed", testLargeObjectStreamed},
		{"LargeObjectChecksumMismatch", testLargeObjectChecksumMismatch},
		{"ContextCanceled", testContextCanceled},
		{"ContextCanceledMidPut", testContextCanceledMidPut},
		{"NestedKeys", testNestedKeys},
		{"InvalidKeys", testInvalidKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// Sum returns the lowercase hex sha256 of b.
func Sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Content returns n deterministic pseudo-random bytes for seed.
func Content(seed uint64, n int) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// onlyReader hides every method but Read, so stores cannot seek, rewind or
// read at offsets: what a scanner's upload stream looks like.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// Put stores content under key with its sha256 declared and fails t if it
// does not succeed.
func Put(t testing.TB, s storage.Objects, key string, content []byte, contentType string) storage.ObjectInfo {
	t.Helper()
	info, err := s.Put(context.Background(), key, onlyReader{bytes.NewReader(content)}, int64(len(content)),
		storage.PutOptions{ContentType: contentType, SHA256: Sum(content)})
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

// ReadObject gets key and reads it to the end, failing t on any error
// (including the reader's own checksum verification).
func ReadObject(t testing.TB, s storage.Objects, key string) ([]byte, storage.ObjectInfo) {
	t.Helper()
	rc, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b, info
}

// CheckInfo fails t if info does not describe content stored under key
// with contentType.
func CheckInfo(t testing.TB, what string, info storage.ObjectInfo, key string, content []byte, contentType string) {
	t.Helper()
	if info.Key != key {
		t.Errorf("%s: Key = %q, want %q", what, info.Key, key)
	}
	if info.Size != int64(len(content)) {
		t.Errorf("%s: Size = %d, want %d", what, info.Size, len(content))
	}
	if info.SHA256 != Sum(content) {
		t.Errorf("%s: SHA256 = %q, want %q", what, info.SHA256, Sum(content))
	}
	if info.ContentType != contentType {
		t.Errorf("%s: ContentType = %q, want %q", what, info.ContentType, contentType)
	}
	// Clocks of a remote store and its resolution (S3: seconds) vary; the
	// time only has to be plausible.
	if d := time.Since(info.ModTime); d < -time.Minute || d > time.Hour {
		t.Errorf("%s: ModTime = %v, want about now", what, info.ModTime)
	}
}

func wantNotFound(t *testing.T, s storage.Objects, key string) {
	t.Helper()
	if _, err := s.Stat(context.Background(), key); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Stat(%q) error = %v, want ErrNotFound", key, err)
	}
	rc, _, err := s.Get(context.Background(), key)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
	}
}

// readSum reads the object under key and returns its sha256 in hex.
func readSum(t *testing.T, s storage.Objects, key string) string {
	t.Helper()
	rc, _, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func listKeys(t *testing.T, s storage.Objects, prefix string) []string {
	t.Helper()
	var keys []string
	err := s.List(context.Background(), prefix, func(info storage.ObjectInfo) error {
		keys = append(keys, info.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return keys
}

func testPutGetRoundTrip(t *testing.T, s storage.Objects) {
	content := Content(1, 64<<10)
	key := storage.OriginalKey(Sum(content))
	info := Put(t, s, key, content, "image/tiff")
	CheckInfo(t, "Put", info, key, content, "image/tiff")

	got, ginfo := ReadObject(t, s, key)
	if !bytes.Equal(got, content) {
		t.Errorf("Get returned %d bytes that differ from the %d put", len(got), len(content))
	}
	CheckInfo(t, "Get", ginfo, key, content, "image/tiff")

	sinfo, err := s.Stat(context.Background(), key)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	CheckInfo(t, "Stat", sinfo, key, content, "image/tiff")
	if !sinfo.ModTime.Equal(ginfo.ModTime) {
		t.Errorf("Stat ModTime %v differs from Get ModTime %v", sinfo.ModTime, ginfo.ModTime)
	}
}

func testPutComputesSHA256(t *testing.T, s storage.Objects) {
	content := Content(2, 5000)
	info, err := s.Put(context.Background(), "computed", onlyReader{bytes.NewReader(content)}, int64(len(content)), storage.PutOptions{})
	if err != nil {
		t.Fatalf("Put without SHA256: %v", err)
	}
	CheckInfo(t, "Put", info, "computed", content, storage.DefaultContentType)
	sinfo, err := s.Stat(context.Background(), "computed")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	CheckInfo(t, "Stat", sinfo, "computed", content, storage.DefaultContentType)
}

func testEmptyObject(t *testing.T, s storage.Objects) {
	info := Put(t, s, "empty", nil, "text/plain")
	CheckInfo(t, "Put", info, "empty", nil, "text/plain")
	got, ginfo := ReadObject(t, s, "empty")
	if len(got) != 0 {
		t.Errorf("Get returned %d bytes, want 0", len(got))
	}
	CheckInfo(t, "Get", ginfo, "empty", nil, "text/plain")
}

func testChecksumMismatch(t *testing.T, s storage.Objects) {
	content := Content(3, 10000)
	wrong := Sum(append([]byte("x"), content...))
	_, err := s.Put(context.Background(), "bad", onlyReader{bytes.NewReader(content)}, int64(len(content)),
		storage.PutOptions{SHA256: wrong})
	if !errors.Is(err, storage.ErrChecksum) {
		t.Fatalf("Put with a wrong sha256: error = %v, want ErrChecksum", err)
	}
	wantNotFound(t, s, "bad")
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after a rejected Put = %q, want nothing (no temporary files either)", keys)
	}
}

func testChecksumMismatchKeepsPrevious(t *testing.T, s storage.Objects) {
	good := Content(4, 3000)
	Put(t, s, "scan", good, "image/png")
	bad := Content(5, 3000)
	_, err := s.Put(context.Background(), "scan", onlyReader{bytes.NewReader(bad)}, int64(len(bad)),
		storage.PutOptions{ContentType: "image/jpeg", SHA256: Sum(good)})
	if !errors.Is(err, storage.ErrChecksum) {
		t.Fatalf("Put with a wrong sha256 over an object: error = %v, want ErrChecksum", err)
	}
	got, info := ReadObject(t, s, "scan")
	if !bytes.Equal(got, good) {
		t.Errorf("a rejected Put changed the object already stored")
	}
	CheckInfo(t, "Get", info, "scan", good, "image/png")
}

func testMalformedSHA256(t *testing.T, s storage.Objects) {
	content := []byte("hello")
	for _, sum := range []string{"abc", "ABCDEF" + Sum(content)[6:], Sum(content) + "00"} {
		_, err := s.Put(context.Background(), "malformed", onlyReader{bytes.NewReader(content)}, int64(len(content)),
			storage.PutOptions{SHA256: sum})
		if err == nil {
			t.Errorf("Put with SHA256 %q succeeded, want an error", sum)
		}
	}
	wantNotFound(t, s, "malformed")
}

func testShortContent(t *testing.T, s storage.Objects) {
	content := Content(6, 1000)
	_, err := s.Put(context.Background(), "short", onlyReader{bytes.NewReader(content)}, 2000, storage.PutOptions{})
	if err == nil {
		t.Fatal("Put of 1000 bytes declared as 2000 succeeded")
	}
	if errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("short content reported as the store being unavailable: %v", err)
	}
	wantNotFound(t, s, "short")
}

func testExtraContentNotRead(t *testing.T, s storage.Objects) {
	content := Content(7, 1000)
	info, err := s.Put(context.Background(), "prefix", onlyReader{bytes.NewReader(content)}, 600,
		storage.PutOptions{SHA256: Sum(content[:600])})
	if err != nil {
		t.Fatalf("Put of the first 600 of 1000 bytes: %v", err)
	}
	CheckInfo(t, "Put", info, "prefix", content[:600], storage.DefaultContentType)
	got, _ := ReadObject(t, s, "prefix")
	if !bytes.Equal(got, content[:600]) {
		t.Errorf("Get returned %d bytes, want the first 600 put", len(got))
	}
}

func testNotFound(t *testing.T, s storage.Objects) {
	wantNotFound(t, s, "missing")
	wantNotFound(t, s, "originals/sha256/"+Sum(nil))
}

func testPrefixIsNotAnObject(t *testing.T, s storage.Objects) {
	Put(t, s, "folder/object", []byte("x"), "")
	wantNotFound(t, s, "folder")
	if err := s.Delete(context.Background(), "folder"); err != nil {
		t.Errorf("Delete of a key that is only a prefix: %v", err)
	}
	if got, _ := ReadObject(t, s, "folder/object"); string(got) != "x" {
		t.Errorf("Delete(%q) damaged %q", "folder", "folder/object")
	}
}

func testDeleteIdempotent(t *testing.T, s storage.Objects) {
	ctx := context.Background()
	if err := s.Delete(ctx, "never-stored"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	Put(t, s, "doomed", []byte("bye"), "")
	for i := range 2 {
		if err := s.Delete(ctx, "doomed"); err != nil {
			t.Errorf("Delete #%d: %v", i+1, err)
		}
	}
	wantNotFound(t, s, "doomed")
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after Delete = %q, want nothing", keys)
	}
}

func testOverwrite(t *testing.T, s storage.Objects) {
	v1, v2 := Content(8, 4000), Content(9, 2500)
	Put(t, s, "doc", v1, "image/tiff")
	info := Put(t, s, "doc", v2, "application/pdf")
	CheckInfo(t, "second Put", info, "doc", v2, "application/pdf")
	got, ginfo := ReadObject(t, s, "doc")
	if !bytes.Equal(got, v2) {
		t.Errorf("Get after overwrite did not return the second content")
	}
	CheckInfo(t, "Get", ginfo, "doc", v2, "application/pdf")
	if keys := listKeys(t, s, ""); !slices.Equal(keys, []string{"doc"}) {
		t.Errorf("List after overwrite = %q, want [doc]", keys)
	}
}

func testListPrefixOrder(t *testing.T, s storage.Objects) {
	// Put out of order; "a-b" sorts before "a/1" ('-' < '/') although a
	// directory walk would visit the folder "a" first.
	keys := []string{"b", "a/b/c", "ab", "a/2", "a-b", "a/1", "a0"}
	contents := map[string][]byte{}
	for i, k := range keys {
		contents[k] = Content(uint64(100+i), 10+i)
		Put(t, s, k, contents[k], "text/plain")
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-b", "a/1", "a/2", "a/b/c", "a0", "ab", "b"}},
		{"a", []string{"a-b", "a/1", "a/2", "a/b/c", "a0", "ab"}},
		{"a/", []string{"a/1", "a/2", "a/b/c"}},
		{"a/b", []string{"a/b/c"}},
		{"a/b/", []string{"a/b/c"}},
		{"a/b/c", []string{"a/b/c"}},
		{"b", []string{"b"}},
		{"c", nil},
		{"a/x/", nil},
		{"../", nil},
	}
	for _, tt := range tests {
		var got []string
		err := s.List(context.Background(), tt.prefix, func(info storage.ObjectInfo) error {
			got = append(got, info.Key)
			CheckInfo(t, fmt.Sprintf("List(%q)", tt.prefix), info, info.Key, contents[info.Key], "text/plain")
			return nil
		})
		if err != nil {
			t.Errorf("List(%q): %v", tt.prefix, err)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
}

func testListEarlyStop(t *testing.T, s storage.Objects) {
	for i := range 5 {
		Put(t, s, fmt.Sprintf("page/%02d", i), []byte{byte(i)}, "")
	}
	stop := errors.New("enough")
	var got []string
	err := s.List(context.Background(), "page/", func(info storage.ObjectInfo) error {
		got = append(got, info.Key)
		if len(got) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("List error = %v, want the error fn returned", err)
	}
	if want := []string{"page/00", "page/01"}; !slices.Equal(got, want) {
		t.Errorf("List called fn for %q, want %q then stop", got, want)
	}
}

func testConcurrentPutsSameKey(t *testing.T, s storage.Objects) {
	const writers = 6
	contents := make([][]byte, writers)
	bySum := map[string][]byte{}
	for i := range contents {
		contents[i] = Content(uint64(200+i), 32<<10+i*100)
		bySum[Sum(contents[i])] = contents[i]
	}
	ctx := context.Background()
	Put(t, s, "contended", contents[0], "")

	// Readers run while the writers replace the object: every Get must
	// return one complete version together with its own metadata.
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				rc, info, err := s.Get(ctx, "contended")
				if err != nil {
					t.Errorf("Get during concurrent Puts: %v", err)
					return
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Errorf("read during concurrent Puts: %v", err)
					return
				}
				if Sum(b) != info.SHA256 || int64(len(b)) != info.Size {
					t.Errorf("Get returned %d bytes hashing to %s with info for %d bytes hashing to %s",
						len(b), Sum(b), info.Size, info.SHA256)
					return
				}
			}
		})
	}

	var writersWG sync.WaitGroup
	for i := range writers {
		writersWG.Go(func() {
			for range 3 {
				c := contents[i]
				if _, err := s.Put(ctx, "contended", onlyReader{bytes.NewReader(c)}, int64(len(c)),
					storage.PutOptions{SHA256: Sum(c)}); err != nil {
					t.Errorf("concurrent Put #%d: %v", i, err)
				}
			}
		})
	}
	writersWG.Wait()
	close(done)
	readers.Wait()

	got, info := ReadObject(t, s, "contended")
	want, ok := bySum[Sum(got)]
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("after concurrent Puts the object is none of the versions written")
	}
	CheckInfo(t, "Get", info, "contended", want, storage.DefaultContentType)
	if keys := listKeys(t, s, ""); !slices.Equal(keys, []string{"contended"}) {
		t.Errorf("List after concurrent Puts = %q, want [contended]", keys)
	}
}

// generator streams LargeSize deterministic bytes without holding them,
// hashing as it goes, so the large-object tests measure the store's
// streaming rather than the test's memory.
type generator struct {
	r    *rand.ChaCha8
	left int64
}

func newGenerator(seed byte, n int64) *generator {
	var s [32]byte
	s[0] = seed
	return &generator{r: rand.NewChaCha8(s), left: n}
}

func (g *generator) Read(p []byte) (int, error) {
	if g.left == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n, _ := g.r.Read(p)
	g.left -= int64(n)
	return n, nil
}

func generatedSum(seed byte, n int64) string {
	h := sha256.New()
	io.Copy(h, newGenerator(seed, n))
	return hex.EncodeToString(h.Sum(nil))
}

func testLargeObjectStreamed(t *testing.T, s storage.Objects) {
	sum := generatedSum(1, LargeSize)
	key := storage.OriginalKey(sum)
	info, err := s.Put(context.Background(), key, newGenerator(1, LargeSize), LargeSize,
		storage.PutOptions{ContentType: "image/tiff", SHA256: sum})
	if err != nil {
		t.Fatalf("Put of %d bytes: %v", LargeSize, err)
	}
	if info.Size != LargeSize || info.SHA256 != sum {
		t.Errorf("Put = size %d sha256 %s, want %d %s", info.Size, info.SHA256, LargeSize, sum)
	}
	rc, ginfo, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); n != LargeSize || got != sum {
		t.Errorf("Get returned %d bytes hashing to %s, want %d hashing to %s", n, got, LargeSize, sum)
	}
	if ginfo.Size != LargeSize || ginfo.SHA256 != sum || ginfo.ContentType != "image/tiff" {
		t.Errorf("Get info = %+v", ginfo)
	}
}

func testLargeObjectChecksumMismatch(t *testing.T, s storage.Objects) {
	_, err := s.Put(context.Background(), "large-bad", newGenerator(2, LargeSize), LargeSize,
		storage.PutOptions{SHA256: generatedSum(3, LargeSize)})
	if !errors.Is(err, storage.ErrChecksum) {
		t.Fatalf("Put of %d bytes with a wrong sha256: error = %v, want ErrChecksum", LargeSize, err)
	}
	wantNotFound(t, s, "large-bad")
}

func testContextCanceled(t *testing.T, s storage.Objects) {
	Put(t, s, "present", []byte("x"), "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	if _, err := s.Put(ctx, "after-cancel", bytes.NewReader([]byte("x")), 1, storage.PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a canceled context: error = %v, want context.Canceled", err)
	}
	if rc, _, err := s.Get(ctx, "present"); !errors.Is(err, context.Canceled) {
		if err == nil {
			rc.Close()
		}
		t.Errorf("Get with a canceled context: error = %v, want context.Canceled", err)
	}
	if _, err := s.Stat(ctx, "present"); !errors.Is(err, context.Canceled) {
		t.Errorf("Stat with a canceled context: error = %v, want context.Canceled", err)
	}
	called := false
	err := s.List(ctx, "", func(storage.ObjectInfo) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("List with a canceled context: error = %v, want context.Canceled", err)
	}
	if called {
		t.Errorf("List with a canceled context called fn")
	}
	wantNotFound(t, s, "after-cancel")
}

// cancelingReader cancels its context once after bytes have been read, as
// a clerk pressing Ctrl-C in the middle of an upload would.
type cancelingReader struct {
	r      io.Reader
	after  int64
	read   int64
	cancel context.CancelFunc
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += int64(n)
	if c.read >= c.after {
		c.cancel()
	}
	return n, err
}

func testContextCanceledMidPut(t *testing.T, s storage.Objects) {
	for _, size := range []int64{256 << 10, LargeSize} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			key := fmt.Sprintf("interrupted-%d", size)
			r := &cancelingReader{r: newGenerator(4, size), after: size / 2, cancel: cancel}
			want := generatedSum(4, size)
			info, err := s.Put(ctx, key, r, size, storage.PutOptions{SHA256: want})
			switch {
			case errors.Is(err, context.Canceled):
				wantNotFound(t, s, key)
			case err == nil:
				// A network store may have received every byte before the
				// cancel reached it; then the object must be whole.
				if info.SHA256 != want || info.Size != size {
					t.Errorf("Put canceled half way succeeded with %+v, want size %d sha256 %s", info, size, want)
				}
				if got := readSum(t, s, key); got != want {
					t.Errorf("Put canceled half way stored sha256 %s, want %s", got, want)
				}
			default:
				t.Errorf("Put canceled half way: error = %v, want context.Canceled (or success with the whole object)", err)
			}
		})
	}
}

func testNestedKeys(t *testing.T, s storage.Objects) {
	scan := Content(10, 2000)
	pdf := Content(11, 3000)
	deep := Content(12, 10)
	keys := map[string][]byte{
		storage.OriginalKey(Sum(scan)): scan,
		storage.ArchiveKey(Sum(scan)):  pdf,
		"x/y/z/w/v/u":                  deep,
		"tỉnh/Hà Nội/hồ sơ 1.pdf":      deep,
	}
	for k, c := range keys {
		Put(t, s, k, c, "")
	}
	for k, c := range keys {
		got, info := ReadObject(t, s, k)
		if !bytes.Equal(got, c) {
			t.Errorf("Get(%q) returned other content", k)
		}
		CheckInfo(t, "Get", info, k, c, storage.DefaultContentType)
	}
	if got := listKeys(t, s, "originals/"); !slices.Equal(got, []string{storage.OriginalKey(Sum(scan))}) {
		t.Errorf("List(originals/) = %q", got)
	}
	if got := listKeys(t, s, "tỉnh/"); !slices.Equal(got, []string{"tỉnh/Hà Nội/hồ sơ 1.pdf"}) {
		t.Errorf("List(tỉnh/) = %q", got)
	}
}

func testInvalidKeys(t *testing.T, s storage.Objects) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "../escape", "a/../../b", "a//b", "a/", "./a", ".hidden", "a/.meta", `a\b`, "a\x00b"} {
		if _, err := s.Put(ctx, key, bytes.NewReader([]byte("x")), 1, storage.PutOptions{}); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Put(%q) error = %v, want ErrInvalidKey", key, err)
		}
		if _, _, err := s.Get(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Get(%q) error = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Stat(%q) error = %v, want ErrInvalidKey", key, err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, storage.ErrInvalidKey) {
			t.Errorf("Delete(%q) error = %v, want ErrInvalidKey", key, err)
		}
	}
	if keys := listKeys(t, s, ""); len(keys) != 0 {
		t.Errorf("List after invalid Puts = %q, want nothing", keys)
	}
}
