package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"sohoa/pipeline"
)

// storeName names the configured object store the way the operator set
// it up: the S3 endpoint and bucket, or the objects folder.
func (c config) storeName() string {
	if c.UseS3 {
		ep := c.S3.Endpoint
		if !strings.Contains(ep, "://") {
			if c.S3.Insecure {
				ep = "http://" + ep
			} else {
				ep = "https://" + ep
			}
		}
		return strings.TrimSuffix(ep, "/") + "/" + c.S3.Bucket
	}
	return filepath.Join(c.DataDir, "objects")
}

// storeState prints, once per change, that the object store named went
// down (the work waits and is retried by itself) or is back.
func (o *output) storeState(name string) func(pipeline.StoreState) {
	return func(s pipeline.StoreState) {
		if s.Down {
			o.bar.println(fmt.Sprintf("⚠ Không kết nối được kho lưu trữ %s — các hồ sơ đang chờ và sẽ tự thử lại; hãy kiểm tra máy chủ lưu trữ (hoặc ổ đĩa), không cần chạy lại lệnh.\n"+
				"  The object store %s is unreachable: records wait and are retried automatically; check the storage server (or disk), no need to rerun. (%v)",
				name, name, s.Err))
			return
		}
		d := time.Since(s.Since).Round(time.Second)
		o.bar.println(fmt.Sprintf("✓ Đã kết nối lại kho lưu trữ %s sau %v, tiếp tục xử lý (the object store is reachable again after %v: work resumes).", name, d, d))
	}
}

// diskFull reports whether err is a write refused for want of space: the
// catalog's SQLite (SQLITE_FULL, or an I/O error with ENOSPC) or a file.
func diskFull(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrFull || se.SystemErrno == syscall.ENOSPC || se.SystemErrno == syscall.EDQUOT) {
		return true
	}
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// explainDiskFull turns a full disk under the data folder into what the
// operator must do; other errors pass unchanged. SQLite rolls back what
// it could not write, so nothing is half-written: freeing space and
// running the same command again resumes.
func explainDiskFull(err error, dataDir string) error {
	if err == nil || !diskFull(err) {
		return err
	}
	cat := filepath.Join(dataDir, "catalog.db")
	return fmt.Errorf("ổ đĩa chứa danh mục %s đã đầy — giải phóng chỗ trống trên ổ đó rồi chạy lại đúng lệnh này để tiếp tục; không mất gì đã lưu.\n"+
		"  The disk holding the catalog %s is full: free space on it, then run the same command again to resume; nothing saved is lost. (%w)", cat, cat, err)
}

// dataDirOf is the data folder the flag and environment name.
func dataDirOf(dataFlag string) string {
	cfg, _ := loadConfig(dataFlag, false)
	return cfg.DataDir
}
