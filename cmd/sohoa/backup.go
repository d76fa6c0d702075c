package main

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

// backupPrefix is where catalog backups live in the object store, next to
// the originals they describe.
const backupPrefix = "backups/catalog-"

// backupStamp is the UTC time in a backup's key: it sorts as the time does,
// so the last key is the latest backup.
const backupStamp = "20060102T150405.000Z"

// backupJSON describes one backup in the object store.
type backupJSON struct {
	Key     string    `json:"key"`
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created_at"`
	// Records is known for the backup just written.
	Records *int `json:"records,omitempty"`
}

func runBackup(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "backup", "[--list] [--json] [--data THƯ-MỤC]", `
Sao lưu danh mục (catalog.db: hồ sơ, trang chữ, nhật ký kiểm toán, hàng đợi)
vào kho lưu trữ, dưới backups/catalog-<giờ UTC>.db.gz, kèm mã sha256. Bản sao
lưu là một trạng thái nhất quán (API sao lưu trực tuyến của SQLite): chạy được
cả khi "sohoa ingest", "worker" hay "serve" đang ghi. Bản gốc và bản PDF lưu
trữ đã nằm trong kho; hãy sao chép chính kho đó (S3: replication, MinIO:
"mc mirror"). --list liệt kê các bản sao lưu đã có.
Back the catalog up (records, page text, audit log, queue) into the object
store under backups/catalog-<UTC time>.db.gz with its sha256. The copy is one
consistent state (SQLite's online backup API), taken while ingest, worker or
serve go on writing. The originals and archives are in the store already:
copy the store itself (S3 replication, MinIO's "mc mirror"). --list lists the
backups there.

Ví dụ / examples:
  sohoa backup
  sohoa backup --list
  sohoa restore --from latest --data /srv/sohoa-moi`)
	list := fs.Bool("list", false, "liệt kê các bản sao lưu / list the backups")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder (default $SOHOA_DATA or ./sohoa-data)")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("backup không nhận đối số %q (backup takes no arguments)", pos[0])
	}
	cfg, err := loadConfig(*data, false)
	if err != nil {
		return err
	}
	if *list {
		objects, err := openObjects(ctx, cfg)
		if err != nil {
			return err
		}
		backups, err := listBackups(ctx, objects, cfg)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(e.stdout, backups)
		}
		if len(backups) == 0 {
			fmt.Fprintf(e.stdout, "Chưa có bản sao lưu nào trong kho %s (no backups in the store yet): chạy / run sohoa backup\n", cfg.storeName())
			return nil
		}
		fmt.Fprintf(e.stdout, "%-50s %12s  %-20s %s\n", "KHÓA / KEY", "CỠ / SIZE", "LÚC / AT (UTC)", "SHA256")
		for _, b := range backups {
			fmt.Fprintf(e.stdout, "%-50s %12d  %-20s %s\n", b.Key, b.Size, b.Created.UTC().Format("2006-01-02 15:04:05"), b.SHA256)
		}
		return nil
	}

	st, err := e.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	b, err := backupCatalog(ctx, st)
	if err != nil {
		return err
	}
	details, _ := json.Marshal(map[string]any{"key": b.Key, "sha256": b.SHA256, "size": b.Size, "records": *b.Records})
	if err := st.catalog.AppendEvent(ctx, catalog.Event{Actor: actorName(*actor), Action: "backup", Details: string(details)}); err != nil {
		return fmt.Errorf("đã sao lưu %s nhưng không ghi được nhật ký (backed up, but the event was not logged): %w", b.Key, err)
	}
	if *asJSON {
		return writeJSON(e.stdout, b)
	}
	fmt.Fprintf(e.stdout, "Đã sao lưu danh mục (%d hồ sơ) vào kho %s:\nBacked up the catalog (%d records) to the store %s:\n  %s  (%d bytes, sha256 %s)\n",
		*b.Records, cfg.storeName(), *b.Records, cfg.storeName(), b.Key, b.Size, b.SHA256)
	fmt.Fprintf(e.stdout, "Khôi phục / to restore: sohoa restore --from %s\n", b.Key)
	return nil
}

