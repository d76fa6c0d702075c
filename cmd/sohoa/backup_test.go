package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sohoa/storage"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
)

// useS3 points the commands of t at a bucket of srv, as an operator's
// SOHOA_S3_* variables would, and returns the bucket's settings.
func useS3(t *testing.T, srv *s3test.Server) s3.Config {
	t.Helper()
	cfg := srv.Config(t)
	t.Setenv(s3.EnvEndpoint, cfg.Endpoint)
	t.Setenv(s3.EnvBucket, cfg.Bucket)
	t.Setenv(s3.EnvAccessKey, cfg.AccessKey)
	t.Setenv(s3.EnvSecretKey, cfg.SecretKey)
	t.Setenv(s3.EnvInsecure, "true")
	return cfg
}

// TestBackupRestore ingests documents into one data folder, backs the
// catalog up to a real MinIO server, and restores it into an empty data
// folder on another "machine" pointing at the same store: the restored
// catalog lists the same records, and every record's original in the store
// hashes to what the restored catalog says. Restoring over a catalog that
// holds data is refused without --force, and keeps the old one with it; a
// damaged backup is refused and changes nothing.
func TestBackupRestore(t *testing.T) {
	if testing.Short() {
		t.Skip("OCR and MinIO: not in -short")
	}
	requireTesseract(t)
	cfg := useS3(t, s3test.Start(t))
	dir := t.TempDir()
	scans := filepath.Join(dir, "scans")
	first := filepath.Join(dir, "first")
	second := filepath.Join(dir, "second")
	if _, stderr, code := sohoa(t, "fixtures", "--out", scans, "--n", "3", "--seed", "7007", "--clean", "--format", "png"); code != 0 {
		t.Fatalf("fixtures: exit %d: %s", code, stderr)
	}
	if out, stderr, code := sohoa(t, append([]string{"ingest", "--data", first, "--unit", "21181", "--clerk", "test", "--workers", "2"}, scanFiles(t, scans)...)...); code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, stderr)
	}

	out, stderr, code := sohoa(t, "backup", "--data", first, "--json")
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	var b backupJSON
	if err := json.Unmarshal([]byte(out), &b); err != nil {
		t.Fatalf("backup --json: %v: %s", err, out)
	}
	if !strings.HasPrefix(b.Key, "backups/catalog-") || !strings.HasSuffix(b.Key, ".db.gz") || b.Records == nil || *b.Records != 3 || len(b.SHA256) != 64 {
		t.Fatalf("backup --json = %+v; want a backups/catalog-<time>.db.gz key with 3 records and a sha256", b)
	}
	store, err := s3.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := hashStored(t, store, b.Key); got != b.SHA256 {
		t.Errorf("the stored backup hashes to %s, backup said %s", got, b.SHA256)
	}
	out, _, code = sohoa(t, "backup", "--list", "--data", first, "--json")
	var listed []backupJSON
	if code != 0 || json.Unmarshal([]byte(out), &listed) != nil || len(listed) != 1 || listed[0].Key != b.Key || listed[0].SHA256 != b.SHA256 {
		t.Errorf("backup --list --json: exit %d: %s; want the one backup %s", code, out, b.Key)
	}
	if out, _, _ := sohoa(t, "backup", "--list", "--data", first); !strings.Contains(out, b.Key) {
		t.Errorf("backup --list does not show %s:\n%s", b.Key, out)
	}

	// The other machine: an empty data folder, the same store.
	out, stderr, code = sohoa(t, "restore", "--data", second, "--json")
	if code != 0 {
		t.Fatalf("restore into an empty folder: exit %d: %s", code, stderr)
	}
	var res restoreJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("restore --json: %v: %s", err, out)
	}
	if res.From != b.Key || res.Records != 3 || res.SHA256 != b.SHA256 || res.Previous != "" {
		t.Errorf("restore --json = %+v; want 3 records from %s and nothing kept aside", res, b.Key)
	}
	listFirst, _, _ := sohoa(t, "list", "--data", first, "--json")
	listSecond, _, code := sohoa(t, "list", "--data", second, "--json")
	if code != 0 || listFirst != listSecond {
		t.Errorf("the restored catalog lists other records:\nfirst:\n%s\nrestored:\n%s", listFirst, listSecond)
	}
	var recs []struct {
		ID       int64  `json:"id"`
		SHA256   string `json:"sha256"`
		Original string `json:"original"`
		Text     string `json:"text"`
	}
	if err := json.Unmarshal([]byte(listSecond), &recs); err != nil || len(recs) != 3 {
		t.Fatalf("list of the restored catalog: %v, %d records", err, len(recs))
	}
	for _, r := range recs {
		if got := hashStored(t, store, r.Original); got != r.SHA256 {
			t.Errorf("record %d: its original hashes to %s, the restored catalog says %s", r.ID, got, r.SHA256)
		}
		if r.Text == "" {
			t.Errorf("record %d: no text in the restored catalog", r.ID)
		}
	}
	// sohoa verify --all re-hashes every object against the catalog.
	if vout, verr, vcode := sohoa(t, "verify", "--all", "--data", second); vcode != 0 {
		t.Errorf("verify --all on the restored catalog: exit %d\n%s\n%s", vcode, vout, verr)
	}
	restored := filepath.Join(second, "catalog.db")
	if rep, err := sqlite.CheckFile(context.Background(), restored); err != nil || rep.Records != 3 {
		t.Errorf("the restored file: %+v, %v", rep, err)
	}

	// Over a catalog holding data: refused, unless --force, which keeps it.
	before, _ := os.ReadFile(restored)
	_, stderr, code = sohoa(t, "restore", "--data", second)
	if code == 0 || !strings.Contains(stderr, "--force") || !strings.Contains(stderr, "holds data") {
		t.Errorf("restore over a catalog with data: exit %d, %q; want a refusal naming --force", code, stderr)
	}
	if after, _ := os.ReadFile(restored); !bytes.Equal(before, after) {
		t.Error("a refused restore changed the catalog")
	}
	out, stderr, code = sohoa(t, "restore", "--data", second, "--from", b.Key, "--force", "--json")
	if code != 0 {
		t.Fatalf("restore --force: exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Previous == "" {
		t.Fatalf("restore --force --json = %s (%v); want the old catalog's new name", out, err)
	}
	if !strings.HasPrefix(filepath.Base(res.Previous), "catalog.db.before-restore-") {
		t.Errorf("the old catalog was kept as %s", res.Previous)
	}
	if rep, err := sqlite.CheckFile(context.Background(), res.Previous); err != nil || rep.Records != 3 {
		t.Errorf("the old catalog kept aside: %+v, %v; want it whole with its 3 records", rep, err)
	}

	// A damaged backup (sound gzip, not a database) is refused.
	var junk bytes.Buffer
	zw := gzip.NewWriter(&junk)
	zw.Write(bytes.Repeat([]byte("không phải cơ sở dữ liệu "), 500))
	zw.Close()
	badKey := "backups/catalog-29991231T235959.000Z.db.gz"
	if _, err := store.Put(context.Background(), badKey, bytes.NewReader(junk.Bytes()), int64(junk.Len()),
		storage.PutOptions{SHA256: sha256Of(junk.Bytes())}); err != nil {
		t.Fatal(err)
	}
	third := filepath.Join(dir, "third")
	_, stderr, code = sohoa(t, "restore", "--data", third) // latest is now the damaged one
	if code == 0 || !strings.Contains(stderr, "integrity") {
		t.Errorf("restore of a damaged backup: exit %d, %q; want a refusal naming the integrity check", code, stderr)
	}
	if entries, _ := os.ReadDir(third); len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("a refused restore left %q in the data folder", names)
	}
}

// TestRestoreWithoutBackups says what to do when the store has none.
func TestRestoreWithoutBackups(t *testing.T) {
	data := t.TempDir()
	_, stderr, code := sohoa(t, "restore", "--data", data)
	if code == 0 || !strings.Contains(stderr, "sohoa backup") {
		t.Errorf("restore with no backups: exit %d, %q; want a failure telling to run sohoa backup", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(data, "catalog.db")); err == nil {
		t.Error("a failed restore created a catalog")
	}
}

func sha256Of(b []byte) string {
	h := newSHA256()
	h.Write(b)
	return h.hex()
}
