package bagit_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"sohoa/storage/bagit"
)

var bagTime = time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)

// noise is size deterministic pseudo-random bytes, made as they are read.
func noise(seed uint64, size int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}), size)
}

type file struct {
	path     string
	body     []byte // nil: 3 MiB of noise(seed)
	seed     uint64
	compress bool
}

var sample = []file{
	{path: "records/1/original.pdf", body: []byte("%PDF-1.7 the untouched original\n")},
	{path: "records/1/record.json", body: []byte(`{"id":1,"subject":"Về việc giao đất"}` + "\n"), compress: true},
	{path: "records/2/original.tif", seed: 7},
	{path: "records/2/events.json", body: []byte("[]\n"), compress: true},
	{path: "empty.txt", body: []byte{}},
}

func (f file) reader() (io.Reader, int64) {
	if f.body == nil {
		return noise(f.seed, 3<<20), 3 << 20
	}
	return bytes.NewReader(f.body), int64(len(f.body))
}

// writeBag writes files as a bag and returns the zip.
func writeBag(t *testing.T, root string, files []file) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := bagit.NewWriter(&out, root, []bagit.Tag{
		{"Source-Organization", "UBND xã Tịnh Ấn Tây"},
		{"External-Description", "hồ sơ đất đai\nhai dòng"},
	}, bagTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		r, size := f.reader()
		if err := w.Add(context.Background(), bagit.Entry{Path: f.path, Size: size, Body: r, Compress: f.compress}); err != nil {
			t.Fatalf("add %s: %v", f.path, err)
		}
	}
	sum, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	var octets int64
	for _, f := range files {
		_, n := f.reader()
		octets += n
	}
	if sum.Files != len(files) || sum.Octets != octets {
		t.Errorf("summary %d files %d bytes, want %d files %d bytes", sum.Files, sum.Octets, len(files), octets)
	}
	return out.Bytes()
}

