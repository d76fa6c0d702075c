package dashboard

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/local"
)

// downStore is an object store whose server does not answer.
type downStore struct{ storage.Objects }

func (downStore) Stat(ctx context.Context, key string) (storage.ObjectInfo, error) {
	return storage.ObjectInfo{}, fmt.Errorf("dial tcp 127.0.0.1:9: connection refused: %w", storage.ErrUnavailable)
}

func (downStore) Get(ctx context.Context, key string) (io.ReadCloser, storage.ObjectInfo, error) {
	return nil, storage.ObjectInfo{}, storage.ErrUnavailable
}

// TestStoreStateOnPageAndMetrics: whether the object store answers shows
// on the page and in /metrics, for a real local store and for one that is
// down.
func TestStoreStateOnPageAndMetrics(t *testing.T) {
	s := seed(t)
	up, err := local.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		objects storage.Objects
		page    string
		metric  string
	}{
		{"up", up, "hoạt động <small>reachable</small>", "sohoa_object_store_up 1"},
		{"down", downStore{}, "không kết nối được <small>unreachable</small>", "sohoa_object_store_up 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(Config{Source: s.db, Objects: tc.objects,
				StatusCounts: func(ctx context.Context) (map[catalog.Status]int, error) {
					st, err := s.db.Stats(ctx)
					return st.Records, err
				}})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(d)
			defer srv.Close()
			code, body := get(t, srv.URL+"/?year=2026")
			if code != 200 || !strings.Contains(body, tc.page) {
				t.Errorf("page: %d, store card %q missing", code, tc.page)
			}
			if _, body = get(t, srv.URL+"/metrics"); !strings.Contains(body, tc.metric) {
				t.Errorf("/metrics lacks %q", tc.metric)
			}
		})
	}
}
