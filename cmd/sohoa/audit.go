package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"sohoa/storage/catalog"
)

// runAudit is `sohoa audit verify|log|checkpoint`: the hash-chained audit
// trail (issue #5).
func runAudit(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "audit", `Cách dùng / usage: sohoa audit verify | log | checkpoint [--json]

Mọi việc (nhập, lưu, nhận dạng, phân loại, xem, tải, xuất, kiểm tra, nạp danh
mục...) được ghi vào nhật ký kiểm toán: ai, lúc nào, hồ sơ nào, chi tiết. Mỗi
sự kiện mang mã băm của sự kiện trước nó, nên sửa, xóa hay đảo một dòng đều
làm đứt chuỗi; đầu chuỗi còn được ghi định kỳ ra kho lưu trữ (điểm mốc), nên
xóa các dòng cuối cũng bị phát hiện.
Every action is logged with who, when, which record and details, in a hash
chain: each event carries the hash of the one before, so editing, deleting
or reordering a row breaks the chain; the chain head is also written to the
object store (a checkpoint), so cutting the last rows is caught too.

  verify       kiểm tra toàn bộ chuỗi và các điểm mốc; mã thoát 1 nếu bị phá
               walk the chain against the checkpoints; exit code 1 if broken
  log          xem nhật ký (lọc theo hồ sơ, người, ngày)
               show the log (filter by record, actor, date)
  checkpoint   ghi đầu chuỗi ra kho lưu trữ ngay
               write the chain head to the object store now

Ví dụ / examples:
  sohoa audit verify
  sohoa audit log --record 12
  sohoa audit log --actor "Nguyễn Thị Lan" --since 2025-01-01 --limit 50
`, args,
		subcommand{"verify", runAuditVerify}, subcommand{"log", runAuditLog}, subcommand{"checkpoint", runAuditCheckpoint})
}

// breakJSON is the first broken link, for audit verify --json.
type breakJSON struct {
	EventID int64  `json:"event_id"`
	Kind    string `json:"kind"`
	Detail  string `json:"detail"`
}

// headJSON is a chain head, for --json.
type headJSON struct {
	LastID int64  `json:"last_id"`
	Hash   string `json:"hash"`
	At     string `json:"at,omitempty"`
}

func toHeadJSON(h catalog.ChainHead) headJSON {
	j := headJSON{LastID: h.LastID, Hash: h.Hash}
	if !h.At.IsZero() {
		j.At = h.At.UTC().Format(time.RFC3339Nano)
	}
	return j
}

func runAuditVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit verify", "[--json]", `
Đi hết chuỗi nhật ký kiểm toán: tính lại mã băm từng sự kiện, kiểm tra mỗi
mắt xích, so với mọi điểm mốc trong kho lưu trữ, và báo chỗ đứt đầu tiên:
sự kiện nào, bị sửa (altered), bị xóa (missing), đảo thứ tự (reordered) hay
khác điểm mốc (checkpoint). Mã thoát 0 khi nguyên vẹn, 1 khi bị phá.
Walk the audit chain: recompute every event's hash, check every link,
compare with every checkpoint in the object store, and report the first
broken link: which event, and whether it was altered, deleted (missing),
reordered, or differs from a checkpoint. Exit code 0 when whole, 1 when not.

