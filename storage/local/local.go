// Package local keeps objects as files in a directory: the embedded default
// store, under the data folder.
//
// The object with key "originals/sha256/ab12…" is the plain file
// <dir>/originals/sha256/ab12…, so the folder can be browsed, copied and
// backed up with ordinary tools. Beside each file a hidden sidecar
// ".ab12….meta" records the content type and sha256 given at Put time, so
// Stat and Get do not rehash. Temporary files are hidden too; that is why
// key segments may not start with a dot (storage.CheckKey).
//
// A key cannot be both an object and the folder of other objects ("a" and
// "a/b"): Put of the second one fails.
package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"

	"sohoa/storage"
	"sohoa/storage/internal/digest"
)

var _ storage.Objects = (*Store)(nil)

const (
	dirPerm  = 0o750
	filePerm = 0o640
	metaExt  = ".meta"
)

// Store is a directory of objects. It is safe for concurrent use within one
// process; a Put's data file and sidecar are swapped in under a per-key
// lock, so Get and Stat never pair new content with old metadata. Across
// processes (or after a crash between the two renames) a sidecar that no
// longer fits its file is detected and the sha256 is recomputed.
type Store struct {
	dir   string
	seed  maphash.Seed
	locks [64]sync.RWMutex
}

// Open returns the store kept in dir, creating the directory if needed.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open object store %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, dirPerm); err != nil {
		return nil, unavailable("open object store", abs, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, unavailable("open object store", abs, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open object store %s: not a directory", abs)
	}
	return &Store{dir: abs, seed: maphash.MakeSeed()}, nil
}

// Dir returns the absolute path of the store's directory.
func (s *Store) Dir() string { return s.dir }

// sidecar is the metadata file kept beside each object.
type sidecar struct {
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
	// Size and ModTime identify the data file the sidecar was written
	// for; a sidecar that does not match them is stale.
	Size    int64 `json:"size"`
	ModTime int64 `json:"mtime_ns"`
}

func (s *Store) path(key string) string { return filepath.Join(s.dir, filepath.FromSlash(key)) }

func sidecarPath(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+metaExt)
}

func (s *Store) lock(key string) *sync.RWMutex {
	return &s.locks[maphash.String(s.seed, key)%uint64(len(s.locks))]
}

