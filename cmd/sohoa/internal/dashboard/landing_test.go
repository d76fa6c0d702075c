package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/pipeline"
)

// TestClerkLandsOnItsWork: signed in without a next=, a clerk lands on
// the upload page when uploads are on, else on the review queue, and on
// the search only on a server with neither; the others land where they
// always did. The page landed on opens for the user, and the signed-in
// page's link leads to the same place.
func TestClerkLandsOnItsWork(t *testing.T) {
	uploadsOn := func(t *testing.T) func(*Config) {
		dir := t.TempDir()
		return func(c *Config) {
			c.Upload = &UploadConfig{Dir: dir, Take: func(context.Context, pipeline.TakeRequest) (pipeline.Taken, error) {
				return pipeline.Taken{}, errors.New("no upload is sent in this test")
			}}
		}
	}
	for _, tc := range []struct {
		name   string
		config func(t *testing.T) func(*Config)
		want   map[string]string // by user name
	}{
		{"uploads and review on", uploadsOn,
			map[string]string{"lan": "/upload", "hai": "/upload", "cntt": "/", "kiemtoan": "/", "quantri": "/"}},
		{"review on, uploads off", func(*testing.T) func(*Config) { return nil },
			map[string]string{"lan": "/review", "hai": "/review", "cntt": "/", "kiemtoan": "/", "quantri": "/"}},
		{"neither", func(*testing.T) func(*Config) { return func(c *Config) { c.Reviewer = nil } },
			map[string]string{"lan": "/search", "cntt": "/", "kiemtoan": "/", "quantri": "/"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := seedAuth(t, auth.Options{}, tc.config(t))
			for name, want := range tc.want {
				b := newBrowser(t, s.srv.URL)
				resp := b.login(name, testPassword)
				if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
					t.Errorf("%s signs in: %d to %q, want 303 to %q", name, resp.StatusCode, got, want)
					continue
				}
				if resp, page := b.do(http.MethodGet, want, nil); resp.StatusCode != http.StatusOK {
					t.Errorf("%s lands on %s: %d\n%.300s", name, want, resp.StatusCode, page)
				}
				if _, page := b.do(http.MethodGet, "/login", nil); !strings.Contains(page, `<a href="`+want+`">Vào trang làm việc`) {
					t.Errorf("%s's signed-in page does not lead to %s:\n%.600s", name, want, page)
				}
			}
		})
	}
}
