package dashboard

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sohoa/storage/catalog"
)

func TestCleanUploadName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"chong-1.pdf", "chong-1.pdf", true},
		{"may-quet/2026/chong 1.pdf", "may-quet/2026/chong 1.pdf", true},
		{`C:\Scans\Quyết định 12.tif`, "C:/Scans/Quyết định 12.tif", true},
		{"/etc/../../passwd", "etc/passwd", true},
		{"./a/./b.png", "a/b.png", true},
		{"..", "", false},
		{"  ", "", false},
		{"a\x00b.pdf", "", false},
		{"a\nb.pdf", "", false},
		{string([]byte{0xff, 0xfe}) + ".pdf", "", false},
	} {
		got, err := cleanUploadName(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("cleanUploadName(%q) = %q, %v; want %q (ok %v)", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestUploadIDNamesTheFile(t *testing.T) {
	id := uploadID("lan", "21181", "a.pdf", 10, 1, "blank")
	if !validUploadID(id) || id != uploadID("lan", "21181", "a.pdf", 10, 1, "blank") {
		t.Fatalf("upload id %q is not valid or not deterministic", id)
	}
	for _, other := range []string{
		uploadID("tho", "21181", "a.pdf", 10, 1, "blank"),
		uploadID("lan", "21175", "a.pdf", 10, 1, "blank"),
		uploadID("lan", "21181", "b.pdf", 10, 1, "blank"),
		uploadID("lan", "21181", "a.pdf", 11, 1, "blank"),
		uploadID("lan", "21181", "a.pdf", 10, 2, "blank"),
		uploadID("lan", "21181", "a.pdf", 10, 1, ""),
	} {
		if other == id {
			t.Errorf("a different user, unit, file or split has the same upload id %s", id)
		}
	}
	for _, bad := range []string{"", "../../etc", id[:31], id + "0", "ABCDEF0123456789ABCDEF0123456789"} {
		if validUploadID(bad) {
			t.Errorf("validUploadID(%q) = true", bad)
		}
	}
}

// TestProgressNeverBlocks: the pipeline's hooks go on when a stream does
// not read; the stream is told it lost events, and Close ends streams.
func TestProgressNeverBlocks(t *testing.T) {
	p := NewProgress()
	l, stop := p.listen()
	defer stop()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 10*listenerBuffer; i++ {
			p.Page(7, i+1)
		}
		p.Record(catalog.Record{ID: 7})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publishing blocked on a listener that does not read")
	}
	if !l.takeLost() {
		t.Error("a listener that missed events was not told")
	}
	if l.takeLost() {
		t.Error("lost stays set after it was taken")
	}
	if e := <-l.ch; e.record != 7 || e.page != 1 {
		t.Errorf("first event %+v, want page 1 of record 7", e)
	}
	p.Close()
	p.Close() // twice is fine
	select {
	case <-p.Done():
	default:
		t.Error("Done is not closed after Close")
	}
}

func TestSweepOldUploads(t *testing.T) {
	dir := t.TempDir()
	u := &uploads{cfg: UploadConfig{Dir: dir}}
	now := time.Now()
	for name, age := range map[string]time.Duration{"old.part": 40 * 24 * time.Hour, "old.json": 31 * 24 * time.Hour, "new.part": time.Hour} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	u.sweep(now.Add(-uploadKeep), slog.New(slog.DiscardHandler))
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(left) != 1 || filepath.Base(left[0]) != "new.part" {
		t.Errorf("left after the sweep: %v, want only new.part", left)
	}
}