// backupCatalog copies the catalog (online backup), compresses it and
// stores it under a new timestamped key with its sha256.
func backupCatalog(ctx context.Context, st *stores) (backupJSON, error) {
	dir := tempDir(st.cfg.DataDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return backupJSON{}, fmt.Errorf("make temp folder %s: %w", dir, err)
	}
	now := time.Now().UTC()
	copyPath := filepath.Join(dir, "backup-"+now.Format("20060102T150405.000000000Z")+".db")
	info, err := st.catalog.Backup(ctx, copyPath)
	if err != nil {
		return backupJSON{}, fmt.Errorf("không sao lưu được danh mục — kiểm tra chỗ trống trong %s (could not copy the catalog: check free space in %s): %w", dir, dir, err)
	}
	defer os.Remove(copyPath)

	gzPath := copyPath + ".gz"
	defer os.Remove(gzPath)
	sum, size, err := gzipFile(copyPath, gzPath)
	if err != nil {
		return backupJSON{}, fmt.Errorf("nén bản sao lưu / compress the backup: %w", err)
	}
	f, err := os.Open(gzPath)
	if err != nil {
		return backupJSON{}, err
	}
	defer f.Close()
	key := backupPrefix + now.Format(backupStamp) + ".db.gz"
	if _, err := st.objects.Put(ctx, key, f, size, storage.PutOptions{ContentType: "application/gzip", SHA256: sum}); err != nil {
		name := st.cfg.storeName()
		return backupJSON{}, fmt.Errorf("không đưa được bản sao lưu lên kho %s — kiểm tra máy chủ lưu trữ rồi chạy lại (could not upload the backup to the store %s: check the storage server and run again): %w", name, name, err)
	}
	records := info.Records
	return backupJSON{Key: key, Size: size, SHA256: sum, Created: now, Records: &records}, nil
}