// unzip extracts a zip into a new folder and returns the folder.
func unzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the bag is not a readable zip: %v", err)
	}
	dir := t.TempDir()
	for _, f := range zr.File {
		if strings.Contains(f.Name, "..") || strings.HasPrefix(f.Name, "/") {
			t.Fatalf("unsafe zip entry %q", f.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc) // zip checks the CRC at EOF
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if err := os.WriteFile(dst, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// TestBagStructure checks the bag against RFC 8493 by hand, without the
// package's own validator: the files a bag must have, every manifest line
// recomputed from the extracted bytes, Payload-Oxum, the tag manifest.
func TestBagStructure(t *testing.T) {
	t.Parallel()
	dir := unzip(t, writeBag(t, "bag-test", sample))
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "bag-test" {
		t.Fatalf("zip top level: %v, want one folder bag-test", entries)
	}
	base := filepath.Join(dir, "bag-test")
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(base, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read("bagit.txt"); got != "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n" {
		t.Errorf("bagit.txt = %q", got)
	}

	manifest := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(read("manifest-sha256.txt"), "\n"), "\n") {
		sum, p, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 || !strings.HasPrefix(p, "data/") {
			t.Fatalf("manifest line %q", line)
		}
		manifest[p] = sum
	}
	var octets int64
	for _, f := range sample {
		r, _ := f.reader()
		want, _ := io.ReadAll(r)
		got := read("data/" + f.path)
		if got != string(want) {
			t.Errorf("data/%s: bytes differ from what was added", f.path)
		}
		if manifest["data/"+f.path] != sha(want) {
			t.Errorf("manifest: data/%s = %s, its sha256 is %s", f.path, manifest["data/"+f.path], sha(want))
		}
		octets += int64(len(want))
	}
	if len(manifest) != len(sample) {
		t.Errorf("manifest has %d lines, want %d", len(manifest), len(sample))
	}

	info := read("bag-info.txt")
	for _, want := range []string{
		"Source-Organization: UBND xã Tịnh Ấn Tây\n",
		"External-Description: hồ sơ đất đai hai dòng\n",
		"Bagging-Date: 2026-12-02\n",
		fmt.Sprintf("Payload-Oxum: %d.%d\n", octets, len(sample)),
	} {
		if !strings.Contains(info, want) {
			t.Errorf("bag-info.txt lacks %q:\n%s", want, info)
		}
	}

	tagSums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(read("tagmanifest-sha256.txt"), "\n"), "\n") {
		sum, p, _ := strings.Cut(line, "  ")
		tagSums[p] = sum
	}
	for _, name := range []string{"bagit.txt", "bag-info.txt", "manifest-sha256.txt"} {
		if tagSums[name] != sha([]byte(read(name))) {
			t.Errorf("tagmanifest: %s = %q, its sha256 is %s", name, tagSums[name], sha([]byte(read(name))))
		}
	}
	if len(tagSums) != 3 {
		t.Errorf("tagmanifest lists %d files, want 3: %v", len(tagSums), tagSums)
	}

	if err := bagit.Validate(context.Background(), os.DirFS(base)); err != nil {
		t.Errorf("Validate of the extracted bag: %v", err)
	}
}

func TestValidateZip(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "bag-test.zip")
	if err := os.WriteFile(name, writeBag(t, "bag-test", sample), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := bagit.ValidateZip(context.Background(), name); err != nil {
		t.Fatalf("ValidateZip: %v", err)
	}
}

// TestTamperingIsCaught changes an extracted bag in the ways a bag gets
// broken and checks each is reported, naming the file.
func TestTamperingIsCaught(t *testing.T) {
	t.Parallel()
	zipped := writeBag(t, "bag-test", sample)
	tests := []struct {
		name   string
		tamper func(base string) error
		want   string
	}{
		{"one payload byte flipped", func(base string) error {
			return flipByte(filepath.Join(base, "data/records/2/original.tif"), 1<<20)
		}, "data/records/2/original.tif has sha256"},
		{"one byte of a small file", func(base string) error {
			return flipByte(filepath.Join(base, "data/records/1/original.pdf"), 3)
		}, "data/records/1/original.pdf has sha256"},
		{"payload file deleted", func(base string) error {
			return os.Remove(filepath.Join(base, "data/records/1/record.json"))
		}, "data/records/1/record.json, which cannot be read"},
		{"file slipped in", func(base string) error {
			return os.WriteFile(filepath.Join(base, "data/records/1/extra.pdf"), []byte("x"), 0o644)
		}, "data/records/1/extra.pdf is in data/ but not in manifest-sha256.txt"},
		{"manifest edited to match a changed file", func(base string) error {
			p := filepath.Join(base, "data/empty.txt")
			if err := os.WriteFile(p, []byte("changed"), 0o644); err != nil {
				return err
			}
			return replaceIn(filepath.Join(base, "manifest-sha256.txt"), sha(nil), sha([]byte("changed")))
		}, "tagmanifest-sha256.txt: manifest-sha256.txt has sha256"},
		{"Payload-Oxum edited", func(base string) error {
			return replaceIn(filepath.Join(base, "bag-info.txt"), "Payload-Oxum: ", "Payload-Oxum: 1")
		}, "Payload-Oxum says"},
		{"bagit.txt gone", func(base string) error {
			return os.Remove(filepath.Join(base, "bagit.txt"))
		}, "bagit.txt is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := filepath.Join(unzip(t, zipped), "bag-test")
			if err := bagit.Validate(context.Background(), os.DirFS(base)); err != nil {
				t.Fatalf("untouched bag: %v", err)
			}
			if err := tt.tamper(base); err != nil {
				t.Fatal(err)
			}
			err := bagit.Validate(context.Background(), os.DirFS(base))
			var inv *bagit.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("Validate = %v, want *Invalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v\nwant a problem mentioning %q", err, tt.want)
			}
		})
	}
}

// TestTamperedZipIsCaught rewrites the zip with one payload byte changed
// (and a correct zip CRC, as a careful forger would) and checks
// ValidateZip reports it.
func TestTamperedZipIsCaught(t *testing.T) {
	t.Parallel()
	zipped := writeBag(t, "bag-test", sample)
	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == "bag-test/data/records/1/original.pdf" {
			b[0] ^= 1
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	name := filepath.Join(t.TempDir(), "bag-test.zip")
	os.WriteFile(name, out.Bytes(), 0o644)
	err = bagit.ValidateZip(context.Background(), name)
	if err == nil || !strings.Contains(err.Error(), "data/records/1/original.pdf has sha256") {
		t.Errorf("ValidateZip of a tampered zip = %v", err)
	}
}

func flipByte(name string, at int64) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, at); err != nil {
		return err
	}
	b[0] ^= 0x01
	_, err = f.WriteAt(b, at)
	return err
}

func replaceIn(name, old, new string) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if !bytes.Contains(b, []byte(old)) {
		return fmt.Errorf("%s has no %q", name, old)
	}
	return os.WriteFile(name, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644)
}

func TestAddRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		entry bagit.Entry
		is    error
	}{
		{"parent", bagit.Entry{Path: "../etc/passwd"}, bagit.ErrUnsafePath},
		{"nested parent", bagit.Entry{Path: "records/../../x"}, bagit.ErrUnsafePath},
		{"absolute", bagit.Entry{Path: "/etc/passwd"}, bagit.ErrUnsafePath},
		{"double slash", bagit.Entry{Path: "a//b"}, bagit.ErrUnsafePath},
		{"hidden", bagit.Entry{Path: "a/.git"}, bagit.ErrUnsafePath},
		{"backslash", bagit.Entry{Path: `a\b`}, bagit.ErrUnsafePath},
		{"not ASCII", bagit.Entry{Path: "quyết-định.pdf"}, bagit.ErrUnsafePath},
		{"space", bagit.Entry{Path: "a b.pdf"}, bagit.ErrUnsafePath},
		{"percent", bagit.Entry{Path: "100%.pdf"}, bagit.ErrUnsafePath},
		{"newline", bagit.Entry{Path: "a\nb"}, bagit.ErrUnsafePath},
		{"empty", bagit.Entry{Path: ""}, bagit.ErrUnsafePath},
		{"wrong sha256", bagit.Entry{Path: "a.pdf", Size: 3, Body: strings.NewReader("abc"), SHA256: sha([]byte("abd"))}, bagit.ErrChecksum},
		{"short body", bagit.Entry{Path: "a.pdf", Size: 4, Body: strings.NewReader("abc")}, nil},
		{"long body", bagit.Entry{Path: "a.pdf", Size: 2, Body: strings.NewReader("abc")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, err := bagit.NewWriter(io.Discard, "bag", nil, bagTime)
			if err != nil {
				t.Fatal(err)
			}
			err = w.Add(context.Background(), tt.entry)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Errorf("Add(%q) = %v, want an error wrapping %v", tt.entry.Path, err, tt.is)
			}
		})
	}

	t.Run("duplicate", func(t *testing.T) {
		w, _ := bagit.NewWriter(io.Discard, "bag", nil, bagTime)
		add := func() error {
			return w.Add(context.Background(), bagit.Entry{Path: "a.pdf", Size: 1, Body: strings.NewReader("a")})
		}
		if err := add(); err != nil {
			t.Fatal(err)
		}
		if err := add(); err == nil {
			t.Error("the same path added twice: no error")
		}
	})
	t.Run("bad root and labels", func(t *testing.T) {
		for _, root := range []string{"", "..", "a/b", "bag ok", "túi"} {
			if _, err := bagit.NewWriter(io.Discard, root, nil, bagTime); err == nil {
				t.Errorf("NewWriter(root %q): no error", root)
			}
		}
		for _, label := range []string{"", "A:B", " Lead", "Two\nLines", "Payload-Oxum"} {
			if _, err := bagit.NewWriter(io.Discard, "bag", []bagit.Tag{{label, "v"}}, bagTime); err == nil {
				t.Errorf("NewWriter(label %q): no error", label)
			}
		}
	})
	t.Run("canceled", func(t *testing.T) {
		w, _ := bagit.NewWriter(io.Discard, "bag", nil, bagTime)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := w.Add(ctx, bagit.Entry{Path: "a.tif", Size: 1 << 20, Body: noise(1, 1<<20)})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Add with a canceled context = %v", err)
		}
		if _, err := w.Close(); err == nil {
			t.Error("Close after a failed Add: no error")
		}
	})
}

