package catalog_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
	"sohoa/storage/s3"
	"sohoa/storage/s3/s3test"
)

// TestCheckpoints runs the checkpoint contract on both object stores: the
// local folder and a real MinIO server.
func TestCheckpoints(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(t *testing.T) storage.Objects{
		"local": func(t *testing.T) storage.Objects {
			s, err := local.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"s3": func(t *testing.T) storage.Objects {
			srv := s3test.Start(t)
			s, err := s3.Open(context.Background(), srv.Config(t))
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testCheckpoints(t, open(t))
		})
	}
}

func testCheckpoints(t *testing.T, objs storage.Objects) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	appendN := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if err := db.AppendEvent(ctx, catalog.Event{Actor: "Lan", Action: "view", Details: fmt.Sprintf(`{"i":%d}`, i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	verify := func() catalog.ChainReport {
		t.Helper()
		rep, err := catalog.VerifyAudit(ctx, db, objs)
		if err != nil {
			t.Fatalf("VerifyAudit: %v", err)
		}
		return rep
	}

	// An empty store has no checkpoints, and an empty log is whole.
	if cps, err := catalog.LoadCheckpoints(ctx, objs); err != nil || len(cps) != 0 {
		t.Fatalf("LoadCheckpoints of an empty store = %v, %v", cps, err)
	}
	t0 := time.Date(2025, 1, 16, 1, 0, 0, 0, time.UTC)
	appendN(3)
	cp1, err := catalog.WriteCheckpoint(ctx, db, objs, t0)
	if err != nil {
		t.Fatal(err)
	}
	appendN(2)
	cp2, err := catalog.WriteCheckpoint(ctx, db, objs, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	head, err := db.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cp1.LastID != 3 || cp2.LastID != 5 || cp2.Hash != head.Hash || !strings.HasPrefix(cp2.Key, catalog.CheckpointPrefix) {
		t.Fatalf("checkpoints %+v, %+v; head %+v", cp1, cp2, head)
	}
	cps, err := catalog.LoadCheckpoints(ctx, objs)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 2 || cps[0].Key != cp1.Key || cps[1].LastID != 5 || cps[1].Hash != cp2.Hash ||
		!cps[1].WrittenAt.Equal(cp2.WrittenAt) || !cps[1].EventAt.Equal(head.At) {
		t.Fatalf("LoadCheckpoints = %+v, want %+v then %+v", cps, cp1, cp2)
	}
	if rep := verify(); rep.Break != nil || rep.Checkpoints != 2 || rep.Events != 5 {
		t.Fatalf("VerifyAudit = %+v, want 5 whole events and 2 checkpoints", rep)
	}

	// A checkpoint that disagrees with the chain is a break at its event.
	forged := fmt.Sprintf(`{"format":"sohoa-audit-checkpoint/1","last_id":3,"hash":"%s","event_at":"2025-01-16T00:00:00Z","written_at":"2025-01-16T00:00:00Z"}`,
		strings.Repeat("a", 64))
	forgedKey := catalog.CheckpointPrefix + "00000000000000000003-forged.json"
	put(t, objs, forgedKey, forged)
	if rep := verify(); rep.Break == nil || rep.Break.Kind != catalog.BreakCheckpoint || rep.Break.EventID != 3 {
		t.Errorf("VerifyAudit with a forged checkpoint = %+v, want a checkpoint break at event 3", rep.Break)
	}
	if err := objs.Delete(ctx, forgedKey); err != nil {
		t.Fatal(err)
	}

	// Cutting the last event off the file is seen through the checkpoint.
	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{`DROP TRIGGER events_no_delete`, `DELETE FROM events WHERE id = 5`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	rep := verify()
	if rep.Break == nil || rep.Break.Kind != catalog.BreakMissing || rep.Break.EventID != 5 || !strings.Contains(rep.Break.Detail, cp2.Key) {
		t.Errorf("VerifyAudit after deleting the last event = %+v, want event 5 missing, naming %s", rep.Break, cp2.Key)
	}

	// Something under the prefix that is not a checkpoint is refused.
	put(t, objs, catalog.CheckpointPrefix+"00000000000000000009-x.json", `{"last_id":9}`)
	if _, err := catalog.LoadCheckpoints(ctx, objs); !errors.Is(err, catalog.ErrBadCheckpoint) {
		t.Errorf("LoadCheckpoints with a stray object = %v, want ErrBadCheckpoint", err)
	}
}

func put(t *testing.T, objs storage.Objects, key, content string) {
	t.Helper()
	if _, err := objs.Put(context.Background(), key, bytes.NewReader([]byte(content)), int64(len(content)), storage.PutOptions{}); err != nil {
		t.Fatal(err)
	}
}