// gzipFile compresses src into the new file dst and returns the sha256 and
// size of what it wrote.
func gzipFile(src, dst string) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, err
	}
	defer out.Close()
	h := newSHA256()
	cw := &countWriter{w: io.MultiWriter(out, h)}
	zw := gzip.NewWriter(cw)
	if _, err := io.Copy(zw, in); err != nil {
		return "", 0, fmt.Errorf("compress %s: %w", src, err)
	}
	if err := zw.Close(); err != nil {
		return "", 0, fmt.Errorf("compress %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return "", 0, fmt.Errorf("write %s: %w", dst, err)
	}
	return h.hex(), cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// listBackups returns the catalog backups in the store, oldest first.
func listBackups(ctx context.Context, objects storage.Objects, cfg config) ([]backupJSON, error) {
	out := []backupJSON{}
	err := objects.List(ctx, backupPrefix, func(oi storage.ObjectInfo) error {
		b := backupJSON{Key: oi.Key, Size: oi.Size, SHA256: oi.SHA256, Created: oi.ModTime.UTC()}
		stamp := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(oi.Key, backupPrefix), ".gz"), ".db")
		if t, err := time.Parse(backupStamp, stamp); err == nil {
			b.Created = t
		}
		out = append(out, b)
		return nil
	})
	if err != nil {
		name := cfg.storeName()
		return nil, fmt.Errorf("không đọc được danh sách bản sao lưu trong kho %s (could not list the backups in the store %s): %w", name, name, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// restoreJSON is what restore did.
type restoreJSON struct {
	From    string `json:"from"`
	SHA256  string `json:"sha256"`
	Catalog string `json:"catalog"`
	Records int    `json:"records"`
	// Previous is where the catalog that was there was kept, if any.
	Previous string `json:"previous,omitempty"`
}

func runRestore(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "restore", "[--from KHÓA|latest] [--force] [--json] [--data THƯ-MỤC]", `
Khôi phục danh mục từ một bản sao lưu trong kho lưu trữ (mặc định: bản mới
nhất) vào thư mục dữ liệu: tải về, kiểm tra sha256 và PRAGMA integrity_check,
rồi mới thay catalog.db (thay một lần, không bao giờ để lại tệp dở dang).
Không ghi đè một danh mục đang có dữ liệu, trừ khi có --force; khi đó danh mục
cũ được giữ lại bên cạnh: catalog.db.before-restore-<giờ>. Hãy dừng
"sohoa serve" và "sohoa worker" trước khi khôi phục.
Restore the catalog from a backup in the object store (default: the latest)
into the data folder: download it, check its sha256 and PRAGMA
integrity_check, and only then put it in place as catalog.db, in one step.
A catalog holding data is not overwritten without --force; with it, the old
one is kept beside as catalog.db.before-restore-<time>. Stop "sohoa serve"
and "sohoa worker" first.

Ví dụ / examples:
  sohoa backup --list
  sohoa restore --data /srv/sohoa-moi            (bản mới nhất / the latest)
  sohoa restore --from backups/catalog-20251201T020000.000Z.db.gz --force`)
	from := fs.String("from", "latest", "khóa của bản sao lưu, hoặc latest / the backup's key, or latest")
	force := fs.Bool("force", false, "thay cả danh mục đang có dữ liệu (giữ bản cũ bên cạnh) / replace a catalog holding data (the old one is kept beside)")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder (default $SOHOA_DATA or ./sohoa-data)")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("restore không nhận đối số %q: dùng --from KHÓA (use --from KEY)", pos[0])
	}
	cfg, err := loadConfig(*data, false)
	if err != nil {
		return err
	}
	objects, err := openObjects(ctx, cfg)
	if err != nil {
		return err
	}
	key := strings.TrimSpace(*from)
	if key == "" || key == "latest" {
		backups, err := listBackups(ctx, objects, cfg)
		if err != nil {
			return err
		}
		if len(backups) == 0 {
			name := cfg.storeName()
			return fmt.Errorf("chưa có bản sao lưu nào trong kho %s — chạy sohoa backup trước, hoặc kiểm tra SOHOA_S3_* trỏ đúng kho (no backup in the store %s: run sohoa backup first, or check SOHOA_S3_* name the right store)", name, name)
		}
		key = backups[len(backups)-1].Key
	} else if !strings.HasPrefix(key, "backups/") {
		key = "backups/" + key
	}

	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("make data folder %s: %w", cfg.DataDir, err)
	}
	target := filepath.Join(cfg.DataDir, "catalog.db")
	holds, err := catalogHolds(ctx, target)
	if err != nil && !*force {
		return fmt.Errorf("%s có sẵn nhưng không đọc được như một danh mục: %v — nếu muốn thay nó, chạy lại với --force (bản cũ được giữ lại bên cạnh)\n"+
			"%s exists but does not read as a catalog: %v — to replace it, run again with --force (the old file is kept beside)", target, err, target, err)
	}
	if holds != "" && !*force {
		return fmt.Errorf("%s đã có dữ liệu (%s) — không ghi đè; chạy lại với --force để thay (bản cũ được giữ lại bên cạnh), hoặc chọn --data một thư mục trống\n"+
			"%s holds data (%s): not overwritten; run again with --force to replace it (the old one is kept beside), or give --data an empty folder", target, holds, target, holds)
	}

	res, err := restoreCatalog(ctx, objects, cfg, key, target)
	if err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, target)
	if err != nil {
		return fmt.Errorf("open the restored catalog %s: %w", target, err)
	}
	defer db.Close()
	details, _ := json.Marshal(map[string]any{"from": res.From, "sha256": res.SHA256, "records": res.Records, "previous": res.Previous})
	if err := db.AppendEvent(ctx, catalog.Event{Actor: actorName(*actor), Action: "restore", Details: string(details)}); err != nil {
		return fmt.Errorf("đã khôi phục nhưng không ghi được nhật ký (restored, but the event was not logged): %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	fmt.Fprintf(e.stdout, "Đã khôi phục danh mục (%d hồ sơ) từ %s vào %s.\nRestored the catalog (%d records) from %s into %s.\n",
		res.Records, key, target, res.Records, key, target)
	if res.Previous != "" {
		fmt.Fprintf(e.stdout, "Danh mục cũ được giữ ở / the old catalog is kept as %s\n", res.Previous)
	}
	fmt.Fprintf(e.stdout, "Kiểm tra bản gốc khớp với danh mục / check the originals match: sohoa verify --all\n")
	return nil
}

// catalogHolds says what the catalog file at path holds ("12 hồ sơ / records,
// 40 sự kiện / events"), or "" when there is no file or it holds nothing;
// an error when the file is there but is not a sound catalog.
func catalogHolds(ctx context.Context, path string) (string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || (err == nil && fi.Size() == 0) {
		if _, werr := os.Stat(path + "-wal"); werr != nil {
			return "", nil
		}
	} else if err != nil {
		return "", err
	}
	rep, err := sqlite.CheckFile(ctx, path)
	if err != nil {
		return "", err
	}
	if rep.Records == 0 && rep.Events == 0 {
		return "", nil
	}
	return fmt.Sprintf("%d hồ sơ / records, %d sự kiện / events", rep.Records, rep.Events), nil
}

