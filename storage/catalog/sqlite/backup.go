package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// BackupInfo describes a copy of the catalog written by Backup.
type BackupInfo struct {
	// Path is the file written.
	Path string
	// Size is its length in bytes.
	Size int64
	// Records counts the records in the copy.
	Records int
}

// Backup writes a consistent copy of the catalog to the new file dst with
// SQLite's online backup API, while this and other processes go on
// writing: the copy is the catalog as of one committed transaction (in
// WAL mode one read transaction covers the whole copy, so writers never
// make it start over). The copy is a single self-contained file (no WAL
// beside it), checked with PRAGMA integrity_check and synced to disk
// before Backup returns. dst must not exist.
func (db *DB) Backup(ctx context.Context, dst string) (BackupInfo, error) {
	if _, err := os.Lstat(dst); err == nil {
		return BackupInfo{}, fmt.Errorf("back up catalog to %s: the file exists already", dst)
	}
	if err := db.backupTo(ctx, dst); err != nil {
		removeDB(dst)
		return BackupInfo{}, fmt.Errorf("back up catalog %s to %s: %w", db.path, dst, err)
	}
	rep, err := CheckFile(ctx, dst)
	if err != nil {
		removeDB(dst)
		return BackupInfo{}, fmt.Errorf("back up catalog %s: the copy does not check: %w", db.path, err)
	}
	if err := syncFile(dst); err != nil {
		removeDB(dst)
		return BackupInfo{}, fmt.Errorf("back up catalog %s: %w", db.path, err)
	}
	return BackupInfo{Path: dst, Size: rep.Size, Records: rep.Records}, nil
}

func (db *DB) backupTo(ctx context.Context, dst string) error {
	src, err := db.read.Conn(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	// The destination is a plain rollback-journal file: closing it leaves
	// nothing but the one file to upload.
	v := url.Values{}
	v.Set("_journal_mode", "DELETE")
	v.Set("_synchronous", "FULL")
	out, err := sql.Open("sqlite3", dsn(dst, v))
	if err != nil {
		return err
	}
	defer out.Close()
	out.SetMaxOpenConns(1)
	dconn, err := out.Conn(ctx)
	if err != nil {
		return err
	}
	defer dconn.Close()

	err = dconn.Raw(func(dc any) error {
		dest, ok := dc.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("destination connection is a %T, not go-sqlite3's", dc)
		}
		return src.Raw(func(sc any) error {
			source, ok := sc.(*sqlite3.SQLiteConn)
			if !ok {
				return fmt.Errorf("source connection is a %T, not go-sqlite3's", sc)
			}
			b, err := dest.Backup("main", source, "main")
			if err != nil {
				return fmt.Errorf("start backup: %w", err)
			}
			for {
				// All pages in one step: one read transaction, one
				// snapshot. Step reports a busy or locked source as not
				// done without an error; wait and try again.
				done, err := b.Step(-1)
				if err != nil {
					b.Close()
					return fmt.Errorf("copy pages: %w", err)
				}
				if done {
					break
				}
				select {
				case <-ctx.Done():
					b.Close()
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
			if err := b.Finish(); err != nil {
				return fmt.Errorf("finish backup: %w", err)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	// The pages copied carry the source's WAL flag; make the copy a
	// rollback-journal file so it is complete on its own.
	var mode string
	if err := dconn.QueryRowContext(ctx, `PRAGMA journal_mode = DELETE`).Scan(&mode); err != nil {
		return fmt.Errorf("set journal mode of the copy: %w", err)
	}
	if !strings.EqualFold(mode, "delete") {
		return fmt.Errorf("the copy kept journal mode %q", mode)
	}
	if err := dconn.Close(); err != nil {
		return err
	}
	return out.Close()
}

// FileReport is what CheckFile found in a catalog file.
type FileReport struct {
	Size    int64
	Records int
	// Events counts the event log's entries: any change leaves one, so a
	// catalog with none holds nothing anyone did.
	Events int
}

// ErrNotCatalog means a file is an SQLite database but not a sohoa
// catalog (it has no records table).
var ErrNotCatalog = errors.New("not a sohoa catalog")

// CheckFile opens the catalog file at path read-only, without changing
// it, runs PRAGMA integrity_check and counts its records and events. It returns an
// error listing the problems if the check does not say ok, ErrNotCatalog
// if the file has no records table.
func CheckFile(ctx context.Context, path string) (FileReport, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return FileReport{}, fmt.Errorf("check catalog file: %w", err)
	}
	v := url.Values{}
	v.Set("mode", "ro")
	conn, err := sql.Open("sqlite3", dsn(path, v))
	if err != nil {
		return FileReport{}, fmt.Errorf("check catalog file %s: %w", path, err)
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return FileReport{}, fmt.Errorf("check catalog file %s: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return FileReport{}, fmt.Errorf("check catalog file %s: %w", path, err)
		}
		if msg != "ok" {
			problems = append(problems, msg)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return FileReport{}, fmt.Errorf("check catalog file %s: %w", path, err)
	}
	if len(problems) > 0 {
		return FileReport{}, fmt.Errorf("catalog file %s fails the integrity check: %s", path, strings.Join(problems, "; "))
	}
	rep := FileReport{Size: fi.Size()}
	var tables int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'`).Scan(&tables); err != nil {
		return FileReport{}, fmt.Errorf("check catalog file %s: %w", path, err)
	}
	if tables == 0 {
		return rep, fmt.Errorf("%s: %w", path, ErrNotCatalog)
	}
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM events)`).Scan(&rep.Records, &rep.Events); err != nil {
		return FileReport{}, fmt.Errorf("count records of %s: %w", path, err)
	}
	return rep, nil
}

// removeDB removes a database file and the journal files SQLite may have
// left beside it.
func removeDB(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}