// Put implements storage.Objects. The content goes to a temporary file in
// the object's folder, is hashed on the way, synced, and renamed over the
// key only once it is complete and matches opts.SHA256.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, opts storage.PutOptions) (storage.ObjectInfo, error) {
	if err := storage.CheckKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put: %w", err)
	}
	if size < 0 {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: negative size %d", key, size)
	}
	if opts.SHA256 != "" {
		if err := digest.CheckHex(opts.SHA256); err != nil {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	contentType := opts.ContentType
	if contentType == "" {
		contentType = storage.DefaultContentType
	}

	path := s.path(key)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		if errors.Is(err, errNotDir) {
			return storage.ObjectInfo{}, fmt.Errorf("put %s: a folder on the way is an object: %w", key, err)
		}
		return storage.ObjectInfo{}, unavailable("put "+key, dir, err)
	}

	data, err := os.CreateTemp(dir, ".put-*.tmp")
	if err != nil {
		return storage.ObjectInfo{}, unavailable("put "+key, dir, err)
	}
	committed := false
	defer func() {
		if !committed {
			data.Close()
			os.Remove(data.Name())
		}
	}()

	content := digest.NewReader(ctxReader{ctx, r}, size, opts.SHA256)
	if _, err := io.Copy(fileWriter{data}, content); err != nil {
		if cerr := content.Err(); cerr != nil {
			err = cerr // checksum mismatch or short content, not the copy's wrapping
		}
		if we := (writeError{}); errors.As(err, &we) {
			return storage.ObjectInfo{}, unavailable("put "+key, data.Name(), we.err)
		}
		return storage.ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	if err := data.Chmod(filePerm); err != nil {
		return storage.ObjectInfo{}, unavailable("put "+key, data.Name(), err)
	}
	if err := data.Sync(); err != nil {
		return storage.ObjectInfo{}, unavailable("put "+key, data.Name(), err)
	}
	fi, err := data.Stat()
	if err != nil {
		return storage.ObjectInfo{}, unavailable("put "+key, data.Name(), err)
	}
	if err := data.Close(); err != nil {
		return storage.ObjectInfo{}, unavailable("put "+key, data.Name(), err)
	}

	meta := sidecar{ContentType: contentType, SHA256: content.Sum(), Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	metaTmp, err := writeSidecarTemp(dir, meta)
	if err != nil {
		return storage.ObjectInfo{}, unavailable("put "+key, dir, err)
	}
	defer func() {
		if !committed {
			os.Remove(metaTmp)
		}
	}()

	l := s.lock(key)
	l.Lock()
	err = os.Rename(data.Name(), path)
	if err == nil {
		committed = true
		err = os.Rename(metaTmp, sidecarPath(path))
	}
	l.Unlock()
	if err != nil {
		if !committed {
			if fi, serr := os.Lstat(path); serr == nil && fi.IsDir() {
				return storage.ObjectInfo{}, fmt.Errorf("put %s: the key is a folder of other objects", key)
			}
		}
		// A sidecar that failed to land leaves the object readable:
		// the old sidecar is stale and Stat rehashes.
		return storage.ObjectInfo{}, unavailable("put "+key, path, err)
	}
	if err := syncDir(dir); err != nil {
		return storage.ObjectInfo{}, unavailable("put "+key, dir, err)
	}
	return storage.ObjectInfo{
		Key:         key,
		Size:        meta.Size,
		ContentType: meta.ContentType,
		SHA256:      meta.SHA256,
		ModTime:     fi.ModTime(),
	}, nil
}

// writeSidecarTemp writes meta to a synced temporary file in dir and
// returns its name.
func writeSidecarTemp(dir string, meta sidecar) (string, error) {
	b, err := json.Marshal(meta)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp(dir, ".meta-*.tmp")
	if err != nil {
		return "", err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(filePerm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Get implements storage.Objects.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	if err := storage.CheckKey(key); err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	path := s.path(key)
	l := s.lock(key)
	l.RLock()
	f, err := os.Open(path)
	if err != nil {
		l.RUnlock()
		return nil, storage.ObjectInfo{}, s.openError("get", key, path, err)
	}
	info, err := s.describe(key, path, f)
	l.RUnlock()
	if err != nil {
		f.Close()
		return nil, storage.ObjectInfo{}, fmt.Errorf("get %s: %w", key, err)
	}
	return digest.ReadCloser{Reader: digest.NewReader(f, info.Size, info.SHA256), Closer: f}, info, nil
}

// Stat implements storage.Objects.
func (s *Store) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	if err := storage.CheckKey(key); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	info, err := s.stat(key)
	if err != nil {
		return storage.ObjectInfo{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return info, nil
}

func (s *Store) stat(key string) (storage.ObjectInfo, error) {
	path := s.path(key)
	l := s.lock(key)
	l.RLock()
	defer l.RUnlock()
	f, err := os.Open(path)
	if err != nil {
		return storage.ObjectInfo{}, s.openError("", key, path, err)
	}
	defer f.Close()
	return s.describe(key, path, f)
}

// describe returns what the sidecar records for the open data file f,
// falling back to hashing f when the sidecar is missing or stale. The
// caller holds the key's lock, so f and the sidecar belong together.
func (s *Store) describe(key, path string, f *os.File) (storage.ObjectInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return storage.ObjectInfo{}, unavailableErr(path, err)
	}
	if !fi.Mode().IsRegular() {
		return storage.ObjectInfo{}, storage.ErrNotFound // a folder of other objects
	}
	info := storage.ObjectInfo{Key: key, Size: fi.Size(), ModTime: fi.ModTime()}
	var meta sidecar
	b, err := os.ReadFile(sidecarPath(path))
	if err == nil && json.Unmarshal(b, &meta) == nil &&
		meta.Size == fi.Size() && meta.ModTime == fi.ModTime().UnixNano() && digest.CheckHex(meta.SHA256) == nil {
		info.ContentType = meta.ContentType
		info.SHA256 = meta.SHA256
		return info, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return storage.ObjectInfo{}, unavailableErr(sidecarPath(path), err)
	}
	// Stale or missing sidecar: a crash between the two renames of a Put,
	// or another process mid-Put. The content is what it is; hash it.
	h := digest.NewReader(f, fi.Size(), "")
	if _, err := io.Copy(io.Discard, h); err != nil {
		return storage.ObjectInfo{}, unavailableErr(path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return storage.ObjectInfo{}, unavailableErr(path, err)
	}
	info.SHA256 = h.Sum()
	info.ContentType = storage.DefaultContentType
	return info, nil
}

// Delete implements storage.Objects.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := storage.CheckKey(key); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	path := s.path(key)
	l := s.lock(key)
	l.Lock()
	defer l.Unlock()
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir):
		return nil
	case err != nil:
		return unavailable("delete "+key, path, err)
	case fi.IsDir():
		return nil // a folder of other objects, not an object
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return unavailable("delete "+key, path, err)
	}
	if err := os.Remove(sidecarPath(path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return unavailable("delete "+key, sidecarPath(path), err)
	}
	// Empty folders are left in place: removing them would race with a Put
	// creating its temporary file there.
	if err := syncDir(filepath.Dir(path)); err != nil {
		return unavailable("delete "+key, filepath.Dir(path), err)
	}
	return nil
}

// List implements storage.Objects. It gathers the matching keys before
// calling fn, so fn may Put or Delete; memory grows with the number of keys
// under prefix.
func (s *Store) List(ctx context.Context, prefix string, fn func(storage.ObjectInfo) error) error {
	root, ok := s.listRoot(prefix)
	if !ok {
		return nil // no valid key can start with prefix
	}
	var keys []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != root {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(s.dir, path)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("list %q: %w", prefix, ctx.Err())
		}
		return unavailable(fmt.Sprintf("list %q", prefix), root, err)
	}
	// The walk visits names folder by folder; keys sort as whole strings
	// ("a-b" before "a/b").
	slices.Sort(keys)
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		info, err := s.stat(key)
		if errors.Is(err, storage.ErrNotFound) {
			continue // deleted since the walk
		}
		if err != nil {
			return fmt.Errorf("list %q: %w", prefix, err)
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

// listRoot returns the folder holding every key that starts with prefix:
// the part of prefix before its last slash. ok is false when that part is
// not a valid key path, so nothing can match (and nothing outside the store
// is walked).
func (s *Store) listRoot(prefix string) (root string, ok bool) {
	if !storage.PrefixMayMatch(prefix) {
		return "", false
	}
	i := strings.LastIndexByte(prefix, '/')
	if i < 0 {
		return s.dir, true
	}
	return s.path(prefix[:i]), true
}

// openError maps an error opening the data file of key.
func (s *Store) openError(op, key, path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) {
		err = storage.ErrNotFound
	} else {
		err = unavailableErr(path, err)
	}
	if op == "" {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, key, err)
}

// unavailable wraps a filesystem failure (disk full, permission, I/O) as
// storage.ErrUnavailable, naming the operation and the path.
func unavailable(op, path string, err error) error {
	return fmt.Errorf("%s: %w", op, unavailableErr(path, err))
}

func unavailableErr(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%w: %w", storage.ErrUnavailable, err) // already names the path
	}
	return fmt.Errorf("%w: %s: %w", storage.ErrUnavailable, path, err)
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for syncing there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// errNotDir is what the filesystem says when a folder on a key's path is a
// file: the key cannot exist.
var errNotDir = syscall.ENOTDIR

// writeError marks failures of the destination file during a Put's copy, so
// they map to ErrUnavailable while the source's failures do not.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

type fileWriter struct{ f *os.File }

func (w fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = writeError{err}
	}
	return n, err
}

// ctxReader stops a copy when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