// restoreCatalog downloads the backup under key, checks it, and puts it in
// place of target in one rename, keeping any catalog that was there beside.
func restoreCatalog(ctx context.Context, objects storage.Objects, cfg config, key, target string) (restoreJSON, error) {
	name := cfg.storeName()
	rc, info, err := objects.Get(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return restoreJSON{}, fmt.Errorf("không có bản sao lưu %s trong kho %s — xem các bản có: sohoa backup --list (no backup %s in the store %s: see sohoa backup --list)", key, name, key, name)
	}
	if err != nil {
		return restoreJSON{}, fmt.Errorf("không tải được bản sao lưu %s từ kho %s — kiểm tra máy chủ lưu trữ rồi chạy lại (could not download the backup %s from the store %s: check the storage server and run again): %w", key, name, key, name, err)
	}
	defer rc.Close()

	// The new file is written beside the target, so the last step is a
	// rename within one file system.
	tmp, err := os.CreateTemp(filepath.Dir(target), ".restore-*.db")
	if err != nil {
		return restoreJSON{}, fmt.Errorf("restore into %s: %w", filepath.Dir(target), err)
	}
	tmpPath := tmp.Name()
	done := false
	defer func() {
		tmp.Close()
		if !done {
			os.Remove(tmpPath)
		}
	}()
	h := newSHA256()
	var src io.Reader = io.TeeReader(rc, h)
	if strings.HasSuffix(key, ".gz") {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return restoreJSON{}, fmt.Errorf("bản sao lưu %s hỏng — không giải nén được (the backup %s is damaged: cannot decompress): %w", key, key, err)
		}
		src = zr
	}
	if _, err := io.Copy(tmp, src); err != nil {
		if errors.Is(err, storage.ErrChecksum) {
			return restoreJSON{}, fmt.Errorf("bản sao lưu %s trong kho đã bị thay đổi (sha256 không khớp) — chọn bản khác: sohoa backup --list (the backup %s was altered in the store: its sha256 does not match; pick another)", key, key)
		}
		return restoreJSON{}, fmt.Errorf("tải bản sao lưu %s (download the backup %s): %w", key, key, err)
	}
	// Read to the end, so the store's own check has seen every byte.
	if _, err := io.Copy(io.Discard, io.TeeReader(rc, h)); err != nil {
		return restoreJSON{}, fmt.Errorf("tải bản sao lưu %s (download the backup %s): %w", key, key, err)
	}
	sum := h.hex()
	if info.SHA256 != "" && sum != info.SHA256 {
		return restoreJSON{}, fmt.Errorf("bản sao lưu %s tải về có sha256 %s, kho ghi %s — chọn bản khác: sohoa backup --list (the backup %s hashes to %s, the store recorded %s: pick another)",
			key, sum, info.SHA256, key, sum, info.SHA256)
	}
	if err := tmp.Sync(); err != nil {
		return restoreJSON{}, fmt.Errorf("write %s: %w", tmpPath, err)
	}
	if err := tmp.Close(); err != nil {
		return restoreJSON{}, fmt.Errorf("write %s: %w", tmpPath, err)
	}
	rep, err := sqlite.CheckFile(ctx, tmpPath)
	if err != nil {
		return restoreJSON{}, fmt.Errorf("bản sao lưu %s không qua được kiểm tra toàn vẹn — không khôi phục; chọn bản khác (the backup %s fails the integrity check: not restored; pick another): %w", key, key, err)
	}

	res := restoreJSON{From: key, SHA256: sum, Catalog: target, Records: rep.Records}
	if _, err := os.Stat(target); err == nil {
		aside := target + ".before-restore-" + time.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(target, aside); err != nil {
			return restoreJSON{}, fmt.Errorf("keep the old catalog as %s: %w", aside, err)
		}
		// Its write-ahead log belongs to it: under the new name SQLite
		// finds it again; beside the restored file it would corrupt it.
		if err := os.Rename(target+"-wal", aside+"-wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
			return restoreJSON{}, fmt.Errorf("keep the old catalog's log as %s-wal: %w", aside, err)
		}
		res.Previous = aside
	} else if err := os.Remove(target + "-wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return restoreJSON{}, fmt.Errorf("remove the stale log %s-wal: %w", target, err)
	}
	os.Remove(target + "-shm")
	os.Remove(target + "-journal")
	if err := os.Rename(tmpPath, target); err != nil {
		return restoreJSON{}, fmt.Errorf("put the restored catalog in place as %s: %w", target, err)
	}
	done = true
	if d, err := os.Open(filepath.Dir(target)); err == nil {
		d.Sync()
		d.Close()
	}
	return res, nil
}