// watchedReader fails if, when it is read, less than what it already gave
// (less a small buffer) has reached the output: Add must stream.
type watchedReader struct {
	r    io.Reader
	out  *countingWriter
	read int64
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var errNotStreaming = errors.New("not streaming")

func (w *watchedReader) Read(p []byte) (int, error) {
	if w.read-w.out.n > 256<<10 {
		return 0, fmt.Errorf("%w: %d bytes read, only %d written", errNotStreaming, w.read, w.out.n)
	}
	n, err := w.r.Read(p)
	w.read += int64(n)
	return n, err
}

func TestAddStreams(t *testing.T) {
	t.Parallel()
	out := &countingWriter{}
	w, err := bagit.NewWriter(out, "bag", nil, bagTime)
	if err != nil {
		t.Fatal(err)
	}
	const size = 64 << 20
	body := &watchedReader{r: noise(3, size), out: out}
	if err := w.Add(context.Background(), bagit.Entry{Path: "big.tif", Size: size, Body: body}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.n < size {
		t.Errorf("zip is %d bytes, smaller than its payload", out.n)
	}
}

// TestEncodedPaths checks a bag written by another tool with the names
// RFC 8493 §2.1.3 says must be percent-encoded in manifests.
func TestEncodedPaths(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	files := map[string]string{"data/100%.txt": "a", "data/two\nlines.txt": "b", "data/plain.txt": "c"}
	var manifest strings.Builder
	var octets int
	for name, body := range files {
		os.MkdirAll(filepath.Join(base, "data"), 0o755)
		os.WriteFile(filepath.Join(base, name), []byte(body), 0o644)
		enc := strings.NewReplacer("%", "%25", "\n", "%0A").Replace(name)
		fmt.Fprintf(&manifest, "%s  %s\n", sha([]byte(body)), enc)
		octets += len(body)
	}
	os.WriteFile(filepath.Join(base, "bagit.txt"), []byte("BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8\r\n"), 0o644)
	os.WriteFile(filepath.Join(base, "manifest-sha256.txt"), []byte(manifest.String()), 0o644)
	os.WriteFile(filepath.Join(base, "bag-info.txt"), []byte("Payload-Oxum: "+strconv.Itoa(octets)+".3\nExternal-Description: a long\n  continued value\n"), 0o644)
	if err := bagit.Validate(context.Background(), os.DirFS(base)); err != nil {
		t.Errorf("Validate of a bag with encoded paths: %v", err)
	}
	f, _ := os.Open(filepath.Join(base, "bag-info.txt"))
	defer f.Close()
	tags, err := bagit.Tags(f)
	if err != nil || len(tags) != 2 || tags[1].Value != "a long continued value" {
		t.Errorf("Tags = %v, %v", tags, err)
	}
}

// handBag is a bag written file by file, as another tool might: every
// file by its path in the bag, the manifests included.
type handBag map[string]string

var handPayload = map[string]string{
	"data/a.txt": "a", "data/sub/b.pdf": "%PDF-b", "data/100%.txt": "c", "data/two\nlines.txt": "d", "data/cr\rin.txt": "e",
}

// manifest lists paths of b with their sha256, paths encoded as RFC 8493
// §2.1.3 says, separated by sep.
func (b handBag) manifest(sep string, paths ...string) string {
	var out strings.Builder
	for _, p := range paths {
		fmt.Fprintf(&out, "%s%s%s\n", sha([]byte(b[p])), sep, strings.NewReplacer("%", "%25", "\n", "%0A", "\r", "%0D").Replace(p))
	}
	return out.String()
}

func (b handBag) payload() []string {
	var ps []string
	for p := range b {
		if strings.HasPrefix(p, "data/") {
			ps = append(ps, p)
		}
	}
	sort.Strings(ps)
	return ps
}

// seal rewrites tagmanifest-sha256.txt over every other tag file.
func (b handBag) seal() {
	var tags []string
	for p := range b {
		if !strings.HasPrefix(p, "data/") && !strings.HasPrefix(p, "tagmanifest-") {
			tags = append(tags, p)
		}
	}
	sort.Strings(tags)
	b["tagmanifest-sha256.txt"] = b.manifest("  ", tags...)
}

// newHandBag is a valid bag of handPayload, with a tag manifest.
func newHandBag() handBag {
	b := handBag{"bagit.txt": "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"}
	octets := 0
	for p, body := range handPayload {
		b[p] = body
		octets += len(body)
	}
	b["bag-info.txt"] = fmt.Sprintf("Source-Organization: UBND xã Tịnh Ấn Tây\nPayload-Oxum: %d.%d\n", octets, len(handPayload))
	b["manifest-sha256.txt"] = b.manifest("  ", b.payload()...)
	b.seal()
	return b
}

func (b handBag) write(t *testing.T) string {
	t.Helper()
	base := t.TempDir()
	for p, body := range b {
		full := filepath.Join(base, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// TestBrokenBags checks Validate against what RFC 8493 §3 asks of a
// valid bag, on bags written by hand: each way of breaking one is
// reported, and the forms the RFC allows (CR or CRLF line ends, tabs
// between checksum and path, no bag-info.txt) are not.
func TestBrokenBags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(b handBag)
		// seal re-seals the tag manifest after the change, so only the
		// problem under test is there to find.
		seal bool
		want string // "" for a valid bag
	}{
		{"untouched", func(handBag) {}, false, ""},
		{"CRLF and CR line ends", func(b handBag) {
			b["bagit.txt"] = "BagIt-Version: 1.0\r\nTag-File-Character-Encoding: UTF-8\r\n"
			b["manifest-sha256.txt"] = strings.ReplaceAll(b["manifest-sha256.txt"], "\n", "\r")
		}, true, ""},
		{"tab between checksum and path", func(b handBag) {
			b["manifest-sha256.txt"] = b.manifest("\t", b.payload()...)
		}, true, ""},
		{"no bag-info.txt and no tag manifest", func(b handBag) {
			delete(b, "bag-info.txt")
			delete(b, "tagmanifest-sha256.txt")
		}, false, ""},
		{"a second payload manifest", func(b handBag) {
			var m strings.Builder
			for _, p := range b.payload() {
				s := sha512.Sum512([]byte(b[p]))
				fmt.Fprintf(&m, "%x  %s\n", s, strings.NewReplacer("%", "%25", "\n", "%0A", "\r", "%0D").Replace(p))
			}
			b["manifest-sha512.txt"] = m.String()
		}, true, ""},

		{"bagit.txt with a byte order mark", func(b handBag) { b["bagit.txt"] = "\xef\xbb\xbf" + b["bagit.txt"] }, true, "byte order mark"},
		{"bagit.txt with a third line", func(b handBag) { b["bagit.txt"] += "Bag-Size: 1 kB\n" }, true, "has 3 lines, want exactly 2"},
		{"bagit.txt lines swapped", func(b handBag) {
			b["bagit.txt"] = "Tag-File-Character-Encoding: UTF-8\nBagIt-Version: 1.0\n"
		}, true, `line 1 is "Tag-File-Character-Encoding: UTF-8"`},
		{"bagit.txt version not M.N", func(b handBag) {
			b["bagit.txt"] = "BagIt-Version: 1\nTag-File-Character-Encoding: UTF-8\n"
		}, true, `want "BagIt-Version: M.N"`},
		{"bagit.txt value continued", func(b handBag) {
			b["bagit.txt"] = "BagIt-Version:\n 1.0\nTag-File-Character-Encoding: UTF-8\n"
		}, true, "has 3 lines"},
		{"bagit.txt in another encoding", func(b handBag) {
			b["bagit.txt"] = "BagIt-Version: 1.0\nTag-File-Character-Encoding: ISO-8859-1\n"
		}, true, "only UTF-8 is supported"},
		{"bagit.txt gone", func(b handBag) { delete(b, "bagit.txt") }, true, "bagit.txt is missing"},

		{"Payload-Oxum counts another file", func(b handBag) {
			b["bag-info.txt"] = strings.Replace(b["bag-info.txt"], fmt.Sprintf(".%d\n", len(handPayload)), fmt.Sprintf(".%d\n", len(handPayload)+1), 1)
		}, true, "Payload-Oxum says"},
		{"Payload-Oxum counts another byte", func(b handBag) {
			b["bag-info.txt"] = strings.Replace(b["bag-info.txt"], "Payload-Oxum: ", "Payload-Oxum: 1", 1)
		}, true, "Payload-Oxum says"},
		{"Payload-Oxum not OCTETS.COUNT", func(b handBag) {
			b["bag-info.txt"] = strings.Replace(b["bag-info.txt"], "Payload-Oxum: ", "Payload-Oxum: +", 1)
		}, true, "is not OCTETS.COUNT"},

		{"payload byte changed", func(b handBag) { b["data/a.txt"] = "b" }, true, "data/a.txt has sha256"},
		{"payload file gone", func(b handBag) { delete(b, "data/sub/b.pdf") }, true, "data/sub/b.pdf, which cannot be read"},
		{"payload file not in the manifest", func(b handBag) {
			b["data/sub/extra.txt"] = ""
			b["bag-info.txt"] = strings.Replace(b["bag-info.txt"], fmt.Sprintf(".%d\n", len(handPayload)), fmt.Sprintf(".%d\n", len(handPayload)+1), 1)
		}, true, "data/sub/extra.txt is in data/ but not in manifest-sha256.txt"},
		{"payload file not in the second manifest", func(b handBag) {
			b["manifest-md5.txt"] = fmt.Sprintf("%x  data/a.txt\n", md5.Sum([]byte("a")))
		}, true, "data/sub/b.pdf is in data/ but not in manifest-md5.txt"},
		{"newline in a path not encoded", func(b handBag) {
			b["manifest-sha256.txt"] = strings.Replace(b["manifest-sha256.txt"], "two%0Alines", "two\nlines", 1)
		}, true, "data/two\nlines.txt is in data/ but not in manifest-sha256.txt"},
		{"CR in a path not encoded", func(b handBag) {
			b["manifest-sha256.txt"] = strings.Replace(b["manifest-sha256.txt"], "cr%0Din", "cr\rin", 1)
		}, true, "data/cr\rin.txt is in data/ but not in manifest-sha256.txt"},
		{"%25 left for %", func(b handBag) {
			// "100%25.txt" names "100%.txt"; "100%2525.txt" names "100%25.txt", which is not there.
			b["manifest-sha256.txt"] = strings.Replace(b["manifest-sha256.txt"], "100%25.txt", "100%2525.txt", 1)
		}, true, "data/100%25.txt, which cannot be read"},
		{"path out of the bag", func(b handBag) {
			b["manifest-sha256.txt"] += sha([]byte("x")) + "  data/../../etc/passwd\n"
		}, true, "is not a clean relative path"},
		{"absolute path", func(b handBag) { b["manifest-sha256.txt"] += sha([]byte("x")) + "  /etc/passwd\n" }, true, "is not a clean relative path"},
		{"tag file in a payload manifest", func(b handBag) {
			b["manifest-sha256.txt"] += b.manifest("  ", "bagit.txt")
		}, true, "a payload manifest lists only files under data/"},
		{"line without a path", func(b handBag) { b["manifest-sha256.txt"] += sha(nil) + "\n" }, true, `want "checksum  path"`},
		{"checksum not hex", func(b handBag) { b["manifest-sha256.txt"] += "zz  data/a.txt\n" }, true, `want "checksum  path"`},
		{"file listed twice", func(b handBag) { b["manifest-sha256.txt"] += b.manifest("  ", "data/a.txt") }, true, "lists data/a.txt twice"},
		{"no payload manifest", func(b handBag) { delete(b, "manifest-sha256.txt") }, true, "there is no payload manifest"},
		{"no data/", func(b handBag) {
			for _, p := range b.payload() {
				delete(b, p)
			}
			b["manifest-sha256.txt"] = ""
		}, true, "the payload directory data/ is missing"},
		{"unsupported algorithm", func(b handBag) { b["manifest-crc32.txt"] = "" }, true, `unsupported algorithm "crc32"`},

		{"tag file changed", func(b handBag) {
			b["bag-info.txt"] = strings.Replace(b["bag-info.txt"], "Tịnh Ấn Tây", "Tịnh Ấn Đông", 1)
		}, false, "tagmanifest-sha256.txt: bag-info.txt has sha256"},
		{"manifest rewritten to match a changed file", func(b handBag) {
			b["data/a.txt"] = "b"
			b["manifest-sha256.txt"] = b.manifest("  ", b.payload()...)
		}, false, "tagmanifest-sha256.txt: manifest-sha256.txt has sha256"},
		{"tag file not in the tag manifest", func(b handBag) {
			b["tagmanifest-sha256.txt"] = b.manifest("  ", "bagit.txt", "manifest-sha256.txt")
		}, false, "tag file bag-info.txt is not in tagmanifest-sha256.txt"},
		{"tag file slipped in", func(b handBag) { b["notes/extra.txt"] = "x" }, false, "tag file notes/extra.txt is not in tagmanifest-sha256.txt"},
		{"tag manifest lists a payload file", func(b handBag) {
			b["tagmanifest-sha256.txt"] += b.manifest("  ", "data/a.txt")
		}, false, "a tag manifest must not list payload files"},
		{"tag manifest lists a missing tag file", func(b handBag) {
			b["tagmanifest-sha256.txt"] += b.manifest("  ", "fetch.txt")
		}, false, "lists fetch.txt, which cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := newHandBag()
			tt.change(b)
			if tt.seal {
				b.seal()
			}
			err := bagit.Validate(context.Background(), os.DirFS(b.write(t)))
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate = %v, want a valid bag", err)
				}
				return
			}
			var inv *bagit.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("Validate = %v, want *Invalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v\nwant a problem mentioning %q", err, tt.want)
			}
		})
	}
}
