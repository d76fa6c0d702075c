package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"sohoa/storage"
)

// GenesisHash is the prev_hash of the first event of every audit chain.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ChainedEvent is an event with its links in the audit chain: PrevHash is
// the Hash of the event before it (GenesisHash for the first), Hash the
// sha256 of its own canonical encoding and PrevHash.
type ChainedEvent struct {
	Event
	PrevHash string
	Hash     string
}

// ChainHead is the last event of the chain: what a checkpoint pins.
type ChainHead struct {
	LastID int64     // 0 when the log is empty
	Hash   string    // GenesisHash when the log is empty
	At     time.Time // of the last event
}

// AuditFilter selects events for AuditLog.AuditEvents. Zero fields do not
// filter.
type AuditFilter struct {
	RecordID int64
	Actor    string
	Since    time.Time
	// Limit keeps the newest Limit matches; 0 keeps all.
	Limit int
}

// BreakKind says how a chain is broken.
type BreakKind string

// The ways a chain breaks.
const (
	// BreakAltered: an event's columns no longer hash to its recorded hash,
	// or its recorded hash no longer matches what the next event recorded.
	BreakAltered BreakKind = "altered"
	// BreakMissing: events were deleted (a gap in the ids, or events a
	// checkpoint saw are gone from the end).
	BreakMissing BreakKind = "missing"
	// BreakReordered: an event sits where another should be.
	BreakReordered BreakKind = "reordered"
	// BreakCheckpoint: the chain is consistent in itself but differs from
	// what a checkpoint in the object store recorded: it was rewritten.
	BreakCheckpoint BreakKind = "checkpoint"
)

// Break is the first broken link of a chain.
type Break struct {
	// EventID is the first event that is not what was logged (for
	// BreakMissing, the first missing id).
	EventID int64
	Kind    BreakKind
	// Detail says what is wrong, in Vietnamese and English.
	Detail string
}

// ChainReport is the result of walking the chain.
type ChainReport struct {
	Events int       // events walked
	Head   ChainHead // the last event walked
	// Checkpoints is how many checkpoints were compared with the chain.
	Checkpoints int
	// Break is nil when the chain is whole.
	Break *Break
}

// AuditLog is the event log seen as a hash chain. Every AppendEvent of the
// Catalog extends it. Implementations are safe for concurrent use.
type AuditLog interface {
	// Head returns the last event of the chain.
	Head(ctx context.Context) (ChainHead, error)
	// VerifyChain walks the whole chain, checks every link and compares it
	// with the checkpoints, and reports the first break. An error means the
	// walk could not be done, not that the chain is broken.
	VerifyChain(ctx context.Context, checkpoints []Checkpoint) (ChainReport, error)
	// AuditEvents returns the events matching f, oldest first.
	AuditEvents(ctx context.Context, f AuditFilter) ([]ChainedEvent, error)
}

// CheckpointPrefix is where checkpoints live in the object store. Tools
// that look for objects no record points at (fixity, doctor) skip it.
const CheckpointPrefix = "audit/checkpoints/"

// Checkpoint is a chain head written to the object store, outside the
// catalog file: deleting the last events, or rewriting the chain with
// fresh hashes, then no longer matches it.
type Checkpoint struct {
	LastID    int64     `json:"last_id"`
	Hash      string    `json:"hash"`
	EventAt   time.Time `json:"event_at"`
	WrittenAt time.Time `json:"written_at"`
	// Key is where it was read from; not stored.
	Key string `json:"-"`
}

// checkpointFormat names the JSON layout, so a later one can be told apart.
const checkpointFormat = "sohoa-audit-checkpoint/1"

type checkpointJSON struct {
	Format string `json:"format"`
	Checkpoint
}

// CheckpointKey is the object key of cp: ordered by last event id, then
// time, so the newest checkpoint lists last.
func CheckpointKey(cp Checkpoint) string {
	return fmt.Sprintf("%s%020d-%s.json", CheckpointPrefix, cp.LastID, cp.WrittenAt.UTC().Format("20060102T150405.000000000Z"))
}

// WriteCheckpoint writes the head of log to objs and returns it.
func WriteCheckpoint(ctx context.Context, log AuditLog, objs storage.Objects, now time.Time) (Checkpoint, error) {
	head, err := log.Head(ctx)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("write audit checkpoint: %w", err)
	}
	cp := Checkpoint{LastID: head.LastID, Hash: head.Hash, EventAt: head.At.UTC(), WrittenAt: now.UTC()}
	b, err := json.Marshal(checkpointJSON{Format: checkpointFormat, Checkpoint: cp})
	if err != nil {
		return Checkpoint{}, fmt.Errorf("write audit checkpoint: %w", err)
	}
	cp.Key = CheckpointKey(cp)
	if _, err := objs.Put(ctx, cp.Key, bytes.NewReader(b), int64(len(b)), storage.PutOptions{ContentType: "application/json"}); err != nil {
		return Checkpoint{}, fmt.Errorf("write audit checkpoint %s: %w", cp.Key, err)
	}
	return cp, nil
}

// ErrBadCheckpoint means an object under CheckpointPrefix is not a
// checkpoint this program wrote.
var ErrBadCheckpoint = errors.New("not a valid audit checkpoint")

// LoadCheckpoints reads every checkpoint in objs, oldest first.
func LoadCheckpoints(ctx context.Context, objs storage.Objects) ([]Checkpoint, error) {
	var keys []string
	if err := objs.List(ctx, CheckpointPrefix, func(oi storage.ObjectInfo) error {
		keys = append(keys, oi.Key)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("list audit checkpoints: %w", err)
	}
	out := make([]Checkpoint, 0, len(keys))
	for _, key := range keys {
		cp, err := readCheckpoint(ctx, objs, key)
		if err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, nil
}

func readCheckpoint(ctx context.Context, objs storage.Objects, key string) (Checkpoint, error) {
	rc, _, err := objs.Get(ctx, key)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read audit checkpoint %s: %w", key, err)
	}
	defer rc.Close()
	// A checkpoint is a few hundred bytes; anything much bigger is not one.
	b, err := io.ReadAll(io.LimitReader(rc, 64<<10))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("read audit checkpoint %s: %w", key, err)
	}
	var cj checkpointJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cj); err != nil {
		return Checkpoint{}, fmt.Errorf("audit checkpoint %s: %w: %v", key, ErrBadCheckpoint, err)
	}
	cp := cj.Checkpoint
	cp.Key = key
	name := strings.TrimPrefix(key, CheckpointPrefix)
	idPart, _, _ := strings.Cut(name, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	switch {
	case cj.Format != checkpointFormat:
		return cp, fmt.Errorf("audit checkpoint %s: %w: format %q", key, ErrBadCheckpoint, cj.Format)
	case err != nil || id != cp.LastID:
		return cp, fmt.Errorf("audit checkpoint %s: %w: its name does not match its last_id %d", key, ErrBadCheckpoint, cp.LastID)
	case cp.LastID < 0 || len(cp.Hash) != len(GenesisHash):
		return cp, fmt.Errorf("audit checkpoint %s: %w: last_id %d, hash %q", key, ErrBadCheckpoint, cp.LastID, cp.Hash)
	}
	return cp, nil
}

// VerifyAudit walks the chain of log against every checkpoint in objs.
func VerifyAudit(ctx context.Context, log AuditLog, objs storage.Objects) (ChainReport, error) {
	cps, err := LoadCheckpoints(ctx, objs)
	if err != nil {
		return ChainReport{}, err
	}
	return log.VerifyChain(ctx, cps)
}