Ví dụ / example:
  sohoa audit verify && echo "nhật ký nguyên vẹn / log intact"`)
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("audit verify không nhận đối số %q (takes no arguments)", pos[0])
	}
	st, err := e.openData(ctx, *data, false)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := catalog.VerifyAudit(ctx, st.catalog, st.objects)
	if err != nil {
		return fmt.Errorf("kiểm tra nhật ký kiểm toán / verify the audit log: %w", err)
	}
	if *asJSON {
		out := struct {
			OK          bool       `json:"ok"`
			Events      int        `json:"events"`
			Head        headJSON   `json:"head"`
			Checkpoints int        `json:"checkpoints"`
			Break       *breakJSON `json:"break"`
		}{OK: rep.Break == nil, Events: rep.Events, Head: toHeadJSON(rep.Head), Checkpoints: rep.Checkpoints}
		if b := rep.Break; b != nil {
			out.Break = &breakJSON{EventID: b.EventID, Kind: string(b.Kind), Detail: b.Detail}
		}
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
		if rep.Break != nil {
			return errReported
		}
		return nil
	}
	if b := rep.Break; b != nil {
		fmt.Fprintf(e.stdout, "✗ Nhật ký kiểm toán bị phá tại sự kiện #%d (%s) / the audit chain is broken at event %d (%s)\n",
			b.EventID, breakLabel(b.Kind), b.EventID, b.Kind)
		fmt.Fprintf(e.stdout, "  %s\n", b.Detail)
		fmt.Fprintf(e.stdout, "  Đã kiểm tra %d sự kiện trước chỗ đứt / %d events checked before the break.\n", rep.Events, rep.Events)
		fmt.Fprintln(e.stdout, "  Giữ nguyên tệp catalog.db và kho lưu trữ làm chứng cứ, báo ngay cho người phụ trách CNTT và kiểm toán.")
		fmt.Fprintln(e.stdout, "  Keep catalog.db and the object store as they are for evidence, and tell IT and the auditor at once.")
		return errReported
	}
	fmt.Fprintf(e.stdout, "✓ Nhật ký kiểm toán nguyên vẹn / the audit chain is whole: %d sự kiện / events", rep.Events)
	if rep.Events > 0 {
		fmt.Fprintf(e.stdout, ", đầu chuỗi / head #%d %s…", rep.Head.LastID, rep.Head.Hash[:16])
	}
	fmt.Fprintln(e.stdout)
	if rep.Checkpoints == 0 {
		fmt.Fprintln(e.stdout, "  ! Chưa có điểm mốc nào trong kho: việc xóa các sự kiện cuối sẽ không bị phát hiện; chạy `sohoa audit checkpoint`.")
		fmt.Fprintln(e.stdout, "    No checkpoint in the object store yet: deleting the last events would go unseen; run `sohoa audit checkpoint`.")
	} else {
		fmt.Fprintf(e.stdout, "  Khớp %d điểm mốc trong kho / matches %d checkpoints in the object store.\n", rep.Checkpoints, rep.Checkpoints)
	}
	return nil
}

// breakLabel names a break in Vietnamese.
func breakLabel(k catalog.BreakKind) string {
	switch k {
	case catalog.BreakAltered:
		return "bị sửa"
	case catalog.BreakMissing:
		return "bị xóa"
	case catalog.BreakReordered:
		return "đảo thứ tự"
	case catalog.BreakCheckpoint:
		return "khác điểm mốc"
	}
	return string(k)
}

// eventJSON is one event of audit log --json.
type eventJSON struct {
	ID       int64           `json:"id"`
	At       string          `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	RecordID int64           `json:"record_id,omitempty"`
	Details  json.RawMessage `json:"details,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// defaultLogLimit is how many events audit log shows without --limit.
const defaultLogLimit = 100

func runAuditLog(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit log", "[--record ID | --actor TÊN | --since NGÀY] [--limit N] [--json]", `
Xem nhật ký kiểm toán, cũ trước: mỗi dòng là số sự kiện, thời điểm, người,
việc, hồ sơ và chi tiết. Lọc theo hồ sơ, người (đúng như đã ghi, có dấu) hoặc
từ ngày; các bộ lọc dùng cùng nhau được. Mặc định hiện 100 sự kiện mới nhất.
Show the audit log, oldest first: event number, time, actor, action, record
and details. Filter by record, actor (exactly as logged) or from a date;
filters combine. Shows the newest 100 unless --limit says otherwise.

Ví dụ / examples:
  sohoa audit log --record 12
  sohoa audit log --actor "Nguyễn Thị Lan" --since 2025-01-01
  sohoa audit log --since 2025-01-16T08:00:00+07:00 --limit 0 --json`)
	record := fs.String("record", "", "mã hồ sơ / record id")
	actor := fs.String("actor", "", "người thực hiện / actor, exactly as logged")
	since := fs.String("since", "", "từ ngày (2025-01-16, hoặc RFC 3339) / from this date or time")
	limit := fs.Int("limit", defaultLogLimit, "tối đa, mới nhất (0: tất cả) / the newest this many (0: all)")
	asJSON := fs.Bool("json", false, "in JSON (một mảng) / print a JSON array")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("audit log không nhận đối số %q; lọc hồ sơ bằng --record (takes no arguments; use --record)", pos[0])
	}
	var f catalog.AuditFilter
	if *record != "" {
		if f.RecordID, err = parseID(*record); err != nil {
			return err
		}
	}
	f.Actor = strings.TrimSpace(*actor)
	if *since != "" {
		if f.Since, err = parseSince(*since); err != nil {
			return err
		}
	}
	if *limit < 0 {
		return usagef("--limit %d: cần 0 trở lên (must be 0 or more)", *limit)
	}
	f.Limit = *limit
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	// One more than asked says whether older events were left out.
	if f.Limit > 0 {
		f.Limit++
	}
	evs, err := db.AuditEvents(ctx, f)
	if err != nil {
		return err
	}
	more := f.Limit > 0 && len(evs) == f.Limit
	if more {
		evs = evs[1:]
	}
	if *asJSON {
		out := make([]eventJSON, 0, len(evs))
		for _, ev := range evs {
			j := eventJSON{ID: ev.ID, At: ev.At.UTC().Format(time.RFC3339Nano), Actor: ev.Actor, Action: ev.Action,
				RecordID: ev.RecordID, PrevHash: ev.PrevHash, Hash: ev.Hash}
			if ev.Details != "" && json.Valid([]byte(ev.Details)) {
				j.Details = json.RawMessage(ev.Details)
			}
			out = append(out, j)
		}
		return writeJSON(e.stdout, out)
	}
	if len(evs) == 0 {
		fmt.Fprintln(e.stderr, "Không có sự kiện nào khớp (no matching events).")
		return nil
	}
	if more {
		fmt.Fprintf(e.stderr, "(Chỉ hiện %d sự kiện mới nhất; --limit 0 để xem hết / showing the newest %d; --limit 0 for all)\n", len(evs), len(evs))
	}
	for _, ev := range evs {
		rec := "—"
		if ev.RecordID != 0 {
			rec = fmt.Sprintf("hồ sơ #%d", ev.RecordID)
		}
		fmt.Fprintf(e.stdout, "#%-6d %s  %-16s %-16s %-11s %s\n", ev.ID, ev.At.Local().Format("2006-01-02 15:04:05"),
			ev.Actor, ev.Action, rec, ev.Details)
	}
	return nil
}

// parseSince reads a day (midnight, local time) or an RFC 3339 time.
func parseSince(s string) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, usagef("--since %q: viết ngày dạng 2025-01-16 hoặc 2025-01-16T08:00:00+07:00 (write a date like 2025-01-16)", s)
}

func runAuditCheckpoint(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "audit checkpoint", "[--json]", `
Ghi đầu chuỗi nhật ký (số và mã băm của sự kiện cuối) ra kho lưu trữ, vào
audit/checkpoints/. Sau đó, xóa hay viết lại bất kỳ sự kiện nào đến đó đều bị
sohoa audit verify phát hiện. ingest, worker và serve tự ghi điểm mốc; lệnh
này để ghi ngay, ví dụ trước khi sao lưu.
Write the chain head (the last event's number and hash) to the object store
under audit/checkpoints/. From then on, deleting or rewriting any event up to
it is caught by sohoa audit verify. ingest, worker and serve write them on
their own; this writes one now, e.g. before a backup.

Ví dụ / example:
  sohoa audit checkpoint`)
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("audit checkpoint không nhận đối số %q (takes no arguments)", pos[0])
	}
	st, err := e.openData(ctx, *data, false)
	if err != nil {
		return err
	}
	defer st.Close()
	cp, err := catalog.WriteCheckpoint(ctx, st.catalog, st.objects, time.Now())
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, struct {
			Key       string `json:"key"`
			LastID    int64  `json:"last_id"`
			Hash      string `json:"hash"`
			WrittenAt string `json:"written_at"`
		}{cp.Key, cp.LastID, cp.Hash, cp.WrittenAt.Format(time.RFC3339Nano)})
	}
	fmt.Fprintf(e.stdout, "Đã ghi điểm mốc / checkpoint written: %s (sự kiện / event #%d, %s…)\n", cp.Key, cp.LastID, cp.Hash[:16])
	return nil
}

// checkpointAtEnd writes a checkpoint when a command that appended events
// ends (deferred by ingest and worker), even after an error or Ctrl-C: the
// events it did append are then anchored. A failure is a warning; the
// command's own result stands.
func checkpointAtEnd(ctx context.Context, e *env, st *stores) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := catalog.WriteCheckpoint(ctx, st.catalog, st.objects, time.Now()); err != nil {
		fmt.Fprintf(e.stderr, "cảnh báo / warning: không ghi được điểm mốc nhật ký (could not write the audit checkpoint; run `sohoa audit checkpoint` later): %v\n", err)
	}
}

// startCheckpoints writes a checkpoint every interval while ctx lasts, when
// the chain has grown since the last one, and a last one when stopped (if
// it has grown). every <= 0 writes none. stop waits for the writer and may
// be called more than once.
func startCheckpoints(ctx context.Context, st *stores, every time.Duration, logger *slog.Logger) (stop func()) {
	if every <= 0 {
		return func() {}
	}
	logger = logger.With("component", "audit")
	var lastID, lastHash = int64(-1), ""
	write := func(ctx context.Context) {
		head, err := st.catalog.Head(ctx)
		if err != nil {
			logger.Warn("read the audit chain head", "err", err)
			return
		}
		if head.LastID == lastID && head.Hash == lastHash {
			return
		}
		cp, err := catalog.WriteCheckpoint(ctx, st.catalog, st.objects, time.Now())
		if err != nil {
			logger.Warn("write the audit checkpoint", "err", err)
			return
		}
		lastID, lastHash = cp.LastID, cp.Hash
		logger.Info("audit checkpoint written", "key", cp.Key, "last_id", cp.LastID)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				write(ctx)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
			final, cancelFinal := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancelFinal()
			write(final)
		})
	}
}
